// Goal: ShardState turns inputs into the wire events of events.h exactly as shard_state.h
// documents (duplicates, cancels, crosses, cash caps, ids), deterministically, and its
// snapshot restores a state that continues exactly like the uninterrupted one; decode of
// any bytes is an error value, never a crash.
#include "bourse/matching/shard_state.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>
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

TEST_CASE("shard: an order resting longer than the id memory is still known",
          "[matching][shard_state]") {
  Driver d;
  const std::int64_t resting = 1'000'000'000;
  REQUIRE(d.apply(limit(resting, "old", "MSFT", Side::kSell, "300", 5)).size() == 1);
  std::vector<ShardOutput> out;
  for (std::int64_t id = 1; id <= static_cast<std::int64_t>(kRecentIdsRemembered); ++id) {
    out.clear();
    d.state.apply(d.offset++, limit(id, "u", "AAPL", Side::kBuy, "1", 1, TimeInForce::kIoc), out);
  }
  // Forgotten by the memory, but resting: a re-sent Place is still a duplicate...
  CHECK(d.apply(limit(resting, "old", "MSFT", Side::kSell, "300", 5)).empty());
  // ... and a cancel still cancels it.
  out = d.apply(cancel(resting, "old", "MSFT"));
  REQUIRE(out.size() == 1);
  CHECK(as<events::OrderCancelled>(out[0]).cancelled_quantity == Quantity::of(5));
}

// --- Random streams: determinism and snapshot equivalence --------------------------------

// A seeded stream of inputs over three symbols (and an unknown one) and ten users: every
// order kind, off-tick prices, missing cash caps, cancels of resting, finished and unknown
// ids, in the right or the wrong symbol, and re-sent inputs (duplicates). Offsets have gaps.
class Stream {
 public:
  explicit Stream(std::uint64_t seed) : rng_(seed) {}

  std::pair<std::int64_t, ShardInput> next() {
    offset_ += 1 + (pick(20) == 0 ? static_cast<std::int64_t>(pick(3)) : 0);
    ShardInput input = make();
    sent_.push_back(input);
    if (sent_.size() > 64) sent_.erase(sent_.begin());
    return {offset_, std::move(input)};
  }

 private:
  struct Symbol {
    const char* name;
    std::int64_t tick_units;
    std::int64_t reference_ticks;
  };

  std::uint64_t pick(std::uint64_t n) { return rng_() % n; }

  ShardInput make() {
    const std::uint64_t roll = pick(100);
    if (roll < 4 && !sent_.empty()) return sent_[pick(sent_.size())];  // a re-sent input
    if (roll < 30 && !orders_.empty()) {
      // Mostly recent orders (likely resting), sometimes old or unknown ids.
      const std::size_t n = orders_.size();
      const std::size_t index = pick(4) == 0 ? pick(n) : n - 1 - pick(std::min<std::size_t>(n, 40));
      const auto& [id, user, symbol] = orders_[index];
      if (pick(50) == 0) return cancel(next_id_ + 1000, user.c_str(), "AAPL");
      return cancel(id, user.c_str(), pick(30) == 0 ? "MSFT" : symbol.c_str());
    }
    static constexpr Symbol kSymbols[] = {
        {"AAPL", 100, 15'000}, {"MSFT", 500, 6'000}, {"BRK.B", 10'000, 400}, {"NOPE", 100, 100}};
    const Symbol& symbol = kSymbols[pick(100) == 0 ? 3 : pick(3)];
    PlaceInput p;
    p.order_id = OrderId(next_id_++);
    p.user_id = "u" + std::to_string(pick(10));
    p.symbol = symbol.name;
    p.side = pick(2) == 0 ? Side::kBuy : Side::kSell;
    p.quantity = Quantity::of(1 + static_cast<std::int64_t>(pick(pick(10) == 0 ? 500 : 60)));
    const std::int64_t ticks = symbol.reference_ticks - 12 + static_cast<std::int64_t>(pick(25));
    if (pick(100) < 85) {
      p.type = OrderType::kLimit;
      const std::uint64_t tif = pick(100);
      p.time_in_force = tif < 80   ? TimeInForce::kGtc
                        : tif < 92 ? TimeInForce::kIoc
                                   : TimeInForce::kFok;
      p.price = Amount::from_units(ticks * symbol.tick_units + (pick(100) == 0 ? 1 : 0));
    } else {
      p.type = OrderType::kMarket;
      p.time_in_force = pick(10) < 7 ? TimeInForce::kIoc : TimeInForce::kFok;
      if (p.side == Side::kBuy && pick(50) != 0) {
        const std::int64_t notional =
            p.quantity.value() * symbol.reference_ticks * symbol.tick_units;
        p.cash_cap = Amount::from_units(
            notional / 2 + static_cast<std::int64_t>(pick(static_cast<std::uint64_t>(notional))));
      }
    }
    orders_.emplace_back(p.order_id.value(), p.user_id, p.symbol);
    return p;
  }

  std::mt19937_64 rng_;
  std::int64_t offset_ = -1;
  std::int64_t next_id_ = 1;
  std::vector<std::tuple<std::int64_t, std::string, std::string>> orders_;
  std::vector<ShardInput> sent_;
};

struct Run {
  std::vector<ShardOutput> outputs;
  std::vector<std::pair<std::int64_t, std::string>> snapshots;  // (input index, encode())
  std::string final_encode;
};

std::vector<std::pair<std::int64_t, ShardInput>> stream(std::uint64_t seed, std::size_t count) {
  Stream s(seed);
  std::vector<std::pair<std::int64_t, ShardInput>> inputs;
  inputs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) inputs.push_back(s.next());
  return inputs;
}

// Runs inputs[from..] on `state`, encoding before each input index in `cuts`.
Run run(ShardState& state, const std::vector<std::pair<std::int64_t, ShardInput>>& inputs,
        std::size_t from, const std::set<std::size_t>& cuts = {}) {
  Run result;
  for (std::size_t i = from; i < inputs.size(); ++i) {
    if (cuts.count(i) > 0) result.snapshots.emplace_back(i, state.encode());
    state.apply(inputs[i].first, inputs[i].second, result.outputs);
  }
  result.final_encode = state.encode();
  return result;
}

// The outputs of inputs at offsets >= `offset`.
std::vector<ShardOutput> outputs_from(const std::vector<ShardOutput>& all, std::int64_t offset) {
  std::vector<ShardOutput> tail;
  for (const ShardOutput& output : all) {
    if (output.input_offset >= offset) tail.push_back(output);
  }
  return tail;
}

TEST_CASE("shard: the same inputs give the same outputs and snapshot, twice",
          "[matching][shard_state][random]") {
  const auto inputs = stream(11, 20'000);
  ShardState first(3, instruments(), 0);
  ShardState second(3, instruments(), 0);
  const Run a = run(first, inputs, 0);
  const Run b = run(second, inputs, 0);
  CHECK(a.outputs.size() > 20'000);
  CHECK(same(a.outputs, b.outputs));
  CHECK(a.final_encode == b.final_encode);
  // The configuration's order does not matter.
  std::vector<Instrument> reversed(instruments().rbegin(), instruments().rend());
  ShardState third(3, reversed, 0);
  const Run c = run(third, inputs, 0);
  CHECK(same(a.outputs, c.outputs));
  CHECK(a.final_encode == c.final_encode);
  // Sanity: the stream exercises what it should.
  std::size_t kinds[5] = {};
  std::set<std::int64_t> trade_ids;
  for (const ShardOutput& output : a.outputs) {
    ++kinds[output.event.index()];
    if (const auto* trade = std::get_if<events::TradeExecuted>(&output.event)) {
      CHECK(trade_ids.insert(trade->trade_id.value()).second);
    }
  }
  for (std::size_t kind = 0; kind < 5; ++kind) {
    INFO("event kind " << kind);
    CHECK(kinds[kind] > 100);
  }
}

TEST_CASE("shard: snapshot equivalence (restore at a cut, replay the rest)",
          "[matching][shard_state][random]") {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    const auto inputs = stream(seed, 20'000);
    const std::set<std::size_t> cuts = {0, 1, 2, 999, 5'000, 12'345, 19'999};
    ShardState uninterrupted(7, instruments(), 0);
    const Run reference = run(uninterrupted, inputs, 0, cuts);
    REQUIRE(reference.snapshots.size() == cuts.size());
    for (const auto& [cut, blob] : reference.snapshots) {
      INFO("cut at input " << cut << ", snapshot of " << blob.size() << " bytes");
      auto decoded = ShardState::decode(blob, 7, instruments());
      REQUIRE(decoded.ok());
      ShardState restored = std::move(decoded).value();
      CHECK(restored.encode() == blob);  // decode(encode(s)) encodes to the same bytes
      CHECK(restored.next_offset() == (cut == 0 ? 0 : inputs[cut - 1].first + 1));
      const Run rest = run(restored, inputs, cut);
      CHECK(same(rest.outputs, outputs_from(reference.outputs, inputs[cut].first)));
      CHECK(rest.final_encode == reference.final_encode);
    }
    // Restoring at every cut in turn (snapshot of a restored state, restored again).
    ShardState chained(7, instruments(), 0);
    std::vector<ShardOutput> outputs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (cuts.count(i) > 0) {
        auto decoded = ShardState::decode(chained.encode(), 7, instruments());
        REQUIRE(decoded.ok());
        chained = std::move(decoded).value();
      }
      chained.apply(inputs[i].first, inputs[i].second, outputs);
    }
    CHECK(same(outputs, reference.outputs));
    CHECK(chained.encode() == reference.final_encode);
    CHECK(chained.resting_orders() == uninterrupted.resting_orders());
    for (const char* symbol : {"AAPL", "MSFT", "BRK.B"}) {
      CHECK(chained.view(symbol, 1'000) == uninterrupted.view(symbol, 1'000));
    }
  }
}

// --- Decode: configuration, partition, bad bytes -----------------------------------------

std::string sample_snapshot(std::size_t inputs, std::int32_t partition = 0) {
  ShardState state(partition, instruments(), 0);
  const auto all = stream(99, inputs);
  run(state, all, 0);
  REQUIRE(state.resting_orders() > 0);
  return state.encode();
}

TEST_CASE("shard: decode checks the configuration and the partition",
          "[matching][shard_state][snapshot]") {
  const std::string blob = sample_snapshot(2'000);
  SECTION("a symbol of the snapshot missing from the configuration") {
    const std::vector<Instrument> config = {instruments()[0], instruments()[1]};
    auto decoded = ShardState::decode(blob, 0, config);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kInvalidArgument);
  }
  SECTION("another tick size") {
    std::vector<Instrument> config = instruments();
    config[1].tick_size = money("0.02");
    config[1].reference_price = money("150");
    auto decoded = ShardState::decode(blob, 0, config);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kInvalidArgument);
  }
  SECTION("an invalid or empty configuration") {
    CHECK(ShardState::decode(blob, 0, {}).error().code == ErrorCode::kInvalidArgument);
    std::vector<Instrument> twice = instruments();
    twice.push_back(instruments()[0]);
    CHECK(ShardState::decode(blob, 0, twice).error().code == ErrorCode::kInvalidArgument);
  }
  SECTION("the wrong partition") {
    auto decoded = ShardState::decode(blob, 1, instruments());
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kMalformed);
    CHECK_FALSE(ShardState::decode(blob, -1, instruments()).ok());
    CHECK_FALSE(ShardState::decode(blob, events::kMaxPartitions, instruments()).ok());
  }
  SECTION("a symbol configured but not in the snapshot gets an empty book") {
    std::vector<Instrument> config = instruments();
    config.push_back(instrument("AMZN", "0.01", "100"));
    auto decoded = ShardState::decode(blob, 0, config);
    REQUIRE(decoded.ok());
    ShardState state = std::move(decoded).value();
    auto view = state.view("AMZN", 10);
    REQUIRE(view.has_value());
    CHECK(view->bids.empty());
    CHECK(view->asks.empty());
    ShardState plain = restore(blob);
    CHECK(state.resting_orders() == plain.resting_orders());
    for (const char* symbol : {"AAPL", "MSFT", "BRK.B"}) {
      CHECK(state.view(symbol, 100) == plain.view(symbol, 100));
    }
    // And it trades there.
    std::vector<ShardOutput> out;
    state.apply(state.next_offset(), limit(1'000'000, "x", "AMZN", Side::kBuy, "100", 1), out);
    REQUIRE(out.size() == 1);
    CHECK(std::holds_alternative<events::OrderAccepted>(out[0].event));
  }
}

// Overwrites the header's checksum with the body's, so that a mutated body reaches the
// structural checks instead of stopping at the checksum.
void fix_checksum(std::string& blob) {
  if (blob.size() < 24) return;
  std::uint64_t hash = 14695981039346656037ull;
  for (std::size_t i = 24; i < blob.size(); ++i) {
    hash ^= static_cast<std::uint8_t>(blob[i]);
    hash *= 1099511628211ull;
  }
  for (int i = 0; i < 8; ++i) blob[16 + i] = static_cast<char>((hash >> (8 * i)) & 0xFF);
}

// A mutated blob that still decodes must give a working state.
void exercise(std::string_view blob, std::size_t& accepted) {
  auto decoded = ShardState::decode(blob, 0, instruments());
  if (!decoded) {
    // kInvalidArgument: a corrupted symbol name or tick size no longer fits the
    // configuration.
    CHECK((decoded.error().code == ErrorCode::kMalformed ||
           decoded.error().code == ErrorCode::kInvalidArgument));
    return;
  }
  ++accepted;
  ShardState state = std::move(decoded).value();
  const std::string again = state.encode();
  auto redecoded = ShardState::decode(again, 0, instruments());
  REQUIRE(redecoded.ok());
  CHECK(redecoded->encode() == again);
  if (state.next_offset() < std::numeric_limits<std::int64_t>::max() - 10) {
    std::vector<ShardOutput> out;
    std::int64_t offset = state.next_offset();
    state.apply(offset++, limit(1'000'000'001, "fz", "AAPL", Side::kBuy, "151", 50), out);
    state.apply(offset++, market(1'000'000'002, "fz2", "MSFT", Side::kSell, 50, std::nullopt), out);
    state.apply(offset++, cancel(1'000'000'001, "fz", "AAPL"), out);
    CHECK_FALSE(out.empty());
  }
  for (const char* symbol : {"AAPL", "MSFT", "BRK.B"}) CHECK(state.view(symbol, 5).has_value());
}

TEST_CASE("shard: decode of truncated or corrupted snapshots fails cleanly",
          "[matching][shard_state][snapshot]") {
  const std::string blob = sample_snapshot(20'000);
  REQUIRE(ShardState::decode(blob, 0, instruments()).ok());
  SECTION("every truncation, and trailing bytes") {
    for (std::size_t length = 0; length < blob.size(); ++length) {
      auto decoded = ShardState::decode(std::string_view(blob).substr(0, length), 0, instruments());
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error().code == ErrorCode::kMalformed);
    }
    CHECK_FALSE(ShardState::decode(blob + '\0', 0, instruments()).ok());
  }
  SECTION("bit flips at many positions are caught (checksum)") {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 3'000; ++i) {
      std::string mutated = blob;
      mutated[rng() % mutated.size()] ^= static_cast<char>(1 << (rng() % 8));
      auto decoded = ShardState::decode(mutated, 0, instruments());
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error().code == ErrorCode::kMalformed);
    }
  }
  SECTION("bit flips with the checksum fixed reach the value checks, never crash") {
    std::mt19937_64 rng(6);
    std::size_t accepted = 0;
    for (int i = 0; i < 3'000; ++i) {
      std::string mutated = blob;
      const std::size_t position = 24 + rng() % (mutated.size() - 24);
      mutated[position] ^= static_cast<char>(1 << (rng() % 8));
      fix_checksum(mutated);
      exercise(mutated, accepted);
    }
    INFO("accepted " << accepted);
    CHECK(accepted < 3'000);
  }
  SECTION("random garbage") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2'000; ++i) {
      std::string garbage(rng() % 200, '\0');
      for (char& c : garbage) c = static_cast<char>(rng());
      if (garbage.size() >= 4 && rng() % 2 == 0) garbage.replace(0, 4, blob.substr(0, 8));
      fix_checksum(garbage);
      CHECK_FALSE(ShardState::decode(garbage, 0, instruments()).ok());
    }
  }
}

TEST_CASE("shard: every bit of a small snapshot, flipped (checksum fixed)",
          "[matching][shard_state][snapshot]") {
  const std::string blob = sample_snapshot(60);
  INFO("snapshot of " << blob.size() << " bytes");
  std::size_t accepted = 0;
  for (std::size_t position = 0; position < blob.size(); ++position) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutated = blob;
      mutated[position] ^= static_cast<char>(1 << bit);
      if (position >= 24) fix_checksum(mutated);
      exercise(mutated, accepted);
    }
    // Every byte value at this position, too.
    for (int value = 0; value < 256; value += 17) {
      std::string mutated = blob;
      mutated[position] = static_cast<char>(value);
      if (position >= 24) fix_checksum(mutated);
      exercise(mutated, accepted);
    }
  }
  CHECK(accepted > 0);  // some flips are harmless (a price, a quantity, an offset)
}

TEST_CASE("shard: snapshot format basics", "[matching][shard_state][snapshot]") {
  ShardState state(9, instruments(), 42);
  const std::string blob = state.encode();
  CHECK(blob.substr(0, 4) == "BSS1");
  CHECK(static_cast<std::uint8_t>(blob[4]) == kShardSnapshotFormat);
  auto decoded = ShardState::decode(blob, 9, instruments());
  REQUIRE(decoded.ok());
  CHECK(decoded->next_offset() == 42);
  CHECK(decoded->partition() == 9);
  CHECK(decoded->resting_orders() == 0);
  std::string other_format = blob;
  other_format[4] = 2;
  auto refused = ShardState::decode(other_format, 9, instruments());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kMalformed);
}

}  // namespace
}  // namespace bourse::matching
