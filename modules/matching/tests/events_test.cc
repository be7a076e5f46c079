// Goal: every matching event survives to_json -> parse unchanged; a malformed, missing,
// mistyped or unknown-version payload is an error value, never a crash; the ids are the
// documented functions of their inputs.
#include "bourse/matching/events.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace bourse::matching::events {
namespace {

OrderAccepted accepted() {
  OrderAccepted e;
  e.order_id = OrderId(42);
  e.user_id = "alice";
  e.symbol = "AAPL";
  e.side = Side::kSell;
  e.price = *Amount::parse("150.25");
  e.resting_quantity = Quantity::of(7);
  return e;
}

TradeExecuted trade() {
  TradeExecuted e;
  e.trade_id = global_trade_id(3, 9);
  e.symbol = "AAPL";
  e.price = *Amount::parse("150.25");
  e.quantity = Quantity::of(3);
  e.buy_order_id = OrderId(43);
  e.sell_order_id = OrderId(42);
  e.buyer = "bob";
  e.seller = "alice";
  e.taker_side = Side::kBuy;
  e.buy_remaining = Quantity::of(0);
  e.sell_remaining = Quantity::of(4);
  e.executed_at = "2026-11-24T17:05:39.123456Z";
  return e;
}

OrderCancelled cancelled() {
  OrderCancelled e;
  e.order_id = OrderId(42);
  e.user_id = "alice";
  e.symbol = "AAPL";
  e.side = Side::kSell;
  e.reason = CancelReason::kIocRemainder;
  e.cancelled_quantity = Quantity::of(4);
  return e;
}

OrderRejected rejected() {
  OrderRejected e;
  e.order_id = OrderId(44);
  e.user_id = "carol";
  e.symbol = "MSFT";
  e.side = Side::kBuy;
  e.reason = RejectReason::kBookFull;
  return e;
}

CancelTooLate too_late() { return CancelTooLate{OrderId(45), "dave", "BRK.B"}; }

template <typename Event>
Result<Event> round_trip(const Event& event) {
  return Event::parse(event.to_json(), Event::kVersion);
}

using Edit = std::function<void(boost::json::object&)>;

// Applies each edit to a fresh to_json(good) and requires a malformed_event error.
template <typename Event>
void require_all_malformed(const Event& good,
                           const std::vector<std::pair<const char*, Edit>>& edits) {
  for (const auto& [name, edit] : edits) {
    INFO(Event::kType << ": " << name);
    boost::json::object data = good.to_json();
    edit(data);
    auto parsed = Event::parse(data, Event::kVersion);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == envelope::kMalformedEventReason);
  }
}

// Every field of `good` removed in turn, set to null and replaced by each of a few values
// of the wrong JSON type: all errors.
template <typename Event>
void require_fields_required(const Event& good) {
  const boost::json::object data = good.to_json();
  for (const auto& field : data) {
    const std::string key(field.key());
    INFO(Event::kType << "." << key);
    {
      boost::json::object missing = data;
      missing.erase(key);
      auto parsed = Event::parse(missing, Event::kVersion);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().reason == envelope::kMalformedEventReason);
    }
    std::vector<boost::json::value> wrong = {nullptr, true, 1.5, boost::json::array{},
                                             boost::json::object{}};
    if (field.value().is_string()) wrong.emplace_back(7);
    if (field.value().is_int64()) wrong.emplace_back("7");
    for (const boost::json::value& value : wrong) {
      INFO("as " << boost::json::serialize(value));
      boost::json::object mistyped = data;
      mistyped[key] = value;
      auto parsed = Event::parse(mistyped, Event::kVersion);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().code == ErrorCode::kMalformed);
    }
  }
  CHECK_FALSE(Event::parse(boost::json::object{}, Event::kVersion).ok());
}

template <typename Event>
void require_unknown_versions_refused(const Event& good) {
  for (std::int64_t version : {std::int64_t{0}, std::int64_t{2}, std::int64_t{-1},
                               std::numeric_limits<std::int64_t>::max()}) {
    auto parsed = Event::parse(good.to_json(), version);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == envelope::kUnknownVersionReason);
  }
}

// Edits shared by the events that start with order_id, user_id, symbol.
std::vector<std::pair<const char*, Edit>> identity_edits() {
  return {
      {"order_id 0", [](auto& d) { d["order_id"] = 0; }},
      {"order_id negative", [](auto& d) { d["order_id"] = -3; }},
      {"order_id above int64", [](auto& d) { d["order_id"] = std::uint64_t{1} << 63; }},
      {"user empty", [](auto& d) { d["user_id"] = ""; }},
      {"user with a space", [](auto& d) { d["user_id"] = "a b"; }},
      {"user too long", [](auto& d) { d["user_id"] = std::string(65, 'a'); }},
      {"symbol lower case", [](auto& d) { d["symbol"] = "aapl"; }},
      {"symbol empty", [](auto& d) { d["symbol"] = ""; }},
      {"symbol too long", [](auto& d) { d["symbol"] = std::string(17, 'A'); }},
  };
}

TEST_CASE("matching events: parse(to_json(e)) == e for every type", "[matching][events]") {
  SECTION("OrderAccepted") {
    for (Side side : {Side::kBuy, Side::kSell}) {
      OrderAccepted e = accepted();
      e.side = side;
      auto parsed = round_trip(e);
      REQUIRE(parsed.ok());
      CHECK(*parsed == e);
    }
    OrderAccepted extreme = accepted();
    extreme.order_id = OrderId(std::numeric_limits<std::int64_t>::max());
    extreme.price = Amount::from_units(Amount::kMaxUnits);
    extreme.resting_quantity = Quantity::of(Quantity::kMax);
    auto parsed = round_trip(extreme);
    REQUIRE(parsed.ok());
    CHECK(*parsed == extreme);
    CHECK(accepted().partition_key() == "AAPL");
    CHECK(accepted().aggregate_id() == "42");
  }
  SECTION("TradeExecuted") {
    TradeExecuted e = trade();
    auto parsed = round_trip(e);
    REQUIRE(parsed.ok());
    CHECK(*parsed == e);
    e.taker_side = Side::kSell;
    e.executed_at.clear();  // as ShardState leaves it, before the adapter stamps it
    e.price = Amount::from_units(1);
    parsed = round_trip(e);
    REQUIRE(parsed.ok());
    CHECK(*parsed == e);
    CHECK(e.partition_key() == "AAPL");
    CHECK(e.aggregate_id() == std::to_string(9 * kMaxPartitions + 3));
  }
  SECTION("OrderCancelled, every reason") {
    for (CancelReason reason :
         {CancelReason::kUser, CancelReason::kIocRemainder, CancelReason::kMarketRemainder,
          CancelReason::kFokNotFillable, CancelReason::kSelfTrade, CancelReason::kCashCap}) {
      OrderCancelled e = cancelled();
      e.reason = reason;
      e.cancelled_quantity = Quantity::of(reason == CancelReason::kUser ? 0 : 4);
      auto parsed = round_trip(e);
      REQUIRE(parsed.ok());
      CHECK(*parsed == e);
      CHECK(parsed->to_json()["reason"].as_string() == to_string(reason));
    }
    CHECK(cancelled().aggregate_id() == "42");
  }
  SECTION("OrderRejected, every reason") {
    for (RejectReason reason :
         {RejectReason::kBookFull, RejectReason::kUnknownSymbol, RejectReason::kInvalidOrder}) {
      OrderRejected e = rejected();
      e.reason = reason;
      auto parsed = round_trip(e);
      REQUIRE(parsed.ok());
      CHECK(*parsed == e);
    }
    CHECK(rejected().partition_key() == "MSFT");
  }
  SECTION("CancelTooLate") {
    auto parsed = round_trip(too_late());
    REQUIRE(parsed.ok());
    CHECK(*parsed == too_late());
    CHECK(too_late().partition_key() == "BRK.B");
    CHECK(too_late().aggregate_id() == "45");
  }
}

TEST_CASE("matching events: the wire spellings", "[matching][events]") {
  const boost::json::object data = trade().to_json();
  CHECK(data.at("price").as_string() == "150.25");
  CHECK(data.at("quantity").as_int64() == 3);
  CHECK(data.at("taker_side").as_string() == "BUY");
  CHECK(data.at("trade_id").as_int64() == 9 * 1024 + 3);
  CHECK(data.size() == 12);
  const boost::json::object c = cancelled().to_json();
  CHECK(c.at("reason").as_string() == "ioc_remainder");
  CHECK(c.at("side").as_string() == "SELL");
  CHECK(accepted().to_json().size() == 6);
  CHECK(rejected().to_json().at("reason").as_string() == "book_full");
  CHECK(too_late().to_json().size() == 3);
}

TEST_CASE("matching events: reasons and their parsers", "[matching][events]") {
  const std::vector<std::pair<CancelReason, std::string_view>> cancels = {
      {CancelReason::kUser, "user"},
      {CancelReason::kIocRemainder, "ioc_remainder"},
      {CancelReason::kMarketRemainder, "market_remainder"},
      {CancelReason::kFokNotFillable, "fok_not_fillable"},
      {CancelReason::kSelfTrade, "self_trade"},
      {CancelReason::kCashCap, "cash_cap"}};
  for (const auto& [reason, text] : cancels) {
    CHECK(to_string(reason) == text);
    auto parsed = parse_cancel_reason(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == reason);
  }
  const std::vector<std::pair<RejectReason, std::string_view>> rejects = {
      {RejectReason::kBookFull, "book_full"},
      {RejectReason::kUnknownSymbol, "unknown_symbol"},
      {RejectReason::kInvalidOrder, "invalid_order"}};
  for (const auto& [reason, text] : rejects) {
    CHECK(to_string(reason) == text);
    auto parsed = parse_reject_reason(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == reason);
  }
  for (std::string_view bad :
       {"", "USER", "user ", "user_before_arrival", "book_full", "ioc-remainder", "cash_cap\n"}) {
    CHECK_FALSE(parse_cancel_reason(bad).ok());
  }
  for (std::string_view bad : {"", "BOOK_FULL", "user", "invalid_price", "duplicate_order_id"}) {
    CHECK_FALSE(parse_reject_reason(bad).ok());
  }
  CHECK(parse_cancel_reason(std::string(10'000, 'x')).error().code == ErrorCode::kMalformed);
}

TEST_CASE("matching events: unknown versions are errors", "[matching][events]") {
  require_unknown_versions_refused(accepted());
  require_unknown_versions_refused(trade());
  require_unknown_versions_refused(cancelled());
  require_unknown_versions_refused(rejected());
  require_unknown_versions_refused(too_late());
}

TEST_CASE("matching events: missing fields and wrong types are errors", "[matching][events]") {
  require_fields_required(accepted());
  require_fields_required(trade());
  require_fields_required(cancelled());
  require_fields_required(rejected());
  require_fields_required(too_late());
}

TEST_CASE("matching events: malformed values are errors, not crashes", "[matching][events]") {
  require_all_malformed(accepted(), identity_edits());
  require_all_malformed(cancelled(), identity_edits());
  require_all_malformed(rejected(), identity_edits());
  require_all_malformed(too_late(), identity_edits());

  require_all_malformed(accepted(),
                        {
                            {"side lower case", [](auto& d) { d["side"] = "buy"; }},
                            {"side unknown", [](auto& d) { d["side"] = "HOLD"; }},
                            {"price zero", [](auto& d) { d["price"] = "0"; }},
                            {"price negative", [](auto& d) { d["price"] = "-1"; }},
                            {"price exponent", [](auto& d) { d["price"] = "1e3"; }},
                            {"price five decimals", [](auto& d) { d["price"] = "1.00001"; }},
                            {"price too large", [](auto& d) { d["price"] = "100000000000.0001"; }},
                            {"price empty", [](auto& d) { d["price"] = ""; }},
                            {"price a number", [](auto& d) { d["price"] = 150; }},
                            {"resting 0", [](auto& d) { d["resting_quantity"] = 0; }},
                            {"resting negative", [](auto& d) { d["resting_quantity"] = -1; }},
                            {"resting above the ceiling",
                             [](auto& d) { d["resting_quantity"] = Quantity::kMax + 1; }},
                        });

  require_all_malformed(
      trade(),
      {
          {"trade_id 0", [](auto& d) { d["trade_id"] = 0; }},
          {"trade_id negative", [](auto& d) { d["trade_id"] = -1; }},
          {"symbol bad", [](auto& d) { d["symbol"] = "1AB"; }},
          {"price zero", [](auto& d) { d["price"] = "0"; }},
          {"price garbage", [](auto& d) { d["price"] = "abc"; }},
          {"quantity 0", [](auto& d) { d["quantity"] = 0; }},
          {"quantity huge", [](auto& d) { d["quantity"] = std::int64_t{1} << 62; }},
          {"buy id 0", [](auto& d) { d["buy_order_id"] = 0; }},
          {"sell id negative", [](auto& d) { d["sell_order_id"] = -42; }},
          {"same order ids", [](auto& d) { d["sell_order_id"] = d["buy_order_id"]; }},
          {"buyer invalid", [](auto& d) { d["buyer"] = "b@b"; }},
          {"seller empty", [](auto& d) { d["seller"] = ""; }},
          {"taker side unknown", [](auto& d) { d["taker_side"] = "Buy"; }},
          {"buy_remaining negative", [](auto& d) { d["buy_remaining"] = -1; }},
          {"sell_remaining too large", [](auto& d) { d["sell_remaining"] = Quantity::kMax + 1; }},
          {"executed_at too long", [](auto& d) { d["executed_at"] = std::string(65, '1'); }},
          {"executed_at with a newline", [](auto& d) { d["executed_at"] = "2026-11-24\n"; }},
      });

  require_all_malformed(
      cancelled(),
      {
          {"side unknown", [](auto& d) { d["side"] = "sell"; }},
          {"reason unknown", [](auto& d) { d["reason"] = "because"; }},
          {"reason of the engine only", [](auto& d) { d["reason"] = "user_before_arrival"; }},
          {"reason a reject reason", [](auto& d) { d["reason"] = "book_full"; }},
          {"reason empty", [](auto& d) { d["reason"] = ""; }},
          {"cancelled negative", [](auto& d) { d["cancelled_quantity"] = -1; }},
          {"cancelled too large", [](auto& d) { d["cancelled_quantity"] = Quantity::kMax + 1; }},
      });

  require_all_malformed(rejected(),
                        {
                            {"side unknown", [](auto& d) { d["side"] = ""; }},
                            {"reason unknown", [](auto& d) { d["reason"] = "nope"; }},
                            {"reason a cancel reason", [](auto& d) { d["reason"] = "user"; }},
                        });
}

TEST_CASE("matching events: unknown fields are ignored", "[matching][events]") {
  boost::json::object data = trade().to_json();
  data["future_field"] = "x";
  auto parsed = TradeExecuted::parse(data, 1);
  REQUIRE(parsed.ok());
  CHECK(*parsed == trade());
}

TEST_CASE("matching events decode from their envelope", "[matching][events]") {
  envelope::Envelope env{output_event_id(3, 17, 0),
                         std::string(TradeExecuted::kType),
                         TradeExecuted::kVersion,
                         "t",
                         std::string(TradeExecuted::kAggregateType),
                         trade().aggregate_id(),
                         trade().to_json()};
  auto decoded = envelope::decode<TradeExecuted>(env);
  REQUIRE(decoded.ok());
  CHECK(*decoded == trade());
  auto wrong = envelope::decode<OrderCancelled>(env);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().reason == envelope::kWrongEventTypeReason);
  auto reparsed = envelope::parse(envelope::serialize(env));
  REQUIRE(reparsed.ok());
  CHECK(envelope::decode<TradeExecuted>(*reparsed).ok());
}

TEST_CASE("output_event_id spells partition, offset and index", "[matching][events][ids]") {
  CHECK(output_event_id(0, 0, 0) == "m-0-0-0");
  CHECK(output_event_id(3, 17, 2) == "m-3-17-2");
  const std::string longest =
      output_event_id(kMaxPartitions - 1, std::numeric_limits<std::int64_t>::max(),
                      std::numeric_limits<std::uint32_t>::max());
  CHECK(longest == "m-1023-9223372036854775807-4294967295");
  CHECK(longest.size() <= envelope::kMaxEventIdLength);
  // Distinct inputs give distinct ids (no ambiguity from the separators).
  std::set<std::string> ids;
  for (std::int32_t partition : {1, 11}) {
    for (std::int64_t offset : {1, 11, 111}) {
      for (std::uint32_t index : {1u, 11u}) ids.insert(output_event_id(partition, offset, index));
    }
  }
  CHECK(ids.size() == 12);
}

TEST_CASE("global_trade_id: sequence * kMaxPartitions + partition", "[matching][events][ids]") {
  CHECK(global_trade_id(0, 1).value() == 1024);
  CHECK(global_trade_id(5, 1).value() == 1029);
  CHECK(global_trade_id(1023, 2).value() == 2 * 1024 + 1023);
  const std::int64_t max_sequence = std::numeric_limits<std::int64_t>::max() / kMaxPartitions;
  CHECK(global_trade_id(kMaxPartitions - 1, max_sequence).value() ==
        max_sequence * kMaxPartitions + (kMaxPartitions - 1));
  CHECK(global_trade_id(0, max_sequence).valid());
  // Unique across partitions and sequences.
  std::set<std::int64_t> ids;
  for (std::int32_t partition = 0; partition < kMaxPartitions; partition += 97) {
    for (std::int64_t sequence = 1; sequence <= 50; ++sequence) {
      ids.insert(global_trade_id(partition, sequence).value());
    }
  }
  CHECK(ids.size() == 11 * 50);
}

}  // namespace
}  // namespace bourse::matching::events
