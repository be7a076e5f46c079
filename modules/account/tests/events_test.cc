// Goal: every account event survives to_json -> parse unchanged, and a malformed or
// unknown-version payload is an error value, never a crash.
#include "bourse/account/events.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <utility>
#include <vector>

namespace bourse::account::events {
namespace {

TradeSettled trade_settled() {
  TradeSettled e;
  e.trade_id = TradeId(1'025);
  e.symbol = "AAPL";
  e.price = *Amount::parse("150.25");
  e.quantity = Quantity::of(10);
  e.buy_order_id = OrderId(7);
  e.sell_order_id = OrderId(8);
  e.buyer = "bob";
  e.seller = "sue";
  e.buy_order_done = true;
  e.sell_order_done = false;
  e.executed_at = "2026-12-01T03:00:00.000001Z";
  e.settled_at = "2026-12-01T03:00:00.250000Z";
  return e;
}

ReservationReleased released_buy() {
  ReservationReleased e;
  e.order_id = OrderId(9);
  e.user_id = "bob";
  e.symbol = "MSFT";
  e.side = Side::kBuy;
  e.cause = ReleaseCause::kCancelled;
  e.reason = "market_remainder";
  e.released_cash = *Amount::parse("12.5");
  return e;
}

ReservationReleased released_sell() {
  ReservationReleased e = released_buy();
  e.side = Side::kSell;
  e.cause = ReleaseCause::kRejected;
  e.reason = "book_full";
  e.released_cash.reset();
  e.released_quantity = Quantity::of(0);
  return e;
}

template <typename Event>
Result<Event> round_trip(const Event& event) {
  return Event::parse(event.to_json(), Event::kVersion);
}

using Edit = std::function<void(boost::json::object&)>;

template <typename Event>
void check_all_malformed(const Event& valid,
                         const std::vector<std::pair<const char*, Edit>>& edits) {
  for (const auto& [name, edit] : edits) {
    INFO(name);
    boost::json::object data = valid.to_json();
    edit(data);
    auto parsed = Event::parse(data, Event::kVersion);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == envelope::kMalformedEventReason);
  }
}

TEST_CASE("TradeSettled: parse(to_json(e)) == e", "[account][events]") {
  TradeSettled e = trade_settled();
  auto parsed = round_trip(e);
  REQUIRE(parsed.ok());
  CHECK(*parsed == e);
  e.buy_order_done = false;
  e.sell_order_done = true;
  parsed = round_trip(e);
  REQUIRE(parsed.ok());
  CHECK(*parsed == e);
  CHECK(e.partition_key() == "AAPL");
  CHECK(e.aggregate_id() == "1025");
  CHECK(e.to_json().at("price").as_string() == "150.25");
}

TEST_CASE("ReservationReleased: parse(to_json(e)) == e for a buy and a sell", "[account][events]") {
  for (const ReservationReleased& e : {released_buy(), released_sell()}) {
    auto parsed = round_trip(e);
    REQUIRE(parsed.ok());
    CHECK(*parsed == e);
    CHECK(e.partition_key() == "MSFT");
    CHECK(e.aggregate_id() == "9");
  }
  ReservationReleased zero = released_buy();
  zero.released_cash = Amount::from_units(0);
  auto parsed = round_trip(zero);
  REQUIRE(parsed.ok());
  CHECK(*parsed == zero);
}

TEST_CASE("release causes spell as documented", "[account][events]") {
  CHECK(to_string(ReleaseCause::kCancelled) == "cancelled");
  CHECK(to_string(ReleaseCause::kRejected) == "rejected");
  CHECK(parse_release_cause("rejected").value() == ReleaseCause::kRejected);
  CHECK_FALSE(parse_release_cause("Cancelled").ok());
}

TEST_CASE("account events: unknown versions are errors", "[account][events]") {
  auto settled = TradeSettled::parse(trade_settled().to_json(), 2);
  REQUIRE_FALSE(settled.ok());
  CHECK(settled.error().reason == envelope::kUnknownVersionReason);
  auto released = ReservationReleased::parse(released_buy().to_json(), 0);
  REQUIRE_FALSE(released.ok());
  CHECK(released.error().reason == envelope::kUnknownVersionReason);
}

TEST_CASE("malformed TradeSettled payloads are errors, not crashes", "[account][events]") {
  check_all_malformed(
      trade_settled(),
      {{"no trade_id", [](boost::json::object& d) { d.erase("trade_id"); }},
       {"zero trade_id", [](boost::json::object& d) { d["trade_id"] = 0; }},
       {"trade_id as text", [](boost::json::object& d) { d["trade_id"] = "1"; }},
       {"same orders", [](boost::json::object& d) { d["sell_order_id"] = d["buy_order_id"]; }},
       {"bad symbol", [](boost::json::object& d) { d["symbol"] = "not a symbol!"; }},
       {"no buyer", [](boost::json::object& d) { d.erase("buyer"); }},
       {"bad seller", [](boost::json::object& d) { d["seller"] = ""; }},
       {"zero price", [](boost::json::object& d) { d["price"] = "0"; }},
       {"price as number", [](boost::json::object& d) { d["price"] = 150; }},
       {"negative quantity", [](boost::json::object& d) { d["quantity"] = -1; }},
       {"zero quantity", [](boost::json::object& d) { d["quantity"] = 0; }},
       {"done as text", [](boost::json::object& d) { d["buy_order_done"] = "true"; }},
       {"no sell done", [](boost::json::object& d) { d.erase("sell_order_done"); }},
       {"no executed_at", [](boost::json::object& d) { d.erase("executed_at"); }},
       {"no settled_at", [](boost::json::object& d) { d.erase("settled_at"); }}});
}

TEST_CASE("malformed ReservationReleased payloads are errors, not crashes", "[account][events]") {
  check_all_malformed(
      released_buy(),
      {{"no order_id", [](boost::json::object& d) { d.erase("order_id"); }},
       {"negative order_id", [](boost::json::object& d) { d["order_id"] = -3; }},
       {"bad user", [](boost::json::object& d) { d["user_id"] = "a b"; }},
       {"bad side", [](boost::json::object& d) { d["side"] = "HOLD"; }},
       {"bad cause", [](boost::json::object& d) { d["cause"] = "expired"; }},
       {"empty reason", [](boost::json::object& d) { d["reason"] = ""; }},
       {"reason with spaces", [](boost::json::object& d) { d["reason"] = "book full"; }},
       {"buy without cash", [](boost::json::object& d) { d.erase("released_cash"); }},
       {"buy with quantity", [](boost::json::object& d) { d["released_quantity"] = 1; }},
       {"negative cash", [](boost::json::object& d) { d["released_cash"] = "-1"; }},
       {"cash not decimal", [](boost::json::object& d) { d["released_cash"] = "ten"; }}});
  check_all_malformed(
      released_sell(),
      {{"sell without quantity", [](boost::json::object& d) { d.erase("released_quantity"); }},
       {"sell with cash", [](boost::json::object& d) { d["released_cash"] = "1"; }},
       {"negative quantity", [](boost::json::object& d) { d["released_quantity"] = -1; }}});
}

}  // namespace
}  // namespace bourse::account::events
