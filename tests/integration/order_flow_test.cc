// Goal: order entry through the real process, as a client sees it: POST /v1/orders
// answers 202 only once the order, its reservation and its OrderCreated are committed
// (the order shows what it reserved, the account shows it held), or 422 at once with
// nothing written when the cash or shares are not there; OrderCreated reaches Kafka on
// its symbol's partition carrying everything matching needs; 200 concurrent orders on one
// account with cash for 120 get exactly 120 202s and 80 422s, with one process and with
// two processes sharing the database.
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <future>

#include "bourse/db/connection_pool.h"
#include "bourse/kafka/producer.h"
#include "bourse/order/events.h"
#include "bourse_process.h"
#include "topic_reader.h"

using bourse::testing::BourseEnvironment;
using bourse::testing::BourseProcess;
using bourse::testing::HttpClient;

namespace {

BourseProcess& server() {
  // Destroyed at exit, which stops the process.
  static std::unique_ptr<BourseProcess> instance = [] {
    auto process = std::make_unique<BourseProcess>();
    if (!process->wait_ready()) FAIL("bourse did not become ready:\n" << process->process().log());
    return process;
  }();
  return *instance;
}

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

long long count(const bourse::testing::TestDatabase& database, const std::string& sql) {
  bourse::db::ConnectionPool pool(database.config());
  long long n = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
  return n;
}

void open_account(const BourseProcess& process, const std::string& user, const std::string& cash) {
  auto client = process.client();
  REQUIRE(client
              .post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash +
                                        R"(","positions":{"MSFT":50}})")
              .status == 201);
}

std::string order_body(const std::string& user, const char* symbol, const char* side,
                       std::int64_t quantity, const char* price) {
  return R"({"user_id":")" + user + R"(","symbol":")" + symbol + R"(","side":")" + side +
         R"(","type":"LIMIT","quantity":)" + std::to_string(quantity) + R"(,"price":")" + price +
         R"("})";
}

boost::json::object get_json(const BourseProcess& process, const std::string& path) {
  auto client = process.client();
  auto response = client.get(path);
  REQUIRE(response.status == 200);
  return json(response.body);
}

std::string problem_type(const std::string& body) {
  std::string type(json(body).at("type").as_string());
  return type.substr(type.rfind('/') + 1);
}

// `orders` POSTs of one 150 buy for `user`, spread over `clients` connections of the
// given processes (round robin); returns the statuses.
std::vector<int> post_concurrently(const std::vector<const BourseProcess*>& processes,
                                   const std::string& user, int orders, int clients) {
  std::vector<std::future<std::vector<int>>> senders;
  for (int c = 0; c < clients; ++c) {
    senders.push_back(std::async(std::launch::async, [&, c] {
      HttpClient client = processes[c % processes.size()]->client();
      std::vector<int> statuses;
      for (int i = c; i < orders; i += clients) {
        statuses.push_back(
            client.post("/v1/orders", order_body(user, "AAPL", "BUY", 1, "150")).status);
      }
      return statuses;
    }));
  }
  std::vector<int> statuses;
  for (auto& sender : senders) {
    auto part = sender.get();
    statuses.insert(statuses.end(), part.begin(), part.end());
  }
  return statuses;
}

}  // namespace

TEST_CASE("a 202 means reserved and committed, and the order shows what it holds",
          "[orders][integration]") {
  open_account(server(), "olga", "10000");
  auto client = server().client();
  auto response = client.post("/v1/orders", order_body("olga", "AAPL", "BUY", 10, "150.25"));
  REQUIRE(response.status == 202);
  auto body = json(response.body);
  CHECK(body.at("status").as_string() == "PENDING");
  const std::int64_t order_id = body.at("order_id").as_int64();
  CHECK(response.header("Location") == "/v1/orders/" + std::to_string(order_id));
  // Right after the answer, with no waiting: the order, its event, the held cash.
  const auto& db = server().database();
  CHECK(count(db, "SELECT COUNT(*) FROM orders WHERE order_id = " + std::to_string(order_id)) == 1);
  CHECK(count(db, "SELECT COUNT(*) FROM order_outbox WHERE event_type = '" +
                      std::string(bourse::order::OrderCreated::kType) +
                      "' AND "
                      "JSON_VALUE(payload, '$.aggregate_id') = '" +
                      std::to_string(order_id) + "'") == 1);
  CHECK(get_json(server(), "/v1/accounts/olga").at("cash").at("reserved").as_string() == "1502.5");
  auto order = get_json(server(), "/v1/orders/" + std::to_string(order_id));
  CHECK(order.at("status").as_string() == "PENDING");
  CHECK(order.at("reserved").as_string() == "1502.5");  // the order knows what it holds
  CHECK(order.at("filled_quantity").as_int64() == 0);
  CHECK(order.at("remaining_quantity").as_int64() == 10);

  // A sell holds shares, and its order says how many.
  auto sell = client.post("/v1/orders", order_body("olga", "MSFT", "SELL", 20, "400"));
  REQUIRE(sell.status == 202);
  auto sold =
      get_json(server(), "/v1/orders/" + std::to_string(json(sell.body).at("order_id").as_int64()));
  CHECK(sold.at("reserved").as_int64() == 20);
  CHECK(get_json(server(), "/v1/accounts/olga")
            .at("positions")
            .as_array()[0]
            .at("reserved")
            .as_int64() == 20);

  // OrderCreated is on the partition the producers' partitioner picks for "AAPL", and
  // carries the terms and the reservation.
  auto messages = bourse::testing::read_topic(server().topic_prefix() + "order-events", 2,
                                              std::chrono::seconds(20));
  bourse::kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = "test-partition-probe";
  auto probe = bourse::kafka::Producer::create(config);
  REQUIRE(probe.ok());
  // A topic nothing consumes, with the same partition count: where "AAPL" goes.
  auto probe_report =
      (*probe)->produce_sync({server().topic_prefix() + "account-events", "AAPL", "probe", {}, {}});
  REQUIRE(probe_report.ok());
  bool found = false;
  for (const auto& message : messages) {
    auto envelope = json(message.value);
    if (envelope.at("data").at("order_id").as_int64() != order_id) continue;
    found = true;
    CHECK(message.key == "AAPL");
    CHECK(message.partition == probe_report->partition);
    CHECK(envelope.at("event_type").as_string() == bourse::order::OrderCreated::kType);
    CHECK(envelope.at("data").at("price").as_string() == "150.25");
    CHECK(envelope.at("data").at("reserved_cash").as_string() == "1502.5");
  }
  CHECK(found);
}

TEST_CASE("missing cash or shares and unknown accounts are 422 at once, with nothing written",
          "[orders][integration]") {
  open_account(server(), "pavel", "100");
  const auto& db = server().database();
  const auto before = std::vector<long long>{count(db, "SELECT COUNT(*) FROM orders"),
                                             count(db, "SELECT COUNT(*) FROM order_outbox"),
                                             count(db, "SELECT COUNT(*) FROM reservations"),
                                             count(db, "SELECT COUNT(*) FROM ledger_entries")};
  auto client = server().client();
  struct Case {
    std::string body;
    const char* type;
    const char* detail;
  };
  for (const Case& c :
       {Case{order_body("pavel", "AAPL", "BUY", 10, "150"), "insufficient-funds",
             "insufficient funds: 100 available, 1500 needed"},
        Case{order_body("pavel", "MSFT", "SELL", 51, "400"), "insufficient-shares",
             "insufficient shares: 50 available, 51 needed"},
        Case{order_body("pavel", "AAPL", "SELL", 1, "150"), "insufficient-shares",
             "insufficient shares: 0 available, 1 needed"},
        Case{order_body("nobody", "AAPL", "BUY", 1, "150"), "unknown-account", nullptr}}) {
    INFO(c.body);
    auto response = client.post("/v1/orders", c.body);
    CHECK(response.status == 422);
    CHECK(response.header("Content-Type") == "application/problem+json");
    CHECK(problem_type(response.body) == c.type);
    if (c.detail != nullptr) CHECK(json(response.body).at("detail").as_string() == c.detail);
  }
  CHECK(before == std::vector<long long>{count(db, "SELECT COUNT(*) FROM orders"),
                                         count(db, "SELECT COUNT(*) FROM order_outbox"),
                                         count(db, "SELECT COUNT(*) FROM reservations"),
                                         count(db, "SELECT COUNT(*) FROM ledger_entries")});
  auto account = get_json(server(), "/v1/accounts/pavel");
  CHECK(account.at("cash").at("reserved").as_string() == "0");
  CHECK(account.at("positions").as_array()[0].at("reserved").as_int64() == 0);
}

TEST_CASE("200 concurrent orders on one account with cash for 120: exactly 120 accepted",
          "[orders][integration]") {
  open_account(server(), "quinn", "18000");  // 120 x 150
  const auto statuses = post_concurrently({&server()}, "quinn", 200, 20);
  CHECK(std::count(statuses.begin(), statuses.end(), 202) == 120);
  CHECK(std::count(statuses.begin(), statuses.end(), 422) == 80);
  const auto& db = server().database();
  CHECK(count(db, "SELECT COUNT(*) FROM orders WHERE user_id = 'quinn'") == 120);
  CHECK(count(db, "SELECT COUNT(*) FROM reservations WHERE user_id = 'quinn'") == 120);
  CHECK(
      count(
          db,
          "SELECT CAST(SUM(reserved_cash_units) AS SIGNED) FROM orders WHERE user_id = 'quinn'") ==
      18000'0000);
  auto account = get_json(server(), "/v1/accounts/quinn");
  CHECK(account.at("cash").at("reserved").as_string() == "18000");
  CHECK(account.at("cash").at("available").as_string() == "0");
}

TEST_CASE("two processes sharing the database never over-reserve one account",
          "[orders][integration][instances]") {
  BourseEnvironment environment;
  BourseProcess first(environment, {});
  BourseProcess second(environment, {});
  INFO(first.process().log());
  INFO(second.process().log());
  REQUIRE(first.wait_ready());
  REQUIRE(second.wait_ready());
  open_account(first, "rita", "18000");
  const auto statuses = post_concurrently({&first, &second}, "rita", 200, 20);
  CHECK(std::count(statuses.begin(), statuses.end(), 202) == 120);
  CHECK(std::count(statuses.begin(), statuses.end(), 422) == 80);
  CHECK(count(environment.database, "SELECT COUNT(*) FROM orders") == 120);
  CHECK(count(environment.database, "SELECT COUNT(*) FROM order_outbox") == 120);
  CHECK(count(environment.database,
              "SELECT CAST(SUM(remaining) AS SIGNED) FROM reservations WHERE user_id = 'rita'") ==
        18000'0000);
  CHECK(get_json(second, "/v1/accounts/rita").at("cash").at("reserved").as_string() == "18000");
}
