// The vocabulary of an order: side, type, time in force and status, with their wire
// spellings ("BUY", "LIMIT", "GTC", "PENDING"), which are also the database values.
//
// Status machine (DESIGN.md section 5):
//   PENDING -> REJECTED                      (account could not reserve)
//   PENDING -> OPEN -> PARTIALLY_FILLED -> FILLED
//   PENDING/OPEN/PARTIALLY_FILLED -> CANCELLED (keeps what was filled before)
// REJECTED, FILLED and CANCELLED are terminal.
#pragma once

#include <optional>
#include <string_view>

namespace bourse::order {

enum class Side { kBuy, kSell };
enum class OrderType { kLimit, kMarket };
enum class TimeInForce { kGtc, kIoc, kFok };
enum class OrderStatus { kPending, kRejected, kOpen, kPartiallyFilled, kFilled, kCancelled };

std::string_view to_string(Side side) noexcept;
std::string_view to_string(OrderType type) noexcept;
std::string_view to_string(TimeInForce time_in_force) noexcept;
std::string_view to_string(OrderStatus status) noexcept;

// Exact, case-sensitive parsing of the wire spellings; nullopt for anything else.
std::optional<Side> parse_side(std::string_view text) noexcept;
std::optional<OrderType> parse_order_type(std::string_view text) noexcept;
std::optional<TimeInForce> parse_time_in_force(std::string_view text) noexcept;
std::optional<OrderStatus> parse_order_status(std::string_view text) noexcept;

// REJECTED, FILLED, CANCELLED: nothing can happen to the order any more.
bool is_terminal(OrderStatus status) noexcept;

}  // namespace bourse::order
