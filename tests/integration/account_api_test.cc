// Goal: the account API of the real bourse process opens accounts, takes idempotent
// deposits and shows balances as the contract says, and every kind of bad input gets
// its documented status and problem type while the database stays unchanged.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <soci/soci.h>

#include "bourse/db/connection_pool.h"
#include "bourse_process.h"

using bourse::testing::BourseProcess;
using bourse::testing::HttpClient;

namespace {

// One server for the whole binary: Catch2 re-runs a test case per SECTION, and a process
// start costs seconds.
BourseProcess& server() {
  // Destroyed at exit, which stops the process.
  static std::unique_ptr<BourseProcess> instance = [] {
    auto process = std::make_unique<BourseProcess>();
    if (!process->wait_ready()) {
      FAIL("bourse did not become ready:\n" << process->process().log());
    }
    return process;
  }();
  return *instance;
}

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

std::string problem_type(const bourse::testing::HttpResponse& response) {
  REQUIRE(response.header("Content-Type") == "application/problem+json");
  std::string type(json(response.body).at("type").as_string());
  return type.substr(type.rfind('/') + 1);
}

// Row counts of every account table: "unchanged" means all of these are equal.
std::vector<int> table_counts() {
  bourse::db::ConnectionPool pool(server().database().config());
  std::vector<int> counts;
  for (const char* table : {"accounts", "cash_balances", "positions", "ledger_entries", "deposits"}) {
    int n = -1;
    REQUIRE(pool.with_session([&](soci::session& s) {
      s << std::string("SELECT COUNT(*) FROM ") + table, soci::into(n);
    }).ok());
    counts.push_back(n);
  }
  return counts;
}

std::string unique_user(const std::string& stem) {
  static int counter = 0;
  return stem + std::to_string(++counter);
}

}  // namespace

TEST_CASE("open, read and deposit into an account", "[accounts][integration]") {
  HttpClient client = server().client();
  const std::string user = unique_user("alice");
  auto opened = client.post("/v1/accounts",
                            R"({"user_id":")" + user + R"(","cash":"1000.50","positions":{"AAPL":10}})");
  REQUIRE(opened.status == 201);
  CHECK(opened.header("Location") == "/v1/accounts/" + user);

  auto account = client.get("/v1/accounts/" + user);
  REQUIRE(account.status == 200);
  auto body = json(account.body);
  CHECK(body.at("cash").at("total").as_string() == "1000.5");
  CHECK(body.at("cash").at("reserved").as_string() == "0");
  CHECK(body.at("cash").at("available").as_string() == "1000.5");
  auto positions = body.at("positions").as_array();
  REQUIRE(positions.size() == 1);
  CHECK(positions[0].at("symbol").as_string() == "AAPL");
  CHECK(positions[0].at("quantity").as_int64() == 10);

  SECTION("opening it again is 409 and changes nothing") {
    auto before = table_counts();
    auto again = client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":"5"})");
    CHECK(again.status == 409);
    CHECK(problem_type(again) == "account-exists");
    CHECK(table_counts() == before);
  }
  SECTION("a deposit with an Idempotency-Key applies once and replays") {
    auto first = client.post("/v1/accounts/" + user + "/deposits", R"({"cash":"99.5"})",
                             {{"Idempotency-Key", "dep-1"}});
    REQUIRE(first.status == 200);
    CHECK(json(first.body).at("cash").at("total").as_string() == "1100");
    auto replay = client.post("/v1/accounts/" + user + "/deposits", R"({"cash":"99.5"})",
                              {{"Idempotency-Key", "dep-1"}});
    REQUIRE(replay.status == 200);
    CHECK(replay.header("Idempotent-Replayed") == "true");
    CHECK(json(replay.body).at("cash").at("total").as_string() == "1100");

    auto before = table_counts();
    auto reused = client.post("/v1/accounts/" + user + "/deposits", R"({"cash":"1"})",
                              {{"Idempotency-Key", "dep-1"}});
    CHECK(reused.status == 422);
    CHECK(problem_type(reused) == "idempotency-key-reused");
    CHECK(table_counts() == before);
  }
  SECTION("share deposits add to the position") {
    auto deposit = client.post("/v1/accounts/" + user + "/deposits",
                               R"({"symbol":"AAPL","quantity":5})");
    REQUIRE(deposit.status == 200);
    CHECK(json(deposit.body).at("positions").as_array()[0].at("quantity").as_int64() == 15);
  }
}

TEST_CASE("unknown accounts are 404", "[accounts][integration]") {
  HttpClient client = server().client();
  CHECK(client.get("/v1/accounts/nobody").status == 404);
  CHECK(client.get("/v1/accounts/bad%20id").status == 404);
  auto deposit = client.post("/v1/accounts/nobody/deposits", R"({"cash":"1"})");
  CHECK(deposit.status == 404);
}

TEST_CASE("a duplicate JSON key is 400 duplicate-key and writes nothing",
          "[accounts][integration]") {
  HttpClient client = server().client();
  const std::string user = unique_user("dup");
  REQUIRE(client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":"100"})").status ==
          201);
  const std::string balances = client.get("/v1/accounts/" + user).body;
  const auto before = table_counts();

  SECTION("POST /v1/accounts") {
    for (const std::string body :
         {R"({"user_id":"dupa","user_id":"dupb","cash":"1"})",
          R"({"user_id":"dupc","user_id":"dupc","cash":"1"})",
          R"({"user_id":"dupd","cash":"1","positions":{"AAPL":1,"AAPL":2}})"}) {
      INFO(body);
      auto response = client.post("/v1/accounts", body);
      CHECK(response.status == 400);
      CHECK(problem_type(response) == "duplicate-key");
    }
    for (const char* id : {"dupa", "dupb", "dupc", "dupd"}) {
      CHECK(client.get(std::string("/v1/accounts/") + id).status == 404);
    }
    CHECK(table_counts() == before);
  }
  SECTION("POST /v1/accounts/{user_id}/deposits") {
    const std::string path = "/v1/accounts/" + user + "/deposits";
    for (const std::string body :
         {R"({"user_id":"a","user_id":"b","cash":"1"})", R"({"cash":"1","cash":"2"})",
          R"({"symbol":"AAPL","quantity":1,"quantity":5})"}) {
      INFO(body);
      auto response = client.post(path, body, {{"Idempotency-Key", "dup-key"}});
      CHECK(response.status == 400);
      CHECK(problem_type(response) == "duplicate-key");
    }
    CHECK(client.get("/v1/accounts/" + user).body == balances);
    CHECK(table_counts() == before);
    // The refused requests stored nothing under their key: it is still fresh.
    auto deposit = client.post(path, R"({"cash":"1"})", {{"Idempotency-Key", "dup-key"}});
    CHECK(deposit.status == 200);
    CHECK_FALSE(deposit.has_header("Idempotent-Replayed"));
    CHECK(json(deposit.body).at("cash").at("total").as_string() == "101");
  }
}

TEST_CASE("a symbol outside the symbol table is 422 unknown-symbol and writes nothing",
          "[accounts][integration]") {
  HttpClient client = server().client();
  const std::string user = unique_user("sym");
  REQUIRE(client
              .post("/v1/accounts",
                    R"({"user_id":")" + user + R"(","cash":"100","positions":{"AAPL":2}})")
              .status == 201);
  const std::string balances = client.get("/v1/accounts/" + user).body;
  const auto before = table_counts();

  SECTION("positions of a new account") {
    const std::string other = unique_user("sym");
    for (const std::string positions :
         {R"({"NOPE":3})", R"({"AAPL":1,"NOPE":3})", R"({"NOPE":0})", R"({"BRK":1})"}) {
      INFO(positions);
      auto response =
          client.post("/v1/accounts",
                      R"({"user_id":")" + other + R"(","cash":"1","positions":)" + positions + "}");
      CHECK(response.status == 422);
      CHECK(problem_type(response) == "unknown-symbol");
      const std::string detail(json(response.body).at("detail").as_string());
      const bool nope = positions.find("NOPE") != std::string::npos;
      CHECK(detail.find(nope ? "NOPE" : "BRK") != std::string::npos);
    }
    CHECK(client.get("/v1/accounts/" + other).status == 404);
    CHECK(table_counts() == before);
    // Every configured symbol is accepted, BRK.A included.
    auto opened = client.post("/v1/accounts",
                              R"({"user_id":")" + other + R"(","positions":{"MSFT":1,"BRK.A":1}})");
    CHECK(opened.status == 201);
  }
  SECTION("share deposits") {
    const std::string path = "/v1/accounts/" + user + "/deposits";
    auto response =
        client.post(path, R"({"symbol":"NOPE","quantity":5})", {{"Idempotency-Key", "sym-key"}});
    CHECK(response.status == 422);
    CHECK(problem_type(response) == "unknown-symbol");
    CHECK(client.post(path, R"({"symbol":"aapl","quantity":5})").status == 422);
    CHECK(client.get("/v1/accounts/" + user).body == balances);
    CHECK(table_counts() == before);
    // Nothing was stored under the key.
    auto deposit =
        client.post(path, R"({"symbol":"AAPL","quantity":5})", {{"Idempotency-Key", "sym-key"}});
    CHECK(deposit.status == 200);
    CHECK_FALSE(deposit.has_header("Idempotent-Replayed"));
    CHECK(json(deposit.body).at("positions").as_array()[0].at("quantity").as_int64() == 7);
  }
}

TEST_CASE("bad account input gets its problem and changes nothing", "[accounts][integration]") {
  HttpClient client = server().client();
  auto before = table_counts();
  struct Case {
    std::string body;
    int status;
    std::string type;
  };
  const std::vector<Case> cases = {
      {R"({"user_id":"x1","cash":)", 400, "malformed-json"},
      {R"([1,2])", 400, ""},
      {R"({"cash":"1"})", 0, ""},                              // missing user_id
      {R"({"user_id":42,"cash":"1"})", 400, ""},                // wrong type
      {R"({"user_id":"a b","cash":"1"})", 422, "invalid-user-id"},
      {R"({"user_id":"x2","cash":"-1"})", 422, "invalid-amount"},
      {R"({"user_id":"x3","cash":"1.00001"})", 422, "amount-scale"},
      {R"({"user_id":"x4","cash":"1e3"})", 422, "invalid-amount"},
      {R"({"user_id":"x5","cash":"100000000000.0001"})", 422, "amount-out-of-range"},
      {R"({"user_id":"x6","cash":100})", 400, ""},
      {R"({"user_id":"x7","positions":{"aapl":1}})", 422, "invalid-symbol"},
      {R"({"user_id":"x8","positions":{"AAPL":-1}})", 422, "invalid-quantity"},
      {R"({"user_id":"x9","positions":{"AAPL":1.5}})", 400, ""},
      {R"({"user_id":"x10","positions":{"AAPL":10000000000000}})", 422, "invalid-quantity"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto response = client.post("/v1/accounts", c.body);
    if (c.status != 0) {
      CHECK(response.status == c.status);
    } else {
      CHECK((response.status == 400 || response.status == 422));
    }
    CHECK(response.header("Content-Type") == "application/problem+json");
    if (!c.type.empty()) CHECK(problem_type(response) == c.type);
  }
  SECTION("a 10 MB body is 413") {
    // Like curl: send the headers and as much of the body as the server takes, then read
    // the answer (the server answers 413 from Content-Length and closes).
    bourse::testing::RawConnection raw("127.0.0.1", static_cast<std::uint16_t>(server().port()));
    const std::size_t size = 10 * 1024 * 1024;
    raw.send("POST /v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: " + std::to_string(size) + "\r\n\r\n");
    (void)raw.send(std::string(size, ' '));  // may fail once the server has closed
    auto response = raw.read_response();
    REQUIRE(response.has_value());
    CHECK(response->status == 413);
    CHECK(response->header("Content-Type") == "application/problem+json");
  }
  CHECK(table_counts() == before);
}
