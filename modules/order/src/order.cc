#include "bourse/order/order.h"

namespace bourse::order {

Quantity Order::remaining_quantity() const {
  auto remaining = quantity.checked_sub(filled_quantity);
  BOURSE_ASSERT(remaining.ok() && remaining->value() >= 0, "filled_quantity <= quantity");
  return *remaining;
}

std::optional<Amount> Order::average_price() const {
  if (filled_quantity.is_zero()) return std::nullopt;
  BOURSE_ASSERT(filled_notional.units() >= 0, "filled notional is never negative");
  const std::int64_t quantity_value = filled_quantity.value();
  std::int64_t units = filled_notional.units() / quantity_value;
  const std::int64_t rest = filled_notional.units() % quantity_value;
  if (rest * 2 >= quantity_value) ++units;  // rest < quantity <= 10^12: no overflow
  return Amount::from_units(units);
}

}  // namespace bourse::order
