#include "trade_fill.h"

#include "bourse/account/reservation.h"
#include "bourse/common/assert.h"

namespace bourse::account {
namespace {

Status check_fill(const ReservationRow& row, const std::string& user, const char* side,
                  const TradeSettlement& trade) {
  const std::string order = "order " + std::to_string(row.order_id);
  if (row.user_id != user) return bad_settlement(order + " belongs to another user");
  if (row.side != side) return bad_settlement(order + " is on the other side");
  if (row.symbol != trade.symbol) return bad_settlement(order + " is for another symbol");
  if (row.status != kStatusReserved) return bad_settlement(order + " holds no open reservation");
  if (trade.quantity.value() > row.quantity - row.filled_quantity) {
    return bad_settlement(order + " would be overfilled");
  }
  return Status::success();
}

}  // namespace

Error bad_settlement(std::string message) {
  return Error{ErrorCode::kInternal, "trade does not fit its reservations: " + std::move(message),
               "settlement_mismatch"};
}

Status validate_trade(const TradeSettlement& trade) {
  if (!trade.trade_id.valid() || !trade.buy_order_id.valid() || !trade.sell_order_id.valid()) {
    return Error::invalid("trade and order ids must be positive", "invalid_id");
  }
  if (trade.buy_order_id == trade.sell_order_id) {
    return Error::invalid("a trade needs two different orders", "invalid_id");
  }
  if (auto valid = validate_user_id(trade.buyer); !valid) return valid;
  if (auto valid = validate_user_id(trade.seller); !valid) return valid;
  if (auto valid = validate_symbol(trade.symbol); !valid) return valid;
  if (trade.price.units() <= 0)
    return Error::invalid("trade price must be positive", "invalid_price");
  if (trade.quantity.value() <= 0) {
    return Error::invalid("trade quantity must be positive", "invalid_quantity");
  }
  return Status::success();
}

Result<FillEffect> apply_fill(ReservationRow& buy, ReservationRow& sell,
                              const TradeSettlement& trade) {
  BOURSE_ASSERT(buy.order_id == trade.buy_order_id.value() &&
                    sell.order_id == trade.sell_order_id.value(),
                "apply_fill gets the trade's own reservations");
  auto notional = trade.price.checked_mul(trade.quantity);
  if (!notional) return bad_settlement("price x quantity exceeds the maximum amount");
  if (auto fits = check_fill(buy, trade.buyer, "BUY", trade); !fits) return fits.error();
  if (auto fits = check_fill(sell, trade.seller, "SELL", trade); !fits) return fits.error();
  const std::int64_t quantity = trade.quantity.value();

  FillEffect effect;
  effect.paid = notional->units();
  // The buyer's reservation shrinks by what this fill held: limit x quantity for a limit
  // buy (the price improvement goes back), what was spent for a market buy.
  effect.consumed = effect.paid;
  if (buy.limit_price_units) {
    if (trade.price.units() > *buy.limit_price_units) {
      return bad_settlement("trade price above the buy limit");
    }
    // limit x quantity <= limit x unfilled == remaining: within limits.
    effect.consumed = *buy.limit_price_units * quantity;
  }
  if (effect.consumed > buy.remaining) return bad_settlement("market buy past its cash cap");
  buy.filled_quantity += quantity;
  buy.remaining -= effect.consumed;
  if (buy.filled_quantity == buy.quantity) {
    effect.leftover = buy.remaining;  // a market buy's unspent cap
    buy.remaining = 0;
    buy.status = kStatusCompleted;
  }
  sell.filled_quantity += quantity;
  sell.remaining -= quantity;
  if (sell.filled_quantity == sell.quantity) sell.status = kStatusCompleted;
  assert_reservation(buy);
  assert_reservation(sell);
  return effect;
}

}  // namespace bourse::account
