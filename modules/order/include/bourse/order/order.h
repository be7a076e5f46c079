// The client-visible state of one order, as read from the `orders` table.
//
// Invariants (asserted after every read): 0 <= filled_quantity <= quantity;
// filled_notional >= 0; price present iff type == LIMIT; reject_reason present only
// when REJECTED; cancel_reason present only when CANCELLED.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/order/order_terms.h"

namespace bourse::order {

struct Order {
  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce time_in_force = TimeInForce::kGtc;
  Quantity quantity;
  std::optional<Amount> price;
  OrderStatus status = OrderStatus::kPending;
  Quantity filled_quantity;
  Amount filled_notional;                     // sum of price x quantity over the settled trades
  std::optional<Amount> reserved_cash;        // BUY: the cash held for it at entry
  std::optional<Quantity> reserved_quantity;  // SELL: the shares held for it at entry
  std::optional<Amount> cash_cap;             // MARKET BUY: the most it may spend
  std::optional<std::string> reject_reason;  // REJECTED: why matching refused it (book_full, ...)
  std::optional<std::string> cancel_reason;  // CANCELLED: user, ioc_remainder, market_remainder, ...
  bool cancel_requested = false;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point updated_at;

  Quantity remaining_quantity() const;
  // filled_notional / filled_quantity rounded to the nearest 0.0001 (halves up); nullopt
  // while nothing is filled.
  std::optional<Amount> average_price() const;
};

}  // namespace bourse::order
