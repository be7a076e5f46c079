// Where the demo bot quotes (src/demo/liquidity_bot.h): the centre moved by a random-walk
// step, kept on the tick and inside the inner half of the symbol's price band, far
// enough from its edges that quotes kMaxQuoteTicks ticks away stay inside the band too.
// Thread-safety: a pure function.
#pragma once

#include <algorithm>
#include <cstdint>

#include "bourse/common/money.h"

namespace bourse::demo {

// REQUIRES: tick_units > 0, reference_units > 0, 0 <= band_bps <= 10'000,
// quote_ticks >= 0. When the inner half band is narrower than 2 x quote_ticks ticks, the
// reference price (rounded down to the tick) is the centre.
inline Amount next_quote_centre(Amount centre, std::int64_t step_ticks, std::int64_t tick_units,
                                std::int64_t reference_units, std::int32_t band_bps,
                                std::int64_t quote_ticks) {
  const std::int64_t half_band = reference_units / 10'000 * band_bps / 2;
  const auto floor_tick = [tick_units](std::int64_t units) {
    return units / tick_units * tick_units;
  };
  // The lowest and highest centres on the tick with the quotes inside the inner half band.
  const std::int64_t low =
      floor_tick(reference_units - half_band + tick_units - 1) + quote_ticks * tick_units;
  const std::int64_t high = floor_tick(reference_units + half_band) - quote_ticks * tick_units;
  if (low > high) return Amount::from_units(floor_tick(reference_units));
  const std::int64_t moved = floor_tick(centre.units()) + step_ticks * tick_units;
  return Amount::from_units(std::clamp(moved, low, high));
}

}  // namespace bourse::demo
