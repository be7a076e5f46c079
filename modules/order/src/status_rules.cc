#include "bourse/order/status_rules.h"

#include "bourse/common/assert.h"

namespace bourse::order {

OrderStatus status_after_accepted(OrderStatus current) noexcept {
  return current == OrderStatus::kPending ? OrderStatus::kOpen : current;
}

Result<FillState> state_after_settled_trade(const FillState& state, Quantity order_quantity,
                                            Quantity trade_quantity, Amount trade_price) {
  BOURSE_ASSERT(order_quantity.value() > 0, "an order quantity is positive");
  BOURSE_ASSERT(state.filled_quantity.value() >= 0 && state.filled_quantity <= order_quantity,
                "0 <= filled_quantity <= quantity");
  BOURSE_ASSERT(state.filled_notional.units() >= 0, "filled notional is never negative");
  BOURSE_ASSERT(trade_quantity.value() > 0 && trade_price.units() > 0,
                "a trade has a positive quantity and price");
  auto filled = state.filled_quantity.checked_add(trade_quantity);
  if (!filled || *filled > order_quantity) {
    return Error{ErrorCode::kInternal,
                 "settled trades exceed the order quantity: " +
                     std::to_string(state.filled_quantity.value()) + " filled + " +
                     std::to_string(trade_quantity.value()) + " > " +
                     std::to_string(order_quantity.value()),
                 "fill_exceeds_quantity"};
  }
  auto trade_notional = trade_price.checked_mul(trade_quantity);
  Result<Amount> notional = trade_notional ? state.filled_notional.checked_add(*trade_notional)
                                           : Result<Amount>(trade_notional.error());
  if (!notional) {
    return Error{ErrorCode::kInternal, "filled notional leaves the amount range",
                 "fill_notional_overflow"};
  }
  FillState next{state.status, *filled, *notional};
  if (!is_terminal(state.status)) {
    next.status = *filled == order_quantity ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;
  }
  BOURSE_ASSERT(next.filled_quantity > state.filled_quantity &&
                    next.filled_notional.units() > state.filled_notional.units(),
                "a settled trade only adds");
  return next;
}

OrderStatus status_after_released(OrderStatus current,
                                  account::events::ReleaseCause cause) noexcept {
  if (is_terminal(current)) return current;
  return cause == account::events::ReleaseCause::kRejected ? OrderStatus::kRejected
                                                           : OrderStatus::kCancelled;
}

}  // namespace bourse::order
