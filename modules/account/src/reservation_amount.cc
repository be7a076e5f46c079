#include "bourse/account/reservation_amount.h"

namespace bourse::account {
namespace {

Error out_of_range() {
  return Error{ErrorCode::kOutOfRange, "order value exceeds the maximum amount",
               "order_value_out_of_range"};
}

}  // namespace

Result<Amount> limit_buy_cash(Amount limit_price, Quantity quantity) {
  if (limit_price.units() <= 0)
    return Error::invalid("limit price must be positive", "invalid_price");
  if (quantity.value() <= 0) return Error::invalid("quantity must be positive", "invalid_quantity");
  auto cash = limit_price.checked_mul(quantity);
  if (!cash) return out_of_range();
  return cash;
}

Result<Amount> market_buy_cash_cap(Amount reference_price, Quantity quantity,
                                   std::int32_t band_basis_points) {
  if (reference_price.units() <= 0) {
    return Error::invalid("reference price must be positive", "invalid_price");
  }
  if (quantity.value() <= 0) return Error::invalid("quantity must be positive", "invalid_quantity");
  if (band_basis_points < 0 || band_basis_points > kMaxPriceBandBasisPoints) {
    return Error::invalid(
        "price band must be 0 to " + std::to_string(kMaxPriceBandBasisPoints) + " basis points",
        "invalid_price_band");
  }
  // |price| <= 10^15, quantity <= 10^12, factor <= 2 x 10^4: the product is below
  // 2 x 10^31, well inside __int128 (1.7 x 10^38).
  const __int128 numerator = static_cast<__int128>(reference_price.units()) * quantity.value() *
                             (kBasisPointsPerUnit + band_basis_points);
  // Ceiling division of a positive numerator.
  const __int128 units = (numerator + kBasisPointsPerUnit - 1) / kBasisPointsPerUnit;
  if (units > Amount::kMaxUnits) return out_of_range();
  return Amount::from_units(static_cast<std::int64_t>(units));
}

}  // namespace bourse::account
