// How the order status follower moves an order on (pure functions: no I/O).
//
// Matching and settlement events arrive on two topics, so their relative order is not
// guaranteed. These rules make the result independent of it:
//   - the status never moves backwards: OrderAccepted moves only PENDING to OPEN (a late
//     OrderAccepted after fills or a final status changes nothing);
//   - a settled trade adds its quantity and price x quantity to the order's counters
//     (FILLED and PARTIALLY_FILLED count settled trades only) and sets FILLED when
//     nothing remains, PARTIALLY_FILLED otherwise; a final status (REJECTED, FILLED,
//     CANCELLED) is kept, but the counters of a late trade still add up;
//   - a released reservation makes a live order CANCELLED (cause cancelled) or REJECTED
//     (cause rejected), keeping what was filled; a final status is kept.
// Thread-safety: pure functions.
#pragma once

#include "bourse/account/events.h"
#include "bourse/common/error.h"
#include "bourse/common/money.h"
#include "bourse/order/order_terms.h"

namespace bourse::order {

// The status after OrderAccepted: OPEN if PENDING, else unchanged.
OrderStatus status_after_accepted(OrderStatus current) noexcept;

// An order's fill counters and status.
struct FillState {
  OrderStatus status = OrderStatus::kPending;
  Quantity filled_quantity;
  Amount filled_notional;  // sum of price x quantity over the settled trades
  friend bool operator==(const FillState&, const FillState&) = default;
};

// `state` with one more settled trade of `trade_quantity` at `trade_price`.
// REQUIRES: order_quantity > 0; 0 <= state.filled_quantity <= order_quantity;
// trade_quantity > 0; trade_price > 0 (asserted).
// Errors: kInternal "fill_exceeds_quantity" when the order would be filled beyond its
// quantity, "fill_notional_overflow" when price x quantity or the sum leaves Amount's range
// (both mean an upstream bug: the event is retried, then dead-lettered).
Result<FillState> state_after_settled_trade(const FillState& state, Quantity order_quantity,
                                            Quantity trade_quantity, Amount trade_price);

// The status after ReservationReleased: CANCELLED (cause cancelled) or REJECTED (cause
// rejected) for a live order; a final status is kept.
OrderStatus status_after_released(OrderStatus current, account::events::ReleaseCause cause) noexcept;

}  // namespace bourse::order
