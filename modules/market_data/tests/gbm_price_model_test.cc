// Goal: the virtual price model is reproducible from its seed, publishes only positive
// on-tick prices within its per-step bound (even at absurd volatility), and drifts toward
// the last trade price when pulled.
#include "bourse/market_data/gbm_price_model.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

namespace bourse::market_data {
namespace {

Amount money(const char* text) { return Amount::parse(text).value(); }

std::vector<Amount> path(const GbmParameters& parameters, std::uint64_t seed, int steps,
                         std::optional<Amount> last_trade = std::nullopt) {
  GbmPriceModel model(parameters, money("0.01"), money("150"), seed);
  std::vector<Amount> prices;
  for (int i = 0; i < steps; ++i) prices.push_back(model.step(last_trade));
  return prices;
}

GbmParameters lively() {
  GbmParameters parameters;
  parameters.volatility = 2.0;
  parameters.step_interval = std::chrono::minutes(10);
  parameters.pull = 0;
  return parameters;
}

TEST_CASE("the same seed gives the same path; another seed another path", "[market_data]") {
  const auto first = path(lively(), 42, 500);
  CHECK(first == path(lively(), 42, 500));
  CHECK(first != path(lively(), 43, 500));
  // It moves at all: a path that never leaves 150 would pass the checks above vacuously.
  CHECK(std::count(first.begin(), first.end(), money("150")) < 50);
}

TEST_CASE("each symbol has its own reproducible seed", "[market_data]") {
  CHECK(symbol_seed(7, "AAPL") == symbol_seed(7, "AAPL"));
  CHECK(symbol_seed(7, "AAPL") != symbol_seed(7, "MSFT"));
  CHECK(symbol_seed(7, "AAPL") != symbol_seed(8, "AAPL"));
}

TEST_CASE("standard normal samples have mean 0 and variance 1", "[market_data]") {
  NormalSampler normal(1);
  double sum = 0;
  double sum_of_squares = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) {
    const double x = normal.next();
    sum += x;
    sum_of_squares += x * x;
  }
  CHECK(std::fabs(sum / n) < 0.01);
  CHECK(std::fabs(sum_of_squares / n - 1.0) < 0.02);
}

TEST_CASE("published prices are always positive, on tick and within the step bound",
          "[market_data]") {
  GbmParameters parameters = lively();
  parameters.max_step_move_bps = 300;
  GbmPriceModel model(parameters, money("0.05"), money("20"), 9);
  Amount previous = model.price();
  for (int i = 0; i < 20'000; ++i) {
    const Amount next = model.step(std::nullopt);
    REQUIRE(next.units() >= money("0.05").units());
    REQUIRE(next.units() % money("0.05").units() == 0);
    // b x previous exact price + one tick (rounding on both sides: half a tick each).
    const double limit = 0.03 * model.exact_price() / 0.97 + money("0.05").units();
    REQUIRE(std::fabs(static_cast<double>(next.units() - previous.units())) <= limit + 1e-6);
    previous = next;
  }
}

TEST_CASE("extreme volatility and drift stay positive and bounded", "[market_data]") {
  GbmParameters parameters;
  parameters.volatility = kMaxAnnualVolatility;
  parameters.drift = -kMaxAnnualDrift;
  parameters.step_interval = kMaxStepInterval;
  parameters.max_step_move_bps = kMaxStepMoveBps;
  parameters.pull = 0;
  // Starts at one tick: every down move is clamped at the floor.
  GbmPriceModel model(parameters, money("0.01"), money("0.01"), 5);
  for (int i = 0; i < 10'000; ++i) {
    const Amount next = model.step(std::nullopt);
    REQUIRE(next.units() >= money("0.01").units());
    REQUIRE(next.units() % money("0.01").units() == 0);
    REQUIRE(next.units() <= kMaxModelPriceUnits);
  }
  parameters.drift = kMaxAnnualDrift;  // and up to the ceiling
  GbmPriceModel rising(parameters, money("1"), money("1000000"), 5);
  for (int i = 0; i < 10'000; ++i) {
    const Amount next = rising.step(std::nullopt);
    REQUIRE(next.units() >= money("1").units());
    REQUIRE(next.units() <= kMaxModelPriceUnits);
  }
}

TEST_CASE("the price is pulled toward the last trade", "[market_data]") {
  GbmParameters parameters;
  parameters.volatility = 0.3;
  parameters.pull = 0.2;
  GbmPriceModel model(parameters, money("0.01"), money("150"), 3);
  for (int i = 0; i < 200; ++i) model.step(money("180"));
  // (1 - 0.2)^200 of the log gap is left: the price sits at the trade, give or take noise.
  CHECK(model.price() >= money("179"));
  CHECK(model.price() <= money("181"));

  // Without a trade the same seed stays near the start.
  GbmPriceModel unpulled(parameters, money("0.01"), money("150"), 3);
  for (int i = 0; i < 200; ++i) unpulled.step(std::nullopt);
  CHECK(unpulled.price() >= money("149"));
  CHECK(unpulled.price() <= money("151"));
}

TEST_CASE("a full pull is still bounded per step", "[market_data]") {
  GbmParameters parameters;
  parameters.volatility = 0;
  parameters.pull = 1;
  parameters.max_step_move_bps = 1'000;
  GbmPriceModel model(parameters, money("0.01"), money("100"), 1);
  CHECK(model.step(money("200")) == money("110"));
  CHECK(model.step(money("200")) == money("121"));
  CHECK(model.step(money("115")) == money("115"));
}

TEST_CASE("moves smaller than a tick accumulate instead of being rounded away", "[market_data]") {
  GbmParameters parameters;
  parameters.volatility = 0;
  parameters.drift = kMaxAnnualDrift;  // 10 a year: ~0.00003% a second, far below one tick
  parameters.pull = 0;
  GbmPriceModel model(parameters, money("0.01"), money("100"), 1);
  for (int i = 0; i < 3'600; ++i) model.step(std::nullopt);
  // exp(10 x 3600 / 31'557'600) = 1.00114: an hour later the price is ~100.11.
  CHECK(model.price() == money("100.11"));
}

TEST_CASE("reset continues from a stored price", "[market_data]") {
  GbmParameters parameters;
  parameters.volatility = 0;
  GbmPriceModel model(parameters, money("0.01"), money("100"), 1);
  model.reset(money("123.45"));
  CHECK(model.price() == money("123.45"));
  CHECK(model.step(std::nullopt) == money("123.45"));
}

TEST_CASE("parameters outside their ranges are refused", "[market_data]") {
  CHECK(validate(GbmParameters{}).ok());
  GbmParameters p;
  p.volatility = -0.1;
  CHECK_FALSE(validate(p).ok());
  p = {};
  p.pull = 1.5;
  CHECK_FALSE(validate(p).ok());
  p = {};
  p.drift = NAN;
  CHECK_FALSE(validate(p).ok());
  p = {};
  p.step_interval = std::chrono::milliseconds(1);
  CHECK_FALSE(validate(p).ok());
  p = {};
  p.max_step_move_bps = 0;
  CHECK_FALSE(validate(p).ok());
}

}  // namespace
}  // namespace bourse::market_data
