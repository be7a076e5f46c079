#include "bourse/common/instrument.h"

namespace bourse {
namespace {

// reference x (10'000 +- band) / 10'000, rounded to a tick towards the reference.
// Inputs are validated (reference <= 10^15 units, factor <= 20'000), so the product
// fits in __int128 and the result within Amount's limit after division.
Amount scaled_to_tick(const Instrument& instrument, std::int64_t factor_bps, bool round_up) {
  __int128 product = static_cast<__int128>(instrument.reference_price.units()) * factor_bps;
  __int128 units = product / kMaxPriceBandBasisPoints;
  const std::int64_t tick = instrument.tick_size.units();
  __int128 ticks = units / tick;
  if (round_up && ticks * tick * kMaxPriceBandBasisPoints < product) ++ticks;
  __int128 result = ticks * tick;
  if (result > Amount::kMaxUnits) result = (Amount::kMaxUnits / tick) * tick;
  return Amount::from_units(static_cast<std::int64_t>(result));
}

}  // namespace

Amount Instrument::band_low() const {
  // Rounded up: a price below the exact bound is outside the band.
  return scaled_to_tick(*this, kMaxPriceBandBasisPoints - price_band_bps, /*round_up=*/true);
}

Amount Instrument::band_high() const {
  // Rounded down: a price above the exact bound is outside the band.
  return scaled_to_tick(*this, kMaxPriceBandBasisPoints + price_band_bps, /*round_up=*/false);
}

Status validate_instrument(const Instrument& instrument) {
  Status symbol = validate_symbol(instrument.symbol);
  if (!symbol) return symbol;
  auto fail = [&](const std::string& what) {
    return Error::invalid("symbol " + instrument.symbol + ": " + what, "invalid_instrument");
  };
  if (instrument.tick_size.units() <= 0) return fail("tick_size must be positive");
  if (instrument.lot_size < 1) return fail("lot_size must be >= 1");
  if (instrument.max_order_quantity < 1 || instrument.max_order_quantity > Quantity::kMax ||
      instrument.max_order_quantity % instrument.lot_size != 0) {
    return fail("max_order_quantity must be a positive multiple of lot_size within the limit");
  }
  if (instrument.reference_price.units() <= 0 ||
      instrument.reference_price.units() % instrument.tick_size.units() != 0) {
    return fail("reference_price must be positive and a multiple of tick_size");
  }
  if (instrument.price_band_bps <= 0 || instrument.price_band_bps > kMaxPriceBandBasisPoints) {
    return fail("price_band_bps must be in (0, 10000]");
  }
  return Status::success();
}

}  // namespace bourse
