#include "bourse/common/order_terms.h"

namespace bourse {

std::string_view to_string(Side side) noexcept {
  switch (side) {
    case Side::kBuy:
      return "BUY";
    case Side::kSell:
      return "SELL";
  }
  return "?";
}

std::string_view to_string(OrderType type) noexcept {
  switch (type) {
    case OrderType::kLimit:
      return "LIMIT";
    case OrderType::kMarket:
      return "MARKET";
  }
  return "?";
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
  return "?";
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

}  // namespace bourse
