// The terms every module uses to describe an order: side, type and time in force, with
// their wire spellings ("BUY", "LIMIT", "GTC"), which are also the database values and the
// event payload values. Defined once here; the order, account and matching modules and
// the event contracts all use these types.
//
// The underlying values are fixed (0, 1, 2): the matching engine checks that an input
// holds one of them and its snapshots store them.
// Thread-safety: plain enums and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bourse {

enum class Side : std::uint8_t { kBuy = 0, kSell = 1 };
enum class OrderType : std::uint8_t { kLimit = 0, kMarket = 1 };
// GTC rests on the book; IOC fills what it can at once and cancels the rest; FOK fills
// completely at once or not at all. A MARKET order never rests (IOC or FOK only).
enum class TimeInForce : std::uint8_t { kGtc = 0, kIoc = 1, kFok = 2 };

std::string_view to_string(Side side) noexcept;
std::string_view to_string(OrderType type) noexcept;
std::string_view to_string(TimeInForce time_in_force) noexcept;

// Exact, case-sensitive parsing of the wire spellings; nullopt for anything else.
std::optional<Side> parse_side(std::string_view text) noexcept;
std::optional<OrderType> parse_order_type(std::string_view text) noexcept;
std::optional<TimeInForce> parse_time_in_force(std::string_view text) noexcept;

}  // namespace bourse
