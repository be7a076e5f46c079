#include "matching_workload.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

namespace bourse::matching::bench {

namespace {

class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  std::uint64_t state_;
};

constexpr std::int64_t kStartPrice = 100'000;
// Offsets from the touch: offset = kMaxOffsetTicks * u^3 puts most orders near the
// touch with a long thin tail, which yields ~750 levels for ~1,000 orders.
constexpr double kMaxOffsetTicks = 1'600;
constexpr std::uint64_t kUsers = 10'000;

struct LiveOrder {
  std::int64_t id;
  Side side;
  std::int64_t price;
};

// Tracks live orders per symbol from the generator engine's events.
class LiveBook final : public EventListener {
 public:
  explicit LiveBook(std::uint32_t symbols) : live_(symbols) {}
  void on_accepted(const OrderAccepted& e) override {
    auto& list = live_[e.symbol];
    where_[e.order_id.value()] = list.size();
    list.push_back(LiveOrder{e.order_id.value(), e.side, e.price_ticks});
  }
  void on_trade(const Trade& e) override {
    traded = true;
    if (e.maker_remaining == 0) remove(e.symbol, e.maker_order_id.value());
  }
  void on_cancelled(const OrderCancelled& e) override {
    if (e.reason == CancelReason::kUser) remove(e.symbol, e.order_id.value());
  }
  void on_rejected(const OrderRejected&) override { std::abort(); }  // generator bug

  std::vector<std::vector<LiveOrder>> live_;
  bool traded = false;

 private:
  void remove(SymbolHandle symbol, std::int64_t id) {
    auto& list = live_[symbol];
    const auto it = where_.find(id);
    const std::size_t position = it->second;
    where_.erase(it);
    if (position + 1 != list.size()) {
      list[position] = list.back();
      where_[list[position].id] = position;
    }
    list.pop_back();
  }
  std::unordered_map<std::int64_t, std::size_t> where_;
};

}  // namespace

Workload generate_workload(const WorkloadOptions& options) {
  Workload out;
  Random random(options.seed);
  LiveBook live(options.symbols);
  BookOptions book_options;
  book_options.initial_order_capacity = options.target_resting_per_symbol * 2;
  Engine engine(options.symbols, live, book_options);
  std::int64_t next_id = 1;

  const auto touch = [&](SymbolHandle symbol, Side side) -> std::int64_t {
    const OrderBook& book = engine.book(symbol);
    const auto bid = book.best_bid();
    const auto ask = book.best_ask();
    if (side == Side::kBuy) {
      if (bid) return bid->price_ticks;
      return ask ? ask->price_ticks - 1 : kStartPrice - 1;
    }
    if (ask) return ask->price_ticks;
    return bid ? bid->price_ticks + 1 : kStartPrice + 1;
  };
  const auto passive = [&](SymbolHandle symbol) {
    const Side side = random.below(2) ? Side::kBuy : Side::kSell;
    const double u = random.unit();
    // Sometimes improve the touch by one tick when the spread allows it.
    std::int64_t offset = static_cast<std::int64_t>(kMaxOffsetTicks * u * u * u);
    const OrderBook& book = engine.book(symbol);
    const auto bid = book.best_bid();
    const auto ask = book.best_ask();
    if (offset == 0 && bid && ask && ask->price_ticks - bid->price_ticks > 2 && random.below(2)) {
      offset = -1;
    }
    std::int64_t price = side == Side::kBuy ? touch(symbol, side) - offset : touch(symbol, side) + offset;
    if (price < 1) price = 1;
    return Command::new_order(symbol, NewOrder{OrderId(next_id++), 1 + random.below(kUsers), side,
                                               OrderType::kLimit, TimeInForce::kGtc, price,
                                               static_cast<std::int64_t>(1 + random.below(100)), 0});
  };
  const auto pick_cancel = [&](SymbolHandle symbol) -> const LiveOrder& {
    const auto& list = live.live_[symbol];
    const LiveOrder& a = list[random.below(list.size())];
    const LiveOrder& b = list[random.below(list.size())];
    const auto distance = [&](const LiveOrder& o) {
      return std::abs(o.price - touch(symbol, o.side));
    };
    return distance(a) <= distance(b) ? a : b;
  };

  // Warm-up: fill every book to its target with passive placements.
  for (std::uint32_t round = 0; round < options.target_resting_per_symbol; ++round) {
    for (SymbolHandle symbol = 0; symbol < options.symbols; ++symbol) {
      const Command command = passive(symbol);
      engine.apply(command);
      out.warmup.push_back(command);
    }
  }

  std::uint64_t trading = 0;
  std::uint64_t cancels = 0;
  std::uint64_t placements = 0;
  std::uint64_t aggressive = 0;
  double resting_sum = 0;
  double levels_sum = 0;
  std::uint64_t samples = 0;
  out.measured.reserve(options.measured_operations + 1);
  const auto emit = [&](const Command& command) {
    live.traded = false;
    engine.apply(command);
    out.measured.push_back(command);
    if (live.traded) ++trading;
  };
  while (out.measured.size() < options.measured_operations) {
    const auto symbol = static_cast<SymbolHandle>(random.below(options.symbols));
    const OrderBook& book = engine.book(symbol);
    const std::size_t resting = live.live_[symbol].size();
    const std::uint64_t roll = random.below(1'000);
    if (roll < 68) {  // 6.8% aggressive operations; ~6% of all operations trade
      ++aggressive;
      const Side side = random.below(2) ? Side::kBuy : Side::kSell;
      const auto opposite = side == Side::kBuy ? book.best_ask() : book.best_bid();
      const std::int64_t quantity = static_cast<std::int64_t>(1 + random.below(150));
      const std::uint64_t kind = random.below(10);
      NewOrder order{OrderId(next_id++), 1 + random.below(kUsers), side, OrderType::kLimit,
                     TimeInForce::kIoc, 0, quantity, 0};
      const std::int64_t reference = opposite ? opposite->price_ticks : kStartPrice;
      if (kind < 4) {  // IOC limit at or a little through the touch
        order.price_ticks = side == Side::kBuy ? reference + static_cast<std::int64_t>(random.below(3))
                                               : reference - static_cast<std::int64_t>(random.below(3));
      } else if (kind < 7) {  // market order
        order.type = OrderType::kMarket;
        order.cash_cap_ticks = side == Side::kBuy ? quantity * reference * 2 : 0;
      } else {  // crossing GTC limit: trades, then may rest as the new touch
        order.time_in_force = TimeInForce::kGtc;
        order.price_ticks = reference;
        if (order.price_ticks < 1) order.price_ticks = 1;
      }
      emit(Command::new_order(symbol, order));
      continue;
    }
    const bool too_few = resting < options.target_resting_per_symbol * 95 / 100;
    const bool too_many = resting > options.target_resting_per_symbol * 105 / 100;
    const bool place = too_few || (!too_many && random.below(2) == 0);
    if (place || resting == 0) {
      ++placements;
      emit(passive(symbol));
    } else if (random.below(4) == 0 && out.measured.size() + 2 <= options.measured_operations) {
      // A move: cancel, then place again near the touch (two operations).
      const LiveOrder victim = pick_cancel(symbol);
      ++cancels;
      emit(Command::cancel(symbol, OrderId(victim.id)));
      ++placements;
      emit(passive(symbol));
    } else {
      ++cancels;
      emit(Command::cancel(symbol, OrderId(pick_cancel(symbol).id)));
    }
    if ((out.measured.size() & 1023) == 0) {
      const auto sample = static_cast<SymbolHandle>(random.below(options.symbols));
      resting_sum += static_cast<double>(engine.book(sample).resting_order_count());
      levels_sum += static_cast<double>(engine.book(sample).level_count(Side::kBuy) +
                                        engine.book(sample).level_count(Side::kSell));
      ++samples;
    }
  }
  const double total = static_cast<double>(out.measured.size());
  out.trading_fraction = static_cast<double>(trading) / total;
  out.cancel_fraction = static_cast<double>(cancels) / total;
  out.placement_fraction = static_cast<double>(placements) / total;
  out.aggressive_fraction = static_cast<double>(aggressive) / total;
  out.mean_resting_per_symbol = samples ? resting_sum / static_cast<double>(samples) : 0;
  out.mean_levels_per_symbol = samples ? levels_sum / static_cast<double>(samples) : 0;
  return out;
}

}  // namespace bourse::matching::bench
