// Goal: orders trade end to end through the real process, MariaDB and Kafka, as a client
// sees it over HTTP: order entry reserves, matching places and crosses by price-time
// priority, settlement moves cash and shares exactly once at the trade price and releases
// what is no longer needed, and the order status follows (FILLED / PARTIALLY_FILLED count
// settled trades; CANCELLED once the reservation is released). Each TEST_CASE runs its own
// process with a fresh database and fresh topics, so books start empty.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "bourse/common/money.h"
#include "bourse_process.h"

using bourse::Amount;
using bourse::testing::BourseProcess;

namespace {

using namespace std::chrono_literals;

// Everything after a 202 is asynchronous (relay → matching → relay → settlement → relay →
// status): generous, because CI machines are slow; a healthy run takes well under a second.
constexpr auto kSettleTimeout = 60s;

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

boost::json::object get_json(const BourseProcess& process, const std::string& path) {
  auto client = process.client();
  auto response = client.get(path);
  INFO(path << " -> " << response.status << " " << response.body);
  REQUIRE(response.status == 200);
  return json(response.body);
}

// Decimal strings compared as exact amounts ("150" == "150.00").
std::int64_t units(const boost::json::value& value) {
  auto amount = Amount::parse(std::string(value.as_string()));
  REQUIRE(amount.ok());
  return amount->units();
}
std::int64_t units(const char* text) { return Amount::parse(text).value().units(); }

void open_account(const BourseProcess& process, const std::string& user, const char* cash,
                  const std::string& positions = "{}") {
  auto client = process.client();
  auto response = client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash +
                                                  R"(","positions":)" + positions + "}");
  INFO(response.body);
  REQUIRE(response.status == 201);
}

std::int64_t place(const BourseProcess& process, const std::string& body) {
  auto client = process.client();
  auto response = client.post("/v1/orders", body);
  INFO(body << " -> " << response.body);
  REQUIRE(response.status == 202);
  return json(response.body).at("order_id").as_int64();
}

std::string limit(const std::string& user, const char* symbol, const char* side,
                  std::int64_t quantity, const char* price, const char* tif = "GTC") {
  return R"({"user_id":")" + user + R"(","symbol":")" + symbol + R"(","side":")" + side +
         R"(","type":"LIMIT","quantity":)" + std::to_string(quantity) + R"(,"price":")" + price +
         R"(","time_in_force":")" + tif + R"("})";
}

std::string market(const std::string& user, const char* symbol, const char* side,
                   std::int64_t quantity) {
  return R"({"user_id":")" + user + R"(","symbol":")" + symbol + R"(","side":")" + side +
         R"(","type":"MARKET","quantity":)" + std::to_string(quantity) + "}";
}

boost::json::object order(const BourseProcess& process, std::int64_t id) {
  return get_json(process, "/v1/orders/" + std::to_string(id));
}

// Polls the order until its status is `status` (and `filled` if given), then returns it.
boost::json::object await_order(const BourseProcess& process, std::int64_t id,
                                const std::string& status,
                                std::optional<std::int64_t> filled = std::nullopt) {
  const auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
  boost::json::object last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = order(process, id);
    if (last.at("status").as_string() == status &&
        (!filled || last.at("filled_quantity").as_int64() == *filled)) {
      return last;
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL("order " << id << " never reached " << status << "; last: "
                << boost::json::serialize(last) << "\nserver log:\n"
                << const_cast<BourseProcess&>(process).process().log());
  return last;
}

struct Cash {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;
};
Cash cash_of(const BourseProcess& process, const std::string& user) {
  const boost::json::object account = get_json(process, "/v1/accounts/" + user);
  const auto& cash = account.at("cash").as_object();
  return Cash{units(cash.at("total")), units(cash.at("reserved")), units(cash.at("available"))};
}

struct Holding {
  std::int64_t quantity = 0;
  std::int64_t reserved = 0;
};
Holding shares_of(const BourseProcess& process, const std::string& user, const std::string& symbol) {
  const boost::json::object account = get_json(process, "/v1/accounts/" + user);
  for (const auto& position : account.at("positions").as_array()) {
    const auto& p = position.as_object();
    if (p.at("symbol").as_string() == symbol) {
      return Holding{p.at("quantity").as_int64(), p.at("reserved").as_int64()};
    }
  }
  return Holding{};
}

boost::json::array trades(const BourseProcess& process, const std::string& query) {
  const boost::json::object page = get_json(process, "/v1/trades?" + query);
  return page.at("data").as_array();
}

}  // namespace

TEST_CASE("a limit buy and a limit sell cross: both FILLED, one trade, exact balances",
          "[e2e][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  open_account(process, "seller", "0", R"({"AAPL":10})");
  open_account(process, "buyer", "10000");

  const auto sell = place(process, limit("seller", "AAPL", "SELL", 10, "150.25"));
  await_order(process, sell, "OPEN");
  const auto buy = place(process, limit("buyer", "AAPL", "BUY", 10, "151"));

  auto bought = await_order(process, buy, "FILLED", 10);
  auto sold = await_order(process, sell, "FILLED", 10);
  CHECK(units(bought.at("average_price")) == units("150.25"));  // the maker's price
  CHECK(units(sold.at("average_price")) == units("150.25"));
  CHECK(bought.at("remaining_quantity").as_int64() == 0);

  // The buyer paid 10 x 150.25 (not the 151 limit: the improvement was released).
  const Cash buyer = cash_of(process, "buyer");
  CHECK(buyer.total == units("10000") - units("1502.5"));
  CHECK(buyer.reserved == 0);
  CHECK(shares_of(process, "buyer", "AAPL").quantity == 10);
  const Cash seller = cash_of(process, "seller");
  CHECK(seller.total == units("1502.5"));
  CHECK(seller.reserved == 0);
  CHECK(shares_of(process, "seller", "AAPL").quantity == 0);
  CHECK(shares_of(process, "seller", "AAPL").reserved == 0);

  auto all = trades(process, "symbol=AAPL");
  REQUIRE(all.size() == 1);
  const auto& trade = all[0].as_object();
  CHECK(trade.at("quantity").as_int64() == 10);
  CHECK(units(trade.at("price")) == units("150.25"));
  CHECK(trade.at("buy_order_id").as_int64() == buy);
  CHECK(trade.at("sell_order_id").as_int64() == sell);
  CHECK(trade.at("buyer").as_string() == "buyer");
  CHECK(trade.at("seller").as_string() == "seller");
  CHECK_FALSE(trade.at("settled_at").is_null());
}

// The sum of a metric's samples on /metrics (0 when the process has none).
double metric_sum(const BourseProcess& process, const std::string& name) {
  auto client = process.client();
  auto response = client.get("/metrics");
  REQUIRE(response.status == 200);
  double sum = 0;
  std::istringstream lines(response.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

TEST_CASE("roles: a gateway takes orders, a matcher matches, a full instance settles",
          "[e2e][integration]") {
  bourse::testing::BourseEnvironment environment;
  // 1. The gateway alone reserves and relays but does not match: the order stays PENDING
  //    and no input is applied here (a matching instance rests it well within the pause).
  BourseProcess gateway(environment, {"--set", "roles.matching=false", "--set",
                                      "roles.event_consumers=false"});
  REQUIRE(gateway.wait_ready());
  open_account(gateway, "seller", "0", R"({"AAPL":10})");
  open_account(gateway, "buyer", "10000");
  const auto sell = place(gateway, limit("seller", "AAPL", "SELL", 10, "150.25"));
  std::this_thread::sleep_for(3s);
  CHECK(order(gateway, sell).at("status").as_string() == "PENDING");
  CHECK(metric_sum(gateway, "bourse_matching_inputs_applied_total") == 0);

  // 2. A matcher (no consumers) rests the order, but with no status follower anywhere the
  //    order still reads PENDING: neither instance consumes the matching events.
  BourseProcess matcher(environment, {"--set", "roles.event_consumers=false"});
  REQUIRE(matcher.wait_ready());
  const auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
  while (metric_sum(matcher, "bourse_matching_inputs_applied_total") < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(metric_sum(matcher, "bourse_matching_inputs_applied_total") >= 1);
  std::this_thread::sleep_for(3s);
  CHECK(order(gateway, sell).at("status").as_string() == "PENDING");

  // 3. A full instance follows, settles, and the orders move on as usual.
  BourseProcess full(environment, {});
  REQUIRE(full.wait_ready());
  await_order(gateway, sell, "OPEN");
  const auto buy = place(gateway, limit("buyer", "AAPL", "BUY", 10, "151"));
  await_order(gateway, buy, "FILLED", 10);
  await_order(gateway, sell, "FILLED", 10);
  CHECK(cash_of(gateway, "buyer").total == units("10000") - units("1502.5"));
  CHECK(cash_of(gateway, "seller").total == units("1502.5"));
  CHECK(shares_of(gateway, "buyer", "AAPL").quantity == 10);
  CHECK(metric_sum(gateway, "bourse_matching_inputs_applied_total") == 0);
}

TEST_CASE("a buy at 101 filled at 99, 100 and 101 pays exactly the three trades",
          "[e2e][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  open_account(process, "s1", "0", R"({"MSFT":30})");
  open_account(process, "b1", "100000");
  // MSFT's reference is 400 with a 10% band: prices 360..440.
  const auto a = place(process, limit("s1", "MSFT", "SELL", 10, "399"));
  const auto b = place(process, limit("s1", "MSFT", "SELL", 10, "400"));
  const auto c = place(process, limit("s1", "MSFT", "SELL", 10, "401"));
  for (auto id : {a, b, c}) await_order(process, id, "OPEN");
  const auto buy = place(process, limit("b1", "MSFT", "BUY", 30, "401"));

  auto filled = await_order(process, buy, "FILLED", 30);
  // (399 + 400 + 401) x 10 = 12,000; average 400.
  CHECK(units(filled.at("average_price")) == units("400"));
  const Cash buyer = cash_of(process, "b1");
  CHECK(buyer.total == units("100000") - units("12000"));
  CHECK(buyer.reserved == 0);
  CHECK(buyer.available == buyer.total);
  CHECK(cash_of(process, "s1").total == units("12000"));
  CHECK(trades(process, "order_id=" + std::to_string(buy)).size() == 3);
}

TEST_CASE("market, IOC, FOK and self-trade remainders are cancelled and released",
          "[e2e][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  open_account(process, "maker", "100000", R"({"AAPL":100})");
  open_account(process, "taker", "100000", R"({"AAPL":100})");

  SECTION("a market buy larger than the book fills what rests, the rest is released") {
    const auto resting = place(process, limit("maker", "AAPL", "SELL", 5, "150"));
    await_order(process, resting, "OPEN");
    const auto buy = place(process, market("taker", "AAPL", "BUY", 8));
    auto done = await_order(process, buy, "CANCELLED", 5);
    CHECK(done.at("cancel_reason").as_string() == "market_remainder");
    const Cash taker = cash_of(process, "taker");
    CHECK(taker.total == units("100000") - units("750"));
    CHECK(taker.reserved == 0);  // the unspent cap came back
  }
  SECTION("IOC fills what it can and cancels the rest") {
    const auto resting = place(process, limit("maker", "AAPL", "SELL", 3, "150"));
    await_order(process, resting, "OPEN");
    const auto ioc = place(process, limit("taker", "AAPL", "BUY", 10, "150", "IOC"));
    auto done = await_order(process, ioc, "CANCELLED", 3);
    CHECK(done.at("cancel_reason").as_string() == "ioc_remainder");
    CHECK(cash_of(process, "taker").reserved == 0);
    CHECK(cash_of(process, "taker").total == units("100000") - units("450"));
  }
  SECTION("FOK that cannot fill completely leaves nothing but a CANCELLED order") {
    const auto resting = place(process, limit("maker", "AAPL", "SELL", 3, "150"));
    await_order(process, resting, "OPEN");
    const auto fok = place(process, limit("taker", "AAPL", "BUY", 10, "150", "FOK"));
    auto done = await_order(process, fok, "CANCELLED", 0);
    CHECK(done.at("cancel_reason").as_string() == "fok_not_fillable");
    CHECK(cash_of(process, "taker").reserved == 0);
    CHECK(cash_of(process, "taker").total == units("100000"));
    CHECK(order(process, resting).at("status").as_string() == "OPEN");  // untouched
    CHECK(trades(process, "symbol=AAPL").empty());
  }
  SECTION("self-trade: the incoming remainder is cancelled, the resting order untouched") {
    const auto resting = place(process, limit("maker", "AAPL", "SELL", 4, "150"));
    await_order(process, resting, "OPEN");
    const auto own = place(process, limit("maker", "AAPL", "BUY", 4, "150"));
    auto done = await_order(process, own, "CANCELLED", 0);
    CHECK(done.at("cancel_reason").as_string() == "self_trade");
    CHECK(order(process, resting).at("status").as_string() == "OPEN");
    CHECK(order(process, resting).at("remaining_quantity").as_int64() == 4);
    CHECK(trades(process, "symbol=AAPL").empty());
  }
}

TEST_CASE("DELETE cancels a resting order and releases it; a second DELETE is 409",
          "[e2e][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  open_account(process, "carol", "10000");
  const auto id = place(process, limit("carol", "AAPL", "BUY", 10, "140"));
  await_order(process, id, "OPEN");
  CHECK(cash_of(process, "carol").reserved == units("1400"));

  auto client = process.client();
  CHECK(client.request("DELETE", "/v1/orders/" + std::to_string(id)).status == 202);
  auto cancelled = await_order(process, id, "CANCELLED", 0);
  CHECK(cancelled.at("cancel_reason").as_string() == "user");
  CHECK(cash_of(process, "carol").reserved == 0);
  CHECK(cash_of(process, "carol").available == units("10000"));
  CHECK(client.request("DELETE", "/v1/orders/" + std::to_string(id)).status == 409);

  // A cancel sent right after the 202, before the order can have reached its book.
  const auto racing = place(process, limit("carol", "AAPL", "BUY", 5, "141"));
  CHECK(client.request("DELETE", "/v1/orders/" + std::to_string(racing)).status == 202);
  auto raced = await_order(process, racing, "CANCELLED", 0);
  CHECK(raced.at("cancel_reason").as_string() == "user");
  CHECK(cash_of(process, "carol").reserved == 0);
}
