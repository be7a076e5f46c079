// Goal: in the real process, a trade whose settlement is dead-lettered is named by the saga
// scheduler (an alert counted in /metrics), listed by GET /v1/admin/dead-letters, and
// POST /v1/admin/dead-letters/{id}/retry applies it once its cause is fixed: the trade
// settles once, the order becomes FILLED, balances move once, and a second retry is 409.
// The cause is made real: the buy's reservation is given another owner before the sell
// crosses it, so settlement fails ("belongs to another user") until it is given back.
// And with two instances on one database: the scheduler runs on exactly one (its lease);
// kill -9 that one and the other takes the lease and does the work (names a new dead letter).
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bourse/common/money.h"
#include "bourse_process.h"

using bourse::testing::BourseProcess;

namespace {

using namespace std::chrono_literals;
constexpr auto kBound = 90s;  // a wait bound for asynchronous steps, not a timed assertion

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

std::int64_t place(BourseProcess& process, const std::string& body) {
  auto client = process.client();
  auto response = client.post("/v1/orders", body);
  INFO(body << " -> " << response.body);
  REQUIRE(response.status == 202);
  return json(response.body).at("order_id").as_int64();
}

std::string order_status(BourseProcess& process, std::int64_t id) {
  auto client = process.client();
  auto response = client.get("/v1/orders/" + std::to_string(id));
  REQUIRE(response.status == 200);
  return std::string(json(response.body).at("status").as_string());
}

void await_status(BourseProcess& process, std::int64_t id, const std::string& status) {
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (order_status(process, id) != status) {
    INFO("order " << id << " never reached " << status << "\n" << process.process().log());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
}

// The account's cash total, in Amount units (decimal strings compare as amounts).
std::int64_t cash_total(BourseProcess& process, const std::string& user) {
  auto client = process.client();
  auto response = client.get("/v1/accounts/" + user);
  REQUIRE(response.status == 200);
  const std::string total(json(response.body).at("cash").as_object().at("total").as_string());
  return bourse::Amount::parse(total).value().units();
}
std::int64_t units(const char* text) { return bourse::Amount::parse(text).value().units(); }

void exec(BourseProcess& process, const std::string& sql) {
  soci::session session(soci::mysql, process.database().config().connection_string());
  session << sql;
}

// Opens alice (cash) and bob (10 AAPL); alice's buy rests, its reservation is given
// another owner, then bob's sell crosses it: settling that trade fails until the
// reservation is given back, so settlement dead-letters it. Returns {buy, sell}.
std::pair<std::int64_t, std::int64_t> cross_with_corrupted_buy(BourseProcess& process) {
  auto client = process.client();
  REQUIRE(client.post("/v1/accounts", R"({"user_id":"alice","cash":"10000","positions":{}})").status == 201);
  REQUIRE(client.post("/v1/accounts", R"({"user_id":"bob","cash":"0","positions":{"AAPL":10}})").status == 201);
  const auto buy = place(process, R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150"})");
  await_status(process, buy, "OPEN");
  exec(process, "UPDATE reservations SET user_id = 'mallory' WHERE order_id = " + std::to_string(buy));
  const auto sell = place(process, R"({"user_id":"bob","symbol":"AAPL","side":"SELL","type":"LIMIT","quantity":10,"price":"150"})");
  return {buy, sell};
}

}  // namespace

TEST_CASE("a settlement dead letter: alerted, listed, retried once after the fix, then 409",
          "[saga][integration]") {
  BourseProcess process({"--set", "scheduler.interval_ms=200", "--set", "scheduler.saga_timeout_ms=500"});
  REQUIRE(process.wait_ready());
  auto client = process.client();
  const auto [buy, sell] = cross_with_corrupted_buy(process);

  // Settlement gives up on the trade: it is listed.
  boost::json::object letter;
  {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (true) {
      auto page = client.get("/v1/admin/dead-letters?unanswered=true");
      REQUIRE(page.status == 200);
      const auto data = json(page.body).at("data").as_array();
      if (!data.empty()) {
        letter = data.at(0).as_object();
        break;
      }
      INFO(process.process().log());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(100ms);
    }
  }
  CHECK(letter.at("event_type").as_string() == "TradeExecuted");
  CHECK(std::string(letter.at("consumer_group").as_string()).ends_with("account-settlement"));
  CHECK(letter.at("answered_at").is_null());
  const std::string retry = "/v1/admin/dead-letters/" + std::to_string(letter.at("id").as_int64()) + "/retry";

  // The scheduler names it (counted in /metrics).
  {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (client.get("/metrics").body.find("class=\"settlement_dead_letter\"") == std::string::npos) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(100ms);
    }
  }

  // Before the fix: refused, nothing applied.
  auto early = client.post(retry, "");
  INFO(early.body);
  CHECK(early.status == 409);
  CHECK(early.body.find("dead-letter-retry-failed") != std::string::npos);
  CHECK(cash_total(process, "bob") == 0);

  // Fixed: applied once; the order status follows.
  exec(process, "UPDATE reservations SET user_id = 'alice' WHERE order_id = " + std::to_string(buy));
  auto applied = client.post(retry, "");
  INFO(applied.body);
  REQUIRE(applied.status == 200);
  CHECK(json(applied.body).at("answer").as_string() == "retried");
  await_status(process, buy, "FILLED");
  await_status(process, sell, "FILLED");
  CHECK(cash_total(process, "alice") == units("8500"));
  CHECK(cash_total(process, "bob") == units("1500"));

  // A second retry: 409, nothing moves twice.
  auto again = client.post(retry, "");
  CHECK(again.status == 409);
  CHECK(again.body.find("dead-letter-already-answered") != std::string::npos);
  CHECK(cash_total(process, "alice") == units("8500"));
  CHECK(cash_total(process, "bob") == units("1500"));
  CHECK(client.get("/v1/admin/dead-letters?unanswered=true").body.find("\"data\":[]") != std::string::npos);
  CHECK(client.get("/v1/admin/dead-letters?limit=0").status == 422);
  CHECK(client.post("/v1/admin/dead-letters/999999/retry", "").status == 404);
}

namespace {

// The value of an unlabelled metric in `process`'s /metrics, or -1 when it is not there.
double metric(BourseProcess& process, const std::string& name) {
  const std::string body = process.client().get("/metrics").body;
  const std::string key = "\n" + name + " ";
  const auto at = body.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + key.size(), body.find('\n', at + 1) - at - key.size()));
}

}  // namespace

TEST_CASE("two instances: the scheduler runs on exactly one, and moves when that one is killed",
          "[saga][integration]") {
  const std::vector<std::string> fast = {"--set", "scheduler.interval_ms=200", "--set",
                                         "scheduler.saga_timeout_ms=500"};
  bourse::testing::BourseEnvironment environment;
  auto one = std::make_unique<BourseProcess>(environment, fast);
  auto two = std::make_unique<BourseProcess>(environment, fast);
  REQUIRE(one->wait_ready());
  REQUIRE(two->wait_ready());

  // Exactly one holds the lease and ticks; the other stands by (no tick of its own).
  const auto holds = [](BourseProcess& p) { return metric(p, "bourse_saga_lease_held") == 1; };
  {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!holds(*one) && !holds(*two)) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(100ms);
    }
  }
  std::this_thread::sleep_for(1s);  // several intervals: the standby tried and was refused
  const bool first_holds = holds(*one);
  BourseProcess& holder = first_holds ? *one : *two;
  BourseProcess& standby = first_holds ? *two : *one;
  CHECK(holds(holder));
  CHECK_FALSE(holds(standby));
  CHECK(metric(holder, "bourse_saga_ticks_total") > 0);
  CHECK(metric(standby, "bourse_saga_ticks_total") <= 0);

  // kill -9 the holder: its database session dies with it, and the lease with the session.
  holder.process().signal(SIGKILL);
  {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!holds(standby) || metric(standby, "bourse_saga_ticks_total") <= 0) {
      INFO(standby.process().log());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(100ms);
    }
  }
  (first_holds ? one : two).reset();

  // The survivor does the scheduler's work: a settlement dead letter made now is named
  // by it (counted in its /metrics).
  BourseProcess& survivor = standby;
  auto client = survivor.client();
  (void)cross_with_corrupted_buy(survivor);
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (client.get("/metrics").body.find("class=\"settlement_dead_letter\"") == std::string::npos) {
    INFO(survivor.process().log());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
}
