#include "bourse/order/order_terms.h"

namespace bourse::order {

std::string_view to_string(Side side) noexcept { return side == Side::kBuy ? "BUY" : "SELL"; }

std::string_view to_string(OrderType type) noexcept {
  return type == OrderType::kLimit ? "LIMIT" : "MARKET";
}

std::string_view to_string(TimeInForce time_in_force) noexcept {
  switch (time_in_force) {
    case TimeInForce::kGtc:
      return "GTC";
    case TimeInForce::kIoc:
      return "IOC";
    case TimeInForce::kFok:
      return "FOK";
  }
  return "GTC";
}

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

std::optional<Side> parse_side(std::string_view text) noexcept {
  if (text == "BUY") return Side::kBuy;
  if (text == "SELL") return Side::kSell;
  return std::nullopt;
}

std::optional<OrderType> parse_order_type(std::string_view text) noexcept {
  if (text == "LIMIT") return OrderType::kLimit;
  if (text == "MARKET") return OrderType::kMarket;
  return std::nullopt;
}

std::optional<TimeInForce> parse_time_in_force(std::string_view text) noexcept {
  if (text == "GTC") return TimeInForce::kGtc;
  if (text == "IOC") return TimeInForce::kIoc;
  if (text == "FOK") return TimeInForce::kFok;
  return std::nullopt;
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
