// Goal: in the real `bourse serve` process the virtual reference price is live end to
// end: the generator moves it (on tick) and GET /v1/symbols and /v1/market/{symbol}
// show it; a reference stored in reference_prices reaches the process's view and
// POST /v1/orders then accepts or refuses limit prices per the NEW band (422
// price-outside-band) and reserves market buys from it.
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "bourse/common/money.h"
#include "bourse/db/connection_pool.h"
#include "bourse_process.h"

using bourse::Amount;
using bourse::testing::BourseProcess;

namespace {

boost::json::object get_json(const BourseProcess& process, const std::string& path) {
  auto response = process.client().get(path);
  INFO(path << " -> " << response.status << " " << response.body);
  REQUIRE(response.status == 200);
  return boost::json::parse(response.body).as_object();
}

std::string aapl_reference(const BourseProcess& process) {
  return std::string(get_json(process, "/v1/market/AAPL").at("reference_price").as_string());
}

// Polls GET /v1/market/AAPL (bounded) until `done(reference)` holds; returns the last.
template <typename Predicate>
std::string await_reference(const BourseProcess& process, Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string reference = aapl_reference(process);
  while (!done(reference) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reference = aapl_reference(process);
  }
  return reference;
}

int post_order(const BourseProcess& process, const std::string& body, std::string* answer) {
  auto response = process.client().post("/v1/orders", body);
  if (answer != nullptr) *answer = response.body;
  return response.status;
}

std::string limit_buy(const char* price) {
  return std::string(R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT",)") +
         R"("quantity":10,"price":")" + price + R"("})";
}

}  // namespace

TEST_CASE("the generator moves the served reference price, on tick", "[prices][e2e][integration]") {
  BourseProcess process({"--set", "prices.volatility=10", "--set", "prices.interval_ms=20", "--set",
                         "prices.refresh_ms=50"});
  INFO(process.process().log());
  REQUIRE(process.wait_ready());
  const std::string moved =
      await_reference(process, [](const std::string& reference) { return reference != "150"; });
  CHECK(moved != "150");
  auto price = Amount::parse_positive(moved);
  REQUIRE(price.ok());
  CHECK(price->units() % Amount::parse("0.01").value().units() == 0);
  const auto symbols = get_json(process, "/v1/symbols").at("data").as_array();
  REQUIRE(symbols[0].at("symbol").as_string() == "AAPL");
  CHECK(Amount::parse_positive(std::string(symbols[0].at("reference_price").as_string())).ok());
}

TEST_CASE("orders are checked against the band of the stored reference price",
          "[prices][e2e][integration]") {
  // The generator holds prices still (the BourseProcess default), so what this test
  // stores stays the reference.
  BourseProcess process({"--set", "prices.refresh_ms=50"});
  INFO(process.process().log());
  REQUIRE(process.wait_ready());
  auto account = process.client().post("/v1/accounts",
                                       R"({"user_id":"alice","cash":"100000","positions":{}})");
  REQUIRE(account.status == 201);
  std::string answer;
  CHECK(post_order(process, limit_buy("210"), &answer) == 422);  // configured band [135, 165]
  CHECK(answer.find("price-outside-band") != std::string::npos);

  bourse::db::ConnectionPool pool(process.database().config());
  // The generator seeds the table at its first round; then this test moves AAPL to 200.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  long long updated = 0;
  while (updated == 0 && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(pool.with_session([&](soci::session& session) {
                  soci::statement update =
                      (session.prepare << "UPDATE reference_prices SET price = '200',"
                                          " seq = seq + 1 WHERE symbol = 'AAPL'");
                  update.execute(true);
                  updated = update.get_affected_rows();
                })
                .ok());
    if (updated == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(updated == 1);
  CHECK(await_reference(process, [](const std::string& r) { return r == "200"; }) == "200");

  // New band [180, 220].
  CHECK(post_order(process, limit_buy("210"), &answer) == 202);
  CHECK(post_order(process, limit_buy("150"), &answer) == 422);
  CHECK(answer.find("price-outside-band") != std::string::npos);
  std::string market;
  REQUIRE(post_order(process,
                     R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"MARKET",)"
                     R"("quantity":10})",
                     &market) == 202);
  const auto order_id = boost::json::parse(market).at("order_id").as_int64();
  const auto order = get_json(process, "/v1/orders/" + std::to_string(order_id));
  // 10 x 200 x 1.1 (the cap is fixed at entry; the order is then cancelled unfilled).
  CHECK(Amount::parse(std::string(order.at("reserved").as_string())).value() ==
        Amount::parse("2200").value());
}
