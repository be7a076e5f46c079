#include "bourse/market_data/gbm_price_model.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "bourse/common/assert.h"

namespace bourse::market_data {
namespace {

Error bad(const std::string& what) { return Error::invalid("prices: " + what, "invalid_config"); }

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Status validate(const GbmParameters& parameters) {
  if (!std::isfinite(parameters.drift) || std::fabs(parameters.drift) > kMaxAnnualDrift) {
    return bad("drift must be within +-" + std::to_string(kMaxAnnualDrift) + " (annualised)");
  }
  if (!std::isfinite(parameters.volatility) || parameters.volatility < 0 ||
      parameters.volatility > kMaxAnnualVolatility) {
    return bad("volatility must be in [0, " + std::to_string(kMaxAnnualVolatility) +
               "] (annualised)");
  }
  if (parameters.step_interval < kMinStepInterval || parameters.step_interval > kMaxStepInterval) {
    return bad("step interval must be " + std::to_string(kMinStepInterval.count()) + ".." +
               std::to_string(kMaxStepInterval.count()) + " ms");
  }
  if (!std::isfinite(parameters.pull) || parameters.pull < 0 || parameters.pull > 1) {
    return bad("pull must be in [0, 1]");
  }
  if (parameters.max_step_move_bps < 1 || parameters.max_step_move_bps > kMaxStepMoveBps) {
    return bad("max step move must be 1.." + std::to_string(kMaxStepMoveBps) + " bps");
  }
  return Status::success();
}

double NormalSampler::uniform_open_closed() {
  // The top 53 bits, shifted into (0, 1]: never 0, so log() below is finite.
  return static_cast<double>((engine_() >> 11) + 1) * 0x1.0p-53;
}

double NormalSampler::next() {
  if (spare_) {
    const double value = *spare_;
    spare_.reset();
    return value;
  }
  const double radius = std::sqrt(-2.0 * std::log(uniform_open_closed()));
  const double angle = 2.0 * std::numbers::pi * uniform_open_closed();
  spare_ = radius * std::sin(angle);
  return radius * std::cos(angle);
}

std::uint64_t symbol_seed(std::uint64_t seed, std::string_view symbol) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (char c : symbol) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return splitmix64(seed ^ hash);
}

GbmPriceModel::GbmPriceModel(const GbmParameters& parameters, Amount tick, Amount start,
                             std::uint64_t seed)
    : parameters_(parameters), tick_units_(tick.units()), exact_units_(0), normal_(seed) {
  BOURSE_ASSERT(validate(parameters_).ok(), "GBM parameters are validated at start-up");
  BOURSE_ASSERT(tick_units_ > 0, "a positive tick");
  reset(start);
}

void GbmPriceModel::reset(Amount price) {
  BOURSE_ASSERT(price.units() > 0 && price.units() % tick_units_ == 0,
                "a model restarts from a positive price on its tick");
  exact_units_ =
      std::min(static_cast<double>(price.units()), static_cast<double>(kMaxModelPriceUnits));
}

Amount GbmPriceModel::step(std::optional<Amount> last_trade) {
  const double dt =
      std::chrono::duration<double>(parameters_.step_interval).count() / kSecondsPerYear;
  const double sigma = parameters_.volatility;
  const double log_return =
      (parameters_.drift - 0.5 * sigma * sigma) * dt + sigma * std::sqrt(dt) * normal_.next();
  double log_next = std::log(exact_units_) + log_return;
  if (last_trade) {
    BOURSE_ASSERT(last_trade->units() > 0, "a trade price is positive");
    log_next = (1.0 - parameters_.pull) * log_next +
               parameters_.pull * std::log(static_cast<double>(last_trade->units()));
  }
  // exp() of a very negative or very positive value is 0 or inf: both are clamped below.
  double next = std::exp(log_next);
  const double bound = parameters_.max_step_move_bps / 10'000.0;
  next = std::clamp(next, exact_units_ * (1.0 - bound), exact_units_ * (1.0 + bound));
  next =
      std::clamp(next, static_cast<double>(tick_units_), static_cast<double>(kMaxModelPriceUnits));
  BOURSE_ASSERT(std::isfinite(next) && next >= static_cast<double>(tick_units_),
                "the exact model price stays finite and at least one tick");
  exact_units_ = next;
  return rounded();
}

Amount GbmPriceModel::price() const { return rounded(); }

Amount GbmPriceModel::rounded() const {
  const std::int64_t max_ticks = kMaxModelPriceUnits / tick_units_;
  auto ticks = static_cast<std::int64_t>(std::floor(exact_units_ / tick_units_ + 0.5));
  ticks = std::clamp<std::int64_t>(ticks, 1, max_ticks);
  const Amount price = Amount::from_units(ticks * tick_units_);
  BOURSE_ASSERT(price.units() >= tick_units_ && price.units() % tick_units_ == 0,
                "a published price is on the tick and at least one tick");
  return price;
}

}  // namespace bourse::market_data
