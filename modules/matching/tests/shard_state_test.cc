// Goal: ShardState turns inputs into the wire events of events.h exactly as shard_state.h
// documents (duplicates, cancels, crosses, cash caps, ids), deterministically, and its
// snapshot restores a state that continues exactly like the uninterrupted one; decode of
// any bytes is an error value, never a crash.
#include "bourse/matching/shard_state.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace bourse::matching {
namespace {

Instrument instrument(const std::string& symbol, const char* tick, const char* reference) {
  Instrument i;
  i.symbol = symbol;
  i.tick_size = *Amount::parse(tick);
  i.reference_price = *Amount::parse(reference);
  i.max_order_quantity = 1'000'000;
  return i;
}

const std::vector<Instrument>& instruments() {
  static const std::vector<Instrument> all = {instrument("MSFT", "0.05", "300"),
                                              instrument("AAPL", "0.01", "150"),
                                              instrument("BRK.B", "1", "400")};
  return all;
}

Amount money(const char* text) { return *Amount::parse(text); }

PlaceInput limit(std::int64_t id, const char* user, const char* symbol, Side side,
                 const char* price, std::int64_t quantity, TimeInForce tif = TimeInForce::kGtc) {
  PlaceInput p;
  p.order_id = OrderId(id);
  p.user_id = user;
  p.symbol = symbol;
  p.side = side;
  p.type = OrderType::kLimit;
  p.time_in_force = tif;
  p.quantity = Quantity::of(quantity);
  p.price = money(price);
  return p;
}

PlaceInput market(std::int64_t id, const char* user, const char* symbol, Side side,
                  std::int64_t quantity, std::optional<Amount> cash_cap,
                  TimeInForce tif = TimeInForce::kIoc) {
  PlaceInput p;
  p.order_id = OrderId(id);
  p.user_id = user;
  p.symbol = symbol;
  p.side = side;
  p.type = OrderType::kMarket;
  p.time_in_force = tif;
  p.quantity = Quantity::of(quantity);
  p.cash_cap = cash_cap;
  return p;
}

CancelInput cancel(std::int64_t id, const char* user, const char* symbol) {
  return CancelInput{OrderId(id), user, symbol};
}

// Applies inputs at consecutive offsets and returns each input's outputs.
struct Driver {
  explicit Driver(std::int32_t partition = 0, std::int64_t first_offset = 0)
      : state(partition, instruments(), first_offset), offset(first_offset) {}

  std::vector<ShardOutput> apply(const ShardInput& input) {
    std::vector<ShardOutput> out;
    state.apply(offset++, input, out);
    return out;
  }

  ShardState state;
  std::int64_t offset;
};

// The state `blob` encodes (for partition 0 and the test instruments); it must decode.
ShardState restore(std::string_view blob) {
  auto decoded = ShardState::decode(blob, 0, instruments());
  REQUIRE(decoded.ok());
  return std::move(decoded).value();
}

template <typename Event>
const Event& as(const ShardOutput& output) {
  REQUIRE(std::holds_alternative<Event>(output.event));
  return std::get<Event>(output.event);
}

bool same(const std::vector<ShardOutput>& a, const std::vector<ShardOutput>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].input_offset != b[i].input_offset || a[i].index != b[i].index ||
        !(a[i].event == b[i].event)) {
      return false;
    }
  }
  return true;
}

// --- Basic behaviour --------------------------------------------------------------------

TEST_CASE("shard: a limit cross accepts the maker and trades at its price",
          "[matching][shard_state]") {
  Driver d(5, 100);
  auto out = d.apply(limit(1, "alice", "AAPL", Side::kSell, "150.25", 10));
  REQUIRE(out.size() == 1);
  CHECK(out[0].input_offset == 100);
  CHECK(out[0].index == 0);
  CHECK(as<events::OrderAccepted>(out[0]) == events::OrderAccepted{OrderId(1), "alice", "AAPL",
                                                                   Side::kSell, money("150.25"),
                                                                   Quantity::of(10)});

  out = d.apply(limit(2, "bob", "AAPL", Side::kBuy, "151", 4));
  REQUIRE(out.size() == 1);
  const auto& first = as<events::TradeExecuted>(out[0]);
  CHECK(out[0].input_offset == 101);
  CHECK(first.trade_id == events::global_trade_id(5, 1));
  CHECK(first.symbol == "AAPL");
  CHECK(first.price == money("150.25"));  // the maker's price
  CHECK(first.quantity == Quantity::of(4));
  CHECK(first.buy_order_id == OrderId(2));
  CHECK(first.sell_order_id == OrderId(1));
  CHECK(first.buyer == "bob");
  CHECK(first.seller == "alice");
  CHECK(first.taker_side == Side::kBuy);
  CHECK(first.buy_remaining == Quantity::of(0));
  CHECK(first.sell_remaining == Quantity::of(6));
  CHECK(first.executed_at.empty());  // the adapter stamps it

  // A seller taking a resting bid: buy/sell from the taker side; remainder rests.
  out = d.apply(limit(3, "carol", "AAPL", Side::kBuy, "150.20", 5));
  REQUIRE(out.size() == 1);
  out = d.apply(limit(4, "dave", "AAPL", Side::kSell, "150.20", 8));
  // 8 against the resting bid of 5 at 150.20 (the ask at 150.25 is no better for dave).
  REQUIRE(out.size() == 2);
  const auto& second = as<events::TradeExecuted>(out[0]);
  CHECK(second.trade_id == events::global_trade_id(5, 2));
  CHECK(second.price == money("150.20"));
  CHECK(second.buy_order_id == OrderId(3));
  CHECK(second.sell_order_id == OrderId(4));
  CHECK(second.buyer == "carol");
  CHECK(second.seller == "dave");
  CHECK(second.taker_side == Side::kSell);
  CHECK(second.buy_remaining == Quantity::of(0));
  CHECK(second.sell_remaining == Quantity::of(3));
  CHECK(as<events::OrderAccepted>(out[1]) == events::OrderAccepted{OrderId(4), "dave", "AAPL",
                                                                   Side::kSell, money("150.20"),
                                                                   Quantity::of(3)});
  CHECK(out[1].index == 1);
  CHECK(d.state.resting_orders() == 2);
  CHECK(d.state.next_offset() == 104);
}

TEST_CASE("shard: duplicate Places and Cancels produce nothing and change nothing",
          "[matching][shard_state]") {
  // `with` sees the duplicates; `without` skips their offsets (the log may skip offsets).
  // Same outputs and the same encode() at the end: the duplicates changed nothing but the
  // offset consumed.
  const std::vector<std::pair<std::int64_t, ShardInput>> inputs = {
      {0, limit(1, "alice", "AAPL", Side::kSell, "150", 10)},                 // rests
      {1, limit(2, "bob", "AAPL", Side::kBuy, "149", 5, TimeInForce::kIoc)},  // finished
      {2, limit(1, "alice", "AAPL", Side::kSell, "150", 10)},                 // dup, resting
      {3, limit(1, "eve", "AAPL", Side::kBuy, "151", 99)},                    // dup, other terms
      {4, limit(2, "bob", "AAPL", Side::kBuy, "149", 5, TimeInForce::kIoc)},  // dup, finished
      {5, limit(3, "bob", "NOPE", Side::kBuy, "1", 1)},                       // rejected
      {6, limit(3, "bob", "NOPE", Side::kBuy, "1", 1)},                       // dup, rejected
      {7, cancel(1, "alice", "AAPL")},                                        // cancels 1
      {8, cancel(1, "alice", "AAPL")},                                        // dup cancel
      {9, cancel(5, "carol", "AAPL")},                                        // too late
      {10, cancel(5, "carol", "AAPL")},                                       // dup cancel
      {11, limit(4, "carol", "MSFT", Side::kBuy, "299", 2)},                  // rests
  };
  const std::set<std::int64_t> duplicates = {2, 3, 4, 6, 8, 10};
  ShardState with(0, instruments(), 0);
  ShardState without(0, instruments(), 0);
  std::vector<ShardOutput> with_out;
  std::vector<ShardOutput> without_out;
  for (const auto& [offset, input] : inputs) {
    const std::size_t before = with_out.size();
    const std::string encoded = with.encode();
    with.apply(offset, input, with_out);
    if (duplicates.count(offset) > 0) {
      INFO("offset " << offset);
      CHECK(with_out.size() == before);
      // encode() differs from the one before only by next_offset.
      ShardState decoded = restore(encoded);
      std::vector<ShardOutput> none;
      decoded.apply(offset + 1000, limit(99, "z", "NOPE", Side::kBuy, "1", 1), none);
      CHECK(none.size() == 1);  // (a probe: the decoded state still works)
    } else {
      without.apply(offset, input, without_out);
    }
  }
  CHECK(same(with_out, without_out));
  CHECK(with_out.size() == 6);
  CHECK(with.encode() == without.encode());
  CHECK(with.resting_orders() == 1);
}

TEST_CASE("shard: a duplicate right after a snapshot is still a duplicate",
          "[matching][shard_state]") {
  Driver d;
  d.apply(limit(1, "alice", "AAPL", Side::kSell, "150", 10));
  d.apply(cancel(1, "alice", "AAPL"));
  ShardState restored = restore(d.state.encode());
  std::vector<ShardOutput> out;
  restored.apply(2, limit(1, "alice", "AAPL", Side::kSell, "150", 10), out);
  restored.apply(3, cancel(1, "alice", "AAPL"), out);
  CHECK(out.empty());
}

TEST_CASE("shard: cancels", "[matching][shard_state]") {
  Driver d;
  SECTION("of an id never seen: CancelTooLate, the engine untouched") {
    auto out = d.apply(cancel(9, "alice", "AAPL"));
    REQUIRE(out.size() == 1);
    CHECK(as<events::CancelTooLate>(out[0]) == events::CancelTooLate{OrderId(9), "alice", "AAPL"});
    // An order arriving later with that id is placed normally (no cancel-before-arrival).
    out = d.apply(limit(9, "alice", "AAPL", Side::kBuy, "10", 1));
    REQUIRE(out.size() == 1);
    CHECK(std::holds_alternative<events::OrderAccepted>(out[0].event));
  }
  SECTION("of a resting order: OrderCancelled(user, remaining)") {
    d.apply(limit(1, "alice", "MSFT", Side::kSell, "300.05", 10));
    d.apply(limit(2, "bob", "MSFT", Side::kBuy, "300.05", 3));
    auto out = d.apply(cancel(1, "alice", "MSFT"));
    REQUIRE(out.size() == 1);
    CHECK(as<events::OrderCancelled>(out[0]) ==
          events::OrderCancelled{OrderId(1), "alice", "MSFT", Side::kSell,
                                 events::CancelReason::kUser, Quantity::of(7)});
    CHECK(d.state.resting_orders() == 0);
    SECTION("and a duplicate of that cancel produces nothing") {
      const std::string before = d.state.encode();
      CHECK(d.apply(cancel(1, "alice", "MSFT")).empty());
      ShardState replayed = restore(before);
      std::vector<ShardOutput> none;
      replayed.apply(d.offset - 1, cancel(1, "alice", "MSFT"), none);
      CHECK(none.empty());
      CHECK(replayed.encode() == d.state.encode());
    }
  }
  SECTION("of a filled order: CancelTooLate") {
    d.apply(limit(1, "alice", "AAPL", Side::kSell, "150", 2));
    d.apply(limit(2, "bob", "AAPL", Side::kBuy, "150", 2));
    auto out = d.apply(cancel(1, "alice", "AAPL"));
    REQUIRE(out.size() == 1);
    CHECK(as<events::CancelTooLate>(out[0]).order_id == OrderId(1));
  }
  SECTION("of a rejected or cancelled order, or in another symbol: CancelTooLate") {
    d.apply(limit(1, "alice", "AAPL", Side::kSell, "150.001", 2));  // off tick: rejected
    d.apply(limit(2, "alice", "AAPL", Side::kSell, "150", 2, TimeInForce::kIoc));
    d.apply(limit(3, "alice", "AAPL", Side::kSell, "150", 2));
    for (const auto& input : {cancel(1, "alice", "AAPL"), cancel(2, "alice", "AAPL"),
                              cancel(3, "alice", "MSFT"), cancel(4, "alice", "NOPE")}) {
      auto out = d.apply(input);
      REQUIRE(out.size() == 1);
      CHECK(std::holds_alternative<events::CancelTooLate>(out[0].event));
    }
    CHECK(d.state.resting_orders() == 1);
  }
}

TEST_CASE("shard: rejects and cancel reasons on the wire", "[matching][shard_state]") {
  Driver d;
  const auto reject_reason = [&](const PlaceInput& input) {
    auto out = d.apply(input);
    REQUIRE(out.size() == 1);
    const auto& rejected = as<events::OrderRejected>(out[0]);
    CHECK(rejected.order_id == input.order_id);
    CHECK(rejected.user_id == input.user_id);
    CHECK(rejected.symbol == input.symbol);
    CHECK(rejected.side == input.side);
    return rejected.reason;
  };
  CHECK(reject_reason(limit(1, "a", "TSLA", Side::kBuy, "1", 1)) ==
        events::RejectReason::kUnknownSymbol);
  CHECK(reject_reason(limit(2, "a", "MSFT", Side::kBuy, "300.01", 1)) ==
        events::RejectReason::kInvalidOrder);  // off the 0.05 tick
  PlaceInput no_price = limit(3, "a", "AAPL", Side::kSell, "1", 1);
  no_price.price.reset();
  CHECK(reject_reason(no_price) == events::RejectReason::kInvalidOrder);
  CHECK(reject_reason(market(4, "a", "AAPL", Side::kBuy, 5, std::nullopt)) ==
        events::RejectReason::kInvalidOrder);  // a market buy needs its cash cap
  CHECK(reject_reason(market(5, "a", "AAPL", Side::kBuy, 5, money("0.001"))) ==
        events::RejectReason::kInvalidOrder);  // less than one tick of cash
  CHECK(reject_reason(limit(6, "a", "AAPL", Side::kBuy, "1", 0)) ==
        events::RejectReason::kInvalidOrder);  // quantity 0: the engine refuses it
  CHECK(d.state.resting_orders() == 0);

  Driver e;
  e.apply(limit(10, "maker", "AAPL", Side::kSell, "100", 5));
  const auto cancelled = [&](const PlaceInput& input) {
    auto out = e.apply(input);
    REQUIRE_FALSE(out.empty());
    const auto& last = as<events::OrderCancelled>(out.back());
    CHECK(last.order_id == input.order_id);
    CHECK(last.side == input.side);
    CHECK(last.user_id == input.user_id);
    return std::pair(last.reason, last.cancelled_quantity.value());
  };
  CHECK(cancelled(limit(11, "t", "AAPL", Side::kBuy, "100", 9, TimeInForce::kFok)) ==
        std::pair(events::CancelReason::kFokNotFillable, std::int64_t{9}));
  CHECK(cancelled(limit(12, "t", "AAPL", Side::kBuy, "100", 7, TimeInForce::kIoc)) ==
        std::pair(events::CancelReason::kIocRemainder, std::int64_t{2}));
  e.apply(limit(13, "maker", "AAPL", Side::kSell, "100", 5));
  CHECK(cancelled(market(14, "maker", "AAPL", Side::kBuy, 3, money("1000"))) ==
        std::pair(events::CancelReason::kSelfTrade, std::int64_t{3}));
  CHECK(cancelled(market(15, "t", "AAPL", Side::kBuy, 9, money("10000"))) ==
        std::pair(events::CancelReason::kMarketRemainder, std::int64_t{4}));
  CHECK(e.state.resting_orders() == 0);
}

TEST_CASE("shard: a market buy never spends more than its cash cap", "[matching][shard_state]") {
  Driver d;
  d.apply(limit(1, "s1", "AAPL", Side::kSell, "10", 5));
  d.apply(limit(2, "s2", "AAPL", Side::kSell, "11", 5));
  // 5 x 10 = 50 spent; 50 left buys floor(50 / 11) = 4 at 11 (44); 6 left buys none.
  auto out = d.apply(market(3, "b", "AAPL", Side::kBuy, 10, money("100.005")));
  REQUIRE(out.size() == 3);
  const auto& a = as<events::TradeExecuted>(out[0]);
  const auto& b = as<events::TradeExecuted>(out[1]);
  CHECK(a.price == money("10"));
  CHECK(a.quantity == Quantity::of(5));
  CHECK(b.price == money("11"));
  CHECK(b.quantity == Quantity::of(4));
  CHECK(b.buy_remaining == Quantity::of(1));
  CHECK(b.sell_remaining == Quantity::of(1));
  CHECK(as<events::OrderCancelled>(out[2]) ==
        events::OrderCancelled{OrderId(3), "b", "AAPL", Side::kBuy, events::CancelReason::kCashCap,
                               Quantity::of(1)});
  const std::int64_t spent =
      a.price.units() * a.quantity.value() + b.price.units() * b.quantity.value();
  CHECK(spent <= money("100.005").units());
  // A market SELL has no cap.
  d.apply(limit(4, "b2", "AAPL", Side::kBuy, "9", 3));
  out = d.apply(market(5, "s3", "AAPL", Side::kSell, 3, std::nullopt));
  REQUIRE(out.size() == 1);
  CHECK(as<events::TradeExecuted>(out[0]).sell_remaining == Quantity::of(0));
}

TEST_CASE("shard: global trade ids are unique across symbols and partitions",
          "[matching][shard_state]") {
  std::set<std::int64_t> ids;
  std::size_t trades = 0;
  for (std::int32_t partition : {0, 1, 1023}) {
    Driver d(partition);
    std::int64_t id = 1;
    for (const char* symbol : {"AAPL", "MSFT", "AAPL", "BRK.B", "MSFT"}) {
      d.apply(limit(id++, "s", symbol, Side::kSell, "400", 3));
      for (int i = 0; i < 3; ++i) {
        for (const ShardOutput& output : d.apply(limit(id++, "b", symbol, Side::kBuy, "400", 1))) {
          const auto& trade = as<events::TradeExecuted>(output);
          CHECK(trade.trade_id.value() % events::kMaxPartitions == partition);
          ids.insert(trade.trade_id.value());
          ++trades;
        }
      }
    }
  }
  CHECK(trades == 3 * 5 * 3);
  CHECK(ids.size() == trades);
}

TEST_CASE("shard: view and changed symbols", "[matching][shard_state]") {
  Driver d;
  // A fresh state reports every symbol once (the market view starts from nothing).
  CHECK(d.state.take_changed_symbols() == std::vector<std::string>{"AAPL", "BRK.B", "MSFT"});
  CHECK(d.state.take_changed_symbols().empty());
  CHECK_FALSE(d.state.view("TSLA", 5).has_value());

  d.apply(limit(1, "a", "MSFT", Side::kBuy, "299.95", 3));
  d.apply(limit(2, "b", "MSFT", Side::kBuy, "299.95", 4));
  d.apply(limit(3, "c", "MSFT", Side::kBuy, "299.90", 1));
  d.apply(limit(4, "d", "MSFT", Side::kSell, "300.10", 2));
  d.apply(limit(5, "e", "AAPL", Side::kBuy, "1", 1, TimeInForce::kIoc));  // no book change
  CHECK(d.state.take_changed_symbols() == std::vector<std::string>{"MSFT"});
  auto view = d.state.view("MSFT", 1);
  REQUIRE(view.has_value());
  CHECK(view->symbol == "MSFT");
  CHECK(view->bids == std::vector<PriceLevelView>{{money("299.95"), Quantity::of(7), 2}});
  CHECK(view->asks == std::vector<PriceLevelView>{{money("300.1"), Quantity::of(2), 1}});
  CHECK_FALSE(view->last_trade_price.has_value());
  d.apply(limit(6, "f", "MSFT", Side::kSell, "299.95", 5));
  d.apply(cancel(3, "c", "MSFT"));
  CHECK(d.state.take_changed_symbols() == std::vector<std::string>{"MSFT"});
  view = d.state.view("MSFT", 10);
  REQUIRE(view.has_value());
  CHECK(view->bids == std::vector<PriceLevelView>{{money("299.95"), Quantity::of(2), 1}});
  CHECK(view->last_trade_price == money("299.95"));
  CHECK(view->last_trade_quantity == Quantity::of(2));
  // The last trade survives a snapshot.
  ShardState restored = restore(d.state.encode());
  CHECK(restored.view("MSFT", 10) == view);
  CHECK(restored.take_changed_symbols().size() == 3);
  auto empty = d.state.view("BRK.B", 10);
  REQUIRE(empty.has_value());
  CHECK(empty->bids.empty());
  CHECK(empty->asks.empty());
  CHECK(d.state.view("MSFT", 0)->bids.empty());
}

TEST_CASE("shard: the id memory forgets the oldest id past kRecentIdsRemembered",
          "[matching][shard_state]") {
  Driver d;
  std::vector<ShardOutput> out;
  // IOC buys into an empty book: each answered by one OrderCancelled, nothing rests.
  const auto ioc = [](std::int64_t id) {
    return limit(id, "u", "AAPL", Side::kBuy, "1", 1, TimeInForce::kIoc);
  };
  for (std::int64_t id = 1; id <= static_cast<std::int64_t>(kRecentIdsRemembered); ++id) {
    out.clear();
    d.state.apply(d.offset++, ioc(id), out);
  }
  CHECK(d.apply(ioc(1)).empty());                             // remembered: a duplicate
  CHECK(d.apply(ioc(kRecentIdsRemembered + 1)).size() == 1);  // remembered; forgets 1
  CHECK(d.apply(ioc(1)).size() == 1);                         // forgotten: placed; forgets 2
  CHECK(d.apply(ioc(4)).empty());                             // still remembered
  CHECK(d.apply(ioc(2)).size() == 1);                         // forgotten; forgets 3
  CHECK(d.apply(ioc(3)).size() == 1);
  // The memory survives a snapshot with its order.
  ShardState restored = restore(d.state.encode());
  CHECK(restored.encode() == d.state.encode());
}

}  // namespace
}  // namespace bourse::matching
