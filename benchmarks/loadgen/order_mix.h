// The load generator's order mix: a seeded, deterministic stream of actions over many
// users and symbols, shaped like a real exchange's flow.
//
//   - symbol: Zipf-like popularity, P(rank k) ~ 1 / (k + 1)^zipf_s (rank 0 = first symbol);
//   - side: buy or sell, even odds;
//   - type: MARKET with probability market_ratio, else LIMIT at the reference price +/- a
//     uniform number of ticks in [-spread_ticks, +spread_ticks] (buys and sells drawn
//     from the same window, so about half of the limit orders cross the other side);
//   - quantity: 1..max_lots lots;
//   - cancel: with probability cancel_ratio the action is a cancel of one of the caller's
//     recent orders (the caller picks which; the mix only decides when).
// Prices are exact: integer ticks times the symbol's tick, printed as a decimal string.
//
// Pure: no I/O, no clock. Thread-safety: one OrderMix per thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace bourse::bench {

// A decimal amount as an integer number of 1e-8 units (enough for any tick here).
using Nanos = std::int64_t;
inline constexpr Nanos kNanosPerUnit = 100'000'000;
// Parses "150", "0.01", "-3.5" (at most 8 decimals); false if malformed.
bool parse_decimal(const std::string& text, Nanos& out);
std::string format_decimal(Nanos value);

struct MixSymbol {
  std::string symbol;
  Nanos tick = 0;       // > 0
  std::int64_t lot = 1; // > 0
};

struct MixOptions {
  double zipf_s = 1.0;
  double market_ratio = 0.10;
  double cancel_ratio = 0.05;
  int spread_ticks = 20;
  int max_lots = 5;
  int users = 1'000;
};

struct Action {
  enum class Kind { kPlace, kCancel } kind = Kind::kPlace;
  std::size_t symbol_index = 0;
  int user = 0;              // 0..users-1
  bool buy = true;
  bool market = false;
  std::int64_t quantity = 0; // shares (lots x lot size)
  Nanos price = 0;           // LIMIT only; on tick and > 0
};

class OrderMix {
 public:
  // REQUIRES: !symbols.empty(), each tick > 0 and lot > 0, options in range.
  OrderMix(std::vector<MixSymbol> symbols, MixOptions options, std::uint64_t seed);

  // The next action, given each symbol's current reference price (same order as the
  // symbols; > 0). Limit prices stay >= one tick.
  Action next(const std::vector<Nanos>& reference_prices);

  // The order body for POST /v1/orders.
  std::string order_json(const Action& action, const std::string& user_prefix) const;
  const std::vector<MixSymbol>& symbols() const { return symbols_; }

 private:
  std::vector<MixSymbol> symbols_;
  MixOptions options_;
  std::mt19937_64 random_;
  std::vector<double> cumulative_;  // Zipf CDF over symbol ranks
};

}  // namespace bourse::bench
