#include "bourse/matching/types.h"

#include <sstream>

namespace bourse::matching {

const char* to_string(CancelReason reason) noexcept {
  switch (reason) {
    case CancelReason::kUser:
      return "user";
    case CancelReason::kUserBeforeArrival:
      return "user_before_arrival";
    case CancelReason::kIocRemainder:
      return "ioc_remainder";
    case CancelReason::kMarketRemainder:
      return "market_remainder";
    case CancelReason::kFokNotFillable:
      return "fok_not_fillable";
    case CancelReason::kSelfTrade:
      return "self_trade";
    case CancelReason::kCashCap:
      return "cash_cap";
  }
  return "?";
}

const char* to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kInvalidOrderId:
      return "invalid_order_id";
    case RejectReason::kInvalidSide:
      return "invalid_side";
    case RejectReason::kInvalidType:
      return "invalid_type";
    case RejectReason::kInvalidTimeInForce:
      return "invalid_time_in_force";
    case RejectReason::kInvalidQuantity:
      return "invalid_quantity";
    case RejectReason::kInvalidPrice:
      return "invalid_price";
    case RejectReason::kInvalidCashCap:
      return "invalid_cash_cap";
    case RejectReason::kDuplicateOrderId:
      return "duplicate_order_id";
    case RejectReason::kBookFull:
      return "book_full";
    case RejectReason::kUnknownSymbol:
      return "unknown_symbol";
  }
  return "?";
}

std::string to_string(const Event& event) {
  std::ostringstream out;
  if (const auto* e = std::get_if<OrderAccepted>(&event)) {
    out << "#" << e->sequence << " sym=" << e->symbol << " ACCEPTED order=" << e->order_id.value()
        << " user=" << e->user << " " << to_string(e->side) << " " << e->resting_quantity << "@"
        << e->price_ticks;
  } else if (const auto* t = std::get_if<Trade>(&event)) {
    out << "#" << t->sequence << " sym=" << t->symbol << " TRADE id=" << t->trade_id.value() << " "
        << t->quantity << "@" << t->price_ticks << " maker=" << t->maker_order_id.value() << "/u"
        << t->maker_user << " taker=" << t->taker_order_id.value() << "/u" << t->taker_user << " "
        << to_string(t->taker_side) << " maker_left=" << t->maker_remaining
        << " taker_left=" << t->taker_remaining;
  } else if (const auto* c = std::get_if<OrderCancelled>(&event)) {
    out << "#" << c->sequence << " sym=" << c->symbol << " CANCELLED order=" << c->order_id.value()
        << " user=" << c->user << " reason=" << to_string(c->reason)
        << " qty=" << c->cancelled_quantity;
  } else if (const auto* r = std::get_if<OrderRejected>(&event)) {
    out << "#" << r->sequence << " sym=" << r->symbol << " REJECTED order=" << r->order_id.value()
        << " user=" << r->user << " reason=" << to_string(r->reason);
  }
  return out.str();
}

}  // namespace bourse::matching
