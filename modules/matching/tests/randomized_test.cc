// Goal: over more than 1,000,000 random operations (several seeds), the engine's
// OrderBook emits exactly the events of a deliberately simple reference matcher, and
// after every step quantities are conserved, the book is uncrossed and no trade has
// quantity 0. Halfway through each seed the book is snapshotted and restored into a
// second book, which must then emit the same future events as the original.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "bourse/matching/order_book.h"
#include "reference_matcher.h"

namespace bourse::matching {
namespace {

// 8 seeds x 131,072 operations = 1,048,576 operations.
constexpr int kSeeds = 8;
constexpr std::int64_t kOperationsPerSeed = 131'072;
// Small enough that cancel-before-arrival eviction happens often.
constexpr std::uint32_t kPendingCancels = 16;
// Small enough that kBookFull is exercised now and then.
constexpr std::uint32_t kMaxResting = 600;
constexpr std::uint64_t kUsers = 6;  // few users: self-trades are frequent

class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::int64_t between(std::int64_t low, std::int64_t high) {  // inclusive
    return low + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(high - low + 1));
  }
  bool percent(int p) { return static_cast<int>(next() % 100) < p; }

 private:
  std::uint64_t state_;
};

struct Operation {
  bool is_cancel = false;
  NewOrder order;
};

// Generates operations that keep a few hundred orders resting around a drifting mid
// price, with every order type, invalid input, and cancels for live, gone and future
// ids.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed) {}

  Operation next(const OrderBook& book) {
    Operation op;
    if (random_.percent(2)) mid_ += random_.between(-2, 2);
    if (mid_ < 50) mid_ = 50;
    const int roll = static_cast<int>(random_.next() % 100);
    const bool crowded = book.resting_order_count() > 400;
    if (roll < (crowded ? 55 : 30)) {
      op.is_cancel = true;
      const int kind = static_cast<int>(random_.next() % 100);
      if (kind < 70 && !live_.empty()) {
        const std::size_t i = random_.next() % live_.size();
        op.order.order_id = OrderId(live_[i]);
        live_[i] = live_.back();
        live_.pop_back();
      } else if (kind < 85) {
        op.order.order_id = OrderId(next_id_ + random_.between(0, 5));  // not yet arrived
      } else if (kind < 98) {
        op.order.order_id = OrderId(random_.between(1, next_id_));  // probably gone
      } else {
        op.order.order_id = OrderId(random_.between(-1, 0));  // invalid
      }
      return op;
    }
    NewOrder& order = op.order;
    order.order_id = OrderId(next_id_++);
    order.user = 1 + random_.next() % kUsers;
    order.side = random_.percent(50) ? Side::kBuy : Side::kSell;
    order.quantity = random_.percent(80) ? random_.between(1, 10) : random_.between(11, 200);
    const std::int64_t offset = random_.between(-12, 12);
    order.price_ticks = order.side == Side::kBuy ? mid_ + offset - 3 : mid_ + offset + 3;
    const int type_roll = static_cast<int>(random_.next() % 100);
    if (type_roll < 70) {
      order.type = OrderType::kLimit;
      order.time_in_force = TimeInForce::kGtc;
    } else if (type_roll < 80) {
      order.type = OrderType::kLimit;
      order.time_in_force = TimeInForce::kIoc;
    } else if (type_roll < 86) {
      order.type = OrderType::kLimit;
      order.time_in_force = TimeInForce::kFok;
    } else {
      order.type = OrderType::kMarket;
      order.time_in_force = random_.percent(80) ? TimeInForce::kIoc
                            : random_.percent(50) ? TimeInForce::kFok
                                                  : TimeInForce::kGtc;
      order.price_ticks = 0;
      const bool sweep = random_.percent(1);
      if (sweep) {  // a user with no resting orders empties a whole side
        order.quantity = random_.between(1'000, 4'000);
        order.user = kUsers + 1;
      }
      if (order.side == Side::kBuy) {
        // Sometimes generous, sometimes binding, sometimes below one lot.
        order.cash_cap_ticks = sweep ? std::int64_t{1} << 40
                               : random_.percent(40) ? random_.between(1, mid_ * 3)
                                                   : random_.between(mid_, mid_ * order.quantity * 2);
      }
    }
    if (random_.percent(2)) corrupt(order);
    if (order.type == OrderType::kLimit && order.time_in_force == TimeInForce::kGtc) {
      live_.push_back(order.order_id.value());  // may or may not rest; cancels will tell
    }
    return op;
  }

 private:
  void corrupt(NewOrder& order) {
    switch (random_.next() % 6) {
      case 0: order.quantity = random_.between(-3, 0); break;
      case 1: order.type = OrderType::kLimit; order.price_ticks = random_.between(-3, 0); break;
      case 2: order.order_id = live_.empty() ? OrderId(0) : OrderId(live_[random_.next() % live_.size()]); break;
      case 3: order.side = static_cast<Side>(2 + random_.next() % 5); break;
      case 4: order.time_in_force = static_cast<TimeInForce>(3); break;
      default: order.type = OrderType::kMarket; order.side = Side::kBuy; order.cash_cap_ticks = 0; break;
    }
  }

  Random random_;
  std::int64_t mid_ = 1'000;
  std::int64_t next_id_ = 1;
  std::vector<std::int64_t> live_;
};

std::string describe(const std::vector<Event>& events) {
  std::ostringstream out;
  for (const Event& event : events) out << "  " << to_string(event) << "\n";
  return out.str();
}

// Quantity ledger built from events only: for every order, quantity = traded +
// cancelled + resting, and the book's resting total equals what the events imply.
class Ledger {
 public:
  void submitted(const NewOrder& order) { quantity_[order.order_id.value()] = order.quantity; }
  void apply(const Event& event) {
    if (const auto* t = std::get_if<Trade>(&event)) {
      REQUIRE(t->quantity > 0);
      used_[t->maker_order_id.value()] += t->quantity;
      used_[t->taker_order_id.value()] += t->quantity;
      resting_ -= t->quantity;  // the maker's part left the book
      touched_.push_back(t->maker_order_id.value());
      touched_.push_back(t->taker_order_id.value());
    } else if (const auto* c = std::get_if<OrderCancelled>(&event)) {
      REQUIRE(c->cancelled_quantity > 0);
      used_[c->order_id.value()] += c->cancelled_quantity;
      if (c->reason == CancelReason::kUser) resting_ -= c->cancelled_quantity;
      touched_.push_back(c->order_id.value());
    } else if (const auto* a = std::get_if<OrderAccepted>(&event)) {
      resting_ += a->resting_quantity;
      touched_.push_back(a->order_id.value());
    }
  }
  // Checks every order touched since the last call against the book.
  void check(const OrderBook& book) {
    REQUIRE(book.resting_quantity() == resting_);
    for (const std::int64_t id : touched_) {
      const auto resting = book.find(OrderId(id));
      const std::int64_t in_book = resting ? resting->remaining_quantity : 0;
      REQUIRE(used_[id] + in_book == quantity_[id]);
      if (!resting) {  // terminal: forget it (ids are not reused by the generator)
        used_.erase(id);
        quantity_.erase(id);
      }
    }
    touched_.clear();
  }

 private:
  std::unordered_map<std::int64_t, std::int64_t> quantity_;
  std::unordered_map<std::int64_t, std::int64_t> used_;
  std::vector<std::int64_t> touched_;
  std::int64_t resting_ = 0;
};

void run_seed(std::uint64_t seed) {
  const BookOptions options{.initial_order_capacity = 16, .max_resting_orders = kMaxResting,
                            .max_pending_cancels = kPendingCancels};
  RecordingListener engine_events;
  OrderBook book(1, engine_events, options);
  testing::ReferenceMatcher reference(1, kMaxResting, kPendingCancels);
  Generator generator(seed);
  Ledger ledger;
  RecordingListener restored_events;
  std::unique_ptr<OrderBook> restored;
  std::uint64_t trades = 0;
  std::uint64_t resting_sum = 0;
  std::unordered_map<std::string, std::uint64_t> outcomes;  // event kind/reason -> count

  for (std::int64_t step = 0; step < kOperationsPerSeed; ++step) {
    if (step == kOperationsPerSeed / 2) {
      const BookSnapshot snapshot = book.snapshot();
      REQUIRE(snapshot == reference.snapshot());
      restored = std::make_unique<OrderBook>(1, restored_events, options);
      REQUIRE(restored->restore(snapshot).ok());
    }
    const Operation op = generator.next(book);
    engine_events.events.clear();
    restored_events.events.clear();
    std::vector<Event> expected;
    if (op.is_cancel) {
      book.cancel(CancelOrder{op.order.order_id});
      if (restored) restored->cancel(CancelOrder{op.order.order_id});
      expected = reference.cancel(CancelOrder{op.order.order_id});
    } else {
      book.submit(op.order);
      if (restored) restored->submit(op.order);
      expected = reference.submit(op.order);
    }
    if (engine_events.events != expected) {
      FAIL("seed " << seed << " step " << step << ": events differ\nengine:\n"
                   << describe(engine_events.events) << "reference:\n" << describe(expected));
    }
    if (restored && restored_events.events != engine_events.events) {
      FAIL("seed " << seed << " step " << step << ": restored book diverged\n"
                   << describe(restored_events.events));
    }
    if (!op.is_cancel && !expected.empty() && !std::holds_alternative<OrderRejected>(expected[0])) {
      ledger.submitted(op.order);
    }
    for (const Event& event : engine_events.events) {
      ledger.apply(event);
      if (std::holds_alternative<Trade>(event)) ++trades;
      if (const auto* c = std::get_if<OrderCancelled>(&event)) ++outcomes[to_string(c->reason)];
      if (const auto* r = std::get_if<OrderRejected>(&event)) ++outcomes[to_string(r->reason)];
      if (std::holds_alternative<OrderAccepted>(event)) ++outcomes["accepted"];
    }
    ledger.check(book);
    resting_sum += book.resting_order_count();
    const auto bid = book.best_bid();
    const auto ask = book.best_ask();
    if (bid && ask) REQUIRE(bid->price_ticks < ask->price_ticks);
    REQUIRE((bid ? std::optional<std::int64_t>(bid->price_ticks) : std::nullopt) == reference.best_bid());
    REQUIRE((ask ? std::optional<std::int64_t>(ask->price_ticks) : std::nullopt) == reference.best_ask());
    if (step % 4'096 == 0) {
      book.check_invariants();
      REQUIRE(book.snapshot() == reference.snapshot());
    }
  }
  book.check_invariants();
  restored->check_invariants();
  REQUIRE(book.snapshot() == reference.snapshot());
  REQUIRE(restored->snapshot() == book.snapshot());
  CHECK(trades > static_cast<std::uint64_t>(kOperationsPerSeed) / 10);
  // Every rule must actually be exercised by the random mix.
  for (const char* outcome : {"accepted", "user", "user_before_arrival", "ioc_remainder",
                              "market_remainder", "fok_not_fillable", "self_trade", "cash_cap",
                              "invalid_quantity", "invalid_price", "duplicate_order_id",
                              "invalid_side", "invalid_time_in_force", "invalid_cash_cap",
                              "invalid_order_id"}) {
    INFO(outcome);
    CHECK(outcomes[outcome] > 0);
  }
  if (seed == 1) {
    std::ostringstream summary;
    summary << "seed 1: trades=" << trades
            << " mean resting orders=" << resting_sum / static_cast<std::uint64_t>(kOperationsPerSeed);
    for (const auto& [name, count] : std::map<std::string, std::uint64_t>(outcomes.begin(), outcomes.end())) {
      summary << " " << name << "=" << count;
    }
    WARN(summary.str());
  }
}

TEST_CASE("the engine matches the reference matcher over 1,000,000 random operations",
          "[matching][randomized]") {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    INFO("seed " << seed);
    run_seed(static_cast<std::uint64_t>(seed));
  }
}

}  // namespace
}  // namespace bourse::matching
