// Goal: every order event survives to_json -> parse unchanged, and a malformed or
// unknown-version payload is an error value, never a crash.
#include "bourse/order/events.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <vector>

namespace bourse::order {
namespace {

OrderCreated limit_buy() {
  OrderCreated e;
  e.order_id = OrderId(42);
  e.user_id = "alice";
  e.symbol = "AAPL";
  e.side = Side::kBuy;
  e.type = OrderType::kLimit;
  e.time_in_force = TimeInForce::kGtc;
  e.quantity = Quantity::of(10);
  e.price = *Amount::parse("150.25");
  e.reserved_cash = *Amount::parse("1502.5");
  return e;
}

OrderCreated market_buy() {
  OrderCreated e = limit_buy();
  e.type = OrderType::kMarket;
  e.time_in_force = TimeInForce::kIoc;
  e.price.reset();
  e.reserved_cash = *Amount::parse("1650");
  e.cash_cap = e.reserved_cash;
  return e;
}

OrderCreated limit_sell() {
  OrderCreated e = limit_buy();
  e.side = Side::kSell;
  e.time_in_force = TimeInForce::kFok;
  e.reserved_cash.reset();
  e.reserved_quantity = e.quantity;
  return e;
}

template <typename Event>
Result<Event> round_trip(const Event& event) {
  return Event::parse(event.to_json(), Event::kVersion);
}

TEST_CASE("OrderCreated: parse(to_json(e)) == e for every shape", "[order][events]") {
  for (const OrderCreated& e : {limit_buy(), market_buy(), limit_sell()}) {
    auto parsed = round_trip(e);
    REQUIRE(parsed.ok());
    CHECK(*parsed == e);
  }
  CHECK(limit_buy().partition_key() == "AAPL");
  CHECK(limit_buy().aggregate_id() == "42");
}

TEST_CASE("CancelRequested: parse(to_json(e)) == e", "[order][events]") {
  CancelRequested e{OrderId(7), "bob", "MSFT"};
  auto parsed = round_trip(e);
  REQUIRE(parsed.ok());
  CHECK(*parsed == e);
  CHECK(e.partition_key() == "MSFT");
}

TEST_CASE("unknown versions are errors", "[order][events]") {
  auto created = OrderCreated::parse(limit_buy().to_json(), 2);
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().reason == envelope::kUnknownVersionReason);
  auto cancel = CancelRequested::parse(CancelRequested{OrderId(1), "a", "AAPL"}.to_json(), 0);
  REQUIRE_FALSE(cancel.ok());
  CHECK(cancel.error().reason == envelope::kUnknownVersionReason);
}

TEST_CASE("malformed OrderCreated payloads are errors, not crashes", "[order][events]") {
  using Edit = std::function<void(boost::json::object&)>;
  const std::vector<std::pair<const char*, Edit>> edits = {
      {"no order_id", [](auto& d) { d.erase("order_id"); }},
      {"order_id 0", [](auto& d) { d["order_id"] = 0; }},
      {"order_id text", [](auto& d) { d["order_id"] = "42"; }},
      {"bad user", [](auto& d) { d["user_id"] = "a b"; }},
      {"bad symbol", [](auto& d) { d["symbol"] = "aapl"; }},
      {"bad side", [](auto& d) { d["side"] = "buy"; }},
      {"bad type", [](auto& d) { d["type"] = "STOP"; }},
      {"bad tif", [](auto& d) { d["time_in_force"] = "DAY"; }},
      {"zero quantity", [](auto& d) { d["quantity"] = 0; }},
      {"huge quantity", [](auto& d) { d["quantity"] = std::int64_t{1} << 62; }},
      {"quantity float", [](auto& d) { d["quantity"] = 1.5; }},
      {"no price on LIMIT", [](auto& d) { d.erase("price"); }},
      {"price not decimal", [](auto& d) { d["price"] = "1e3"; }},
      {"price negative", [](auto& d) { d["price"] = "-1"; }},
      {"no reserved_cash on BUY", [](auto& d) { d.erase("reserved_cash"); }},
      {"reserved_quantity on BUY", [](auto& d) { d["reserved_quantity"] = 10; }},
      {"cash_cap on LIMIT", [](auto& d) { d["cash_cap"] = "1"; }},
      {"reserved_cash a number", [](auto& d) { d["reserved_cash"] = 1502; }},
  };
  for (const auto& [name, edit] : edits) {
    INFO(name);
    boost::json::object data = limit_buy().to_json();
    edit(data);
    auto parsed = OrderCreated::parse(data, 1);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == envelope::kMalformedEventReason);
  }
  SECTION("a SELL must reserve exactly its quantity") {
    boost::json::object data = limit_sell().to_json();
    data["reserved_quantity"] = 9;
    CHECK_FALSE(OrderCreated::parse(data, 1).ok());
  }
  SECTION("a MARKET BUY needs its cash cap") {
    boost::json::object data = market_buy().to_json();
    data.erase("cash_cap");
    CHECK_FALSE(OrderCreated::parse(data, 1).ok());
  }
  SECTION("an empty object") { CHECK_FALSE(OrderCreated::parse({}, 1).ok()); }
}

TEST_CASE("malformed CancelRequested payloads are errors", "[order][events]") {
  CHECK_FALSE(CancelRequested::parse({}, 1).ok());
  CHECK_FALSE(
      CancelRequested::parse({{"order_id", -1}, {"user_id", "a"}, {"symbol", "AAPL"}}, 1).ok());
  CHECK_FALSE(
      CancelRequested::parse({{"order_id", 1}, {"user_id", 5}, {"symbol", "AAPL"}}, 1).ok());
}

TEST_CASE("events decode from their envelope", "[order][events]") {
  envelope::Envelope env{"id",
                         std::string(OrderCreated::kType),
                         OrderCreated::kVersion,
                         "t",
                         "order",
                         "42",
                         limit_buy().to_json()};
  auto decoded = envelope::decode<OrderCreated>(env);
  REQUIRE(decoded.ok());
  CHECK(*decoded == limit_buy());
  CHECK_FALSE(envelope::decode<CancelRequested>(env).ok());
}

}  // namespace
}  // namespace bourse::order
