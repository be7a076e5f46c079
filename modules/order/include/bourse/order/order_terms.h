// The client-visible status of an order, with its wire spelling ("PENDING"), which is
// also the database value. Side, type and time in force are the shared terms of
// bourse/common/order_terms.h.
//
// Status machine:
//   PENDING -> REJECTED                      (matching refused it, e.g. book full)
//   PENDING -> OPEN -> PARTIALLY_FILLED -> FILLED
//   PENDING/OPEN/PARTIALLY_FILLED -> CANCELLED (keeps what was filled before)
// REJECTED, FILLED and CANCELLED are terminal.
#pragma once

#include <optional>
#include <string_view>

#include "bourse/common/order_terms.h"

namespace bourse::order {

// So that order::to_string names every term's spelling, the shared ones included.
using bourse::to_string;

enum class OrderStatus { kPending, kRejected, kOpen, kPartiallyFilled, kFilled, kCancelled };

std::string_view to_string(OrderStatus status) noexcept;

// Exact, case-sensitive parsing of the wire spelling; nullopt for anything else.
std::optional<OrderStatus> parse_order_status(std::string_view text) noexcept;

// REJECTED, FILLED, CANCELLED: nothing can happen to the order any more.
bool is_terminal(OrderStatus status) noexcept;

}  // namespace bourse::order
