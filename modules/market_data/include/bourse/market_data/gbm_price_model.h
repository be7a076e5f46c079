// The virtual reference price of one symbol: geometric Brownian motion, pulled toward
// the last trade price, bounded per step, rounded to the symbol's tick. Pure and
// deterministic: no I/O, no clock; the same parameters, seed and inputs give the same
// path on every run and machine.
//
// One step of length dt = step_interval / kSecondsPerYear (calendar time, 365.25 days):
//   1. GBM:  g = p x exp((drift - volatility^2 / 2) dt + volatility sqrt(dt) Z),
//            Z ~ N(0, 1). drift and volatility are ANNUALISED (0.3 = 30% a year).
//   2. Pull: with a last trade price t, in log space  ln p' = (1 - pull) ln g + pull ln t
//            (pull = 0: pure GBM; pull = 1: jump to the last trade).
//   3. Bound: p' is clamped to [p (1 - b), p (1 + b)], b = max_step_move_bps / 10'000
//            (named limit, default kDefaultMaxStepMoveBps), and to
//            [one tick, kMaxModelPriceUnits].
//   4. The published price is p' rounded to the nearest tick (ties up), never below one
//      tick. So a published price moves at most b x p + one tick per step.
// The model keeps p exact (a double) between steps, so moves smaller than a tick
// accumulate instead of being rounded away; reset() restarts it from a stored price
// (a takeover, or another writer's price).
//
// Randomness: std::mt19937_64 (its output sequence is fixed by the C++ standard) and our
// own Box-Muller transform from its raw 64-bit outputs (std::normal_distribution's
// algorithm is implementation-defined). exp/log/sqrt/cos come from libm, whose last-bit
// accuracy could differ across libm versions; after rounding to the tick that almost
// never shows, but reproducibility is promised only for one build.
//
// Doubles never leave: step() and price() return exact tick Amounts.
// Thread-safety: a model is a value owned by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "bourse/common/error.h"
#include "bourse/common/money.h"

namespace bourse::market_data {

inline constexpr double kSecondsPerYear = 365.25 * 24 * 3600;
// Largest |drift| and volatility accepted (annualised, 10 = 1000% a year): past that the
// "price" is noise. The per-step bound keeps even these finite and positive.
inline constexpr double kMaxAnnualDrift = 10.0;
inline constexpr double kMaxAnnualVolatility = 10.0;
// Per-step move bound: default 5%, at most 50% (a step may never halve-or-double
// unchecked: the band of every order follows this price).
inline constexpr std::int32_t kDefaultMaxStepMoveBps = 500;
inline constexpr std::int32_t kMaxStepMoveBps = 5'000;
// Step intervals accepted: 10 ms .. 1 hour.
inline constexpr std::chrono::milliseconds kMinStepInterval{10};
inline constexpr std::chrono::milliseconds kMaxStepInterval{3'600'000};
// Highest price the model publishes, in Amount units: half of Amount's limit, so the
// band's upper bound (at most 2x the reference) still fits.
inline constexpr std::int64_t kMaxModelPriceUnits = limits::kMaxAmountUnits / 2;

struct GbmParameters {
  double drift = 0.0;       // annualised, in [-kMaxAnnualDrift, kMaxAnnualDrift]
  double volatility = 0.3;  // annualised, in [0, kMaxAnnualVolatility]
  std::chrono::milliseconds step_interval{1'000};
  double pull = 0.01;                                       // per step, in [0, 1]
  std::int32_t max_step_move_bps = kDefaultMaxStepMoveBps;  // 1..kMaxStepMoveBps
};

// kInvalidArgument ("invalid_config") naming the bad field.
Status validate(const GbmParameters& parameters);

// Standard normal samples from a std::mt19937_64 by Box-Muller (both outputs used).
class NormalSampler {
 public:
  explicit NormalSampler(std::uint64_t seed) : engine_(seed) {}
  double next();

 private:
  double uniform_open_closed();  // in (0, 1], 53 random bits
  std::mt19937_64 engine_;
  std::optional<double> spare_;
};

// A per-symbol seed from the configured seed: the same seed gives each symbol its own,
// reproducible path (FNV-1a of the symbol, mixed by SplitMix64).
std::uint64_t symbol_seed(std::uint64_t seed, std::string_view symbol);

class GbmPriceModel {
 public:
  // REQUIRES: validate(parameters).ok(); tick > 0; start > 0 and a multiple of tick.
  GbmPriceModel(const GbmParameters& parameters, Amount tick, Amount start, std::uint64_t seed);

  // Advances one step (see the file comment) and returns the new published price.
  // ENSURES: result >= tick, a multiple of tick, <= kMaxModelPriceUnits.
  // REQUIRES: last_trade, if any, > 0.
  Amount step(std::optional<Amount> last_trade);

  // The published price now (the exact price rounded to the tick).
  Amount price() const;
  double exact_price() const noexcept { return exact_units_; }

  // Continues from `price` (REQUIRES: > 0, a multiple of the tick). The random sequence
  // is not reset.
  void reset(Amount price);

 private:
  Amount rounded() const;

  GbmParameters parameters_;
  std::int64_t tick_units_;
  double exact_units_;  // the exact price in Amount units, in [tick, kMaxModelPriceUnits]
  NormalSampler normal_;
};

}  // namespace bourse::market_data
