// Reference data of one tradable symbol, shared by every module that validates,
// reserves or matches orders. Loaded from configuration (config/bourse.toml,
// [symbols.<SYMBOL>] tables) at start-up and immutable afterwards.
//
// Invariants (validate_instrument): tick_size > 0; lot_size >= 1; 1 <= max_order_quantity
// <= limits::kMaxQuantity and a multiple of lot_size; reference_price > 0 and a multiple of
// tick_size; 0 < price_band_bps <= 10'000 (100%).
#pragma once

#include <cstdint>
#include <string>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/money.h"

namespace bourse {

inline constexpr std::int32_t kMaxPriceBandBasisPoints = 10'000;

struct Instrument {
  std::string symbol;
  Amount tick_size;                   // smallest price increment
  std::int64_t lot_size = 1;          // quantities are multiples of this
  std::int64_t max_order_quantity = 1'000'000;
  Amount reference_price;             // the CONFIGURED reference: centre of the price band;
                                      // a market BUY reserves quantity x reference x
                                      // (1 + band). Order entry reads the live one through
                                      // ReferencePriceSource (reference_price_source.h).
  std::int32_t price_band_bps = 1'000;  // limit prices within +-band of the reference

  // The band's bounds, rounded inward to the tick: [reference x (1 - band), reference x (1 + band)].
  Amount band_low() const;
  Amount band_high() const;
};

Status validate_instrument(const Instrument& instrument);

}  // namespace bourse
