#include "bourse/order/order_terms.h"

namespace bourse::order {

std::string_view to_string(OrderStatus status) noexcept {
  switch (status) {
    case OrderStatus::kPending:
      return "PENDING";
    case OrderStatus::kRejected:
      return "REJECTED";
    case OrderStatus::kOpen:
      return "OPEN";
    case OrderStatus::kPartiallyFilled:
      return "PARTIALLY_FILLED";
    case OrderStatus::kFilled:
      return "FILLED";
    case OrderStatus::kCancelled:
      return "CANCELLED";
  }
  return "PENDING";
}

std::optional<OrderStatus> parse_order_status(std::string_view text) noexcept {
  for (OrderStatus status :
       {OrderStatus::kPending, OrderStatus::kRejected, OrderStatus::kOpen,
        OrderStatus::kPartiallyFilled, OrderStatus::kFilled, OrderStatus::kCancelled}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

bool is_terminal(OrderStatus status) noexcept {
  return status == OrderStatus::kRejected || status == OrderStatus::kFilled ||
         status == OrderStatus::kCancelled;
}

}  // namespace bourse::order
