// Goal: the demo bot's quotes stay on the tick and inside the price band, whatever the
// random walk does, and the walk moves the centre by whole ticks.
#include "demo/quote_centre.h"

#include <catch2/catch.hpp>
#include <random>

#include "demo/liquidity_bot.h"

namespace bourse::demo {
namespace {

Amount parse(const char* text) { return Amount::parse(text).value(); }

TEST_CASE("a step moves the centre by whole ticks and lands on the tick", "[demo]") {
  const auto tick = parse("0.01").units();
  CHECK(next_quote_centre(parse("150.00"), 2, tick, parse("150").units(), 1'000, 5) ==
        parse("150.02"));
  CHECK(next_quote_centre(parse("150.00"), -1, tick, parse("150").units(), 1'000, 5) ==
        parse("149.99"));
  // An off-tick centre (a last trade of another tick table) is floored to the tick first.
  CHECK(next_quote_centre(parse("150.005"), 0, tick, parse("150").units(), 1'000, 5) ==
        parse("150.00"));
}

TEST_CASE("the centre and its quotes stay inside the inner half of the band", "[demo]") {
  struct Case {
    const char* tick;
    const char* reference;
    std::int32_t band_bps;
  };
  for (const Case c : {Case{"0.01", "150", 1'000}, Case{"0.01", "400", 1'000},
                       Case{"0.01", "250", 1'500}, Case{"1", "700000", 500}}) {
    INFO(c.reference << " tick " << c.tick << " band " << c.band_bps);
    const auto tick = parse(c.tick).units();
    const auto reference = parse(c.reference).units();
    const std::int64_t half = reference / 10'000 * c.band_bps / 2;
    std::mt19937_64 random(7);
    std::uniform_int_distribution<std::int64_t> walk(-kMaxWalkTicks, kMaxWalkTicks);
    Amount centre = Amount::from_units(reference);
    for (int i = 0; i < 20'000; ++i) {
      // A persistent drift upwards then downwards pushes against both edges.
      const std::int64_t step = walk(random) + (i < 10'000 ? 1 : -1);
      centre = next_quote_centre(centre, step, tick, reference, c.band_bps, kMaxQuoteTicks);
      REQUIRE(centre.units() % tick == 0);
      REQUIRE(centre.units() - kMaxQuoteTicks * tick >= reference - half);
      REQUIRE(centre.units() + kMaxQuoteTicks * tick <= reference + half);
    }
  }
}

TEST_CASE("a band too narrow for the quotes centres on the reference", "[demo]") {
  const auto tick = parse("1").units();
  CHECK(next_quote_centre(parse("105"), 3, tick, parse("100").units(), 100, 5) == parse("100"));
}

}  // namespace
}  // namespace bourse::demo
