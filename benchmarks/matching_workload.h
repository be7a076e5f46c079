// An exchange-core-like order flow for the matching benchmarks.
//
// Mix (per operation, symbol chosen uniformly at random):
// - ~50% passive GTC limit placements near the touch (offset from the touch drawn so
//   that ~1,000 resting orders spread over ~750 price levels per symbol);
// - ~43% cancels of a resting order (the nearer to the touch of two random picks);
//   a "move" (modify price) is emitted as a cancel followed by a placement and counts
//   as two operations;
// - ~7% aggressive operations (~6% of all operations trade): IOC limits, market orders (buys carry a
//   generous cash cap) and crossing GTC limits.
// A placement-or-cancel bias keeps each book near its target size. The generator runs
// its own Engine to know which orders are live, so every cancel targets a real order
// (the same deterministic engine then replays the flow in the benchmark).
#pragma once

#include <cstdint>
#include <vector>

#include "bourse/matching/engine.h"

namespace bourse::matching::bench {

struct WorkloadOptions {
  std::uint32_t symbols = 1;
  std::uint32_t target_resting_per_symbol = 1'000;
  std::uint64_t measured_operations = 5'000'000;
  std::uint64_t seed = 42;
};

struct Workload {
  std::vector<Command> warmup;    // placements that fill the books (not timed)
  std::vector<Command> measured;  // the timed operations
  // Statistics of the measured part, as observed by the generator.
  double trading_fraction = 0;    // operations that produced at least one trade
  double cancel_fraction = 0;
  double placement_fraction = 0;
  double aggressive_fraction = 0;
  double mean_resting_per_symbol = 0;
  double mean_levels_per_symbol = 0;
};

Workload generate_workload(const WorkloadOptions& options);

// Counts events and folds them into a checksum (so runs can be compared for
// determinism) at the cost of a few instructions per event.
class CountingListener final : public EventListener {
 public:
  void on_accepted(const OrderAccepted& e) override { mix(1, e.sequence, e.order_id.value()); }
  void on_trade(const Trade& e) override {
    ++trades;
    mix(2, e.sequence, e.trade_id.value() ^ (e.quantity << 20) ^ e.price_ticks);
  }
  void on_cancelled(const OrderCancelled& e) override { mix(3, e.sequence, e.order_id.value()); }
  void on_rejected(const OrderRejected& e) override {
    ++rejects;
    mix(4, e.sequence, e.order_id.value());
  }
  std::uint64_t events = 0;
  std::uint64_t trades = 0;
  std::uint64_t rejects = 0;
  std::uint64_t checksum = 0;

 private:
  void mix(std::uint64_t kind, std::uint64_t a, std::int64_t b) {
    ++events;
    checksum = (checksum ^ (kind + a * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(b))) *
               0x100000001B3ull;
  }
};

}  // namespace bourse::matching::bench
