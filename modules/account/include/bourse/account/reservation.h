// Reserving an order's cash or shares before it may reach the book (DESIGN.md
// invariant 5): the request the account module receives for each OrderCreated event
// and the outcome it records (later published as FundsReserved or OrderRejected).
//
// An outcome is decided once per order id and remembered, rejections included: a
// redelivered event gets the first outcome again, with `replayed` set.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "bourse/common/ids.h"
#include "bourse/common/money.h"

namespace bourse::account {

enum class Side { kBuy, kSell };
enum class OrderType { kLimit, kMarket };

const char* to_string(Side side) noexcept;       // "BUY", "SELL"
const char* to_string(OrderType type) noexcept;  // "LIMIT", "MARKET"

struct ReservationRequest {
  OrderId order_id;
  std::string user_id;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  std::string symbol;
  Quantity quantity;
  // LIMIT orders: the limit price (> 0). Ignored for MARKET orders.
  Amount limit_price;
  // MARKET BUY only: the reference price (> 0) and the price band in basis points
  // (0..kMaxPriceBandBasisPoints); the cash cap is computed by market_buy_cash_cap().
  Amount reference_price;
  std::int32_t band_basis_points = 0;
};

// Stable reasons: the strings are part of the OrderRejected event and the API.
enum class RejectReason {
  kInsufficientCash,      // "insufficient_cash"
  kInsufficientShares,    // "insufficient_shares"
  kUnknownAccount,        // "unknown_account"
  kOrderValueOutOfRange,  // "order_value_out_of_range": price x quantity past the limit
};

const char* to_string(RejectReason reason) noexcept;
// Inverse of to_string; false if `text` is not a known reason.
bool parse_reject_reason(std::string_view text, RejectReason& reason) noexcept;

// The cash (BUY: `cash` > 0, `shares` 0) or shares (SELL: the reverse) now held.
struct Reserved {
  Amount cash;
  Quantity shares;
};

struct Rejected {
  RejectReason reason;
};

struct ReservationOutcome {
  std::variant<Reserved, Rejected> decision;
  // True when this order id had already been decided: nothing was changed by this call.
  bool replayed = false;

  bool reserved() const noexcept { return std::holds_alternative<Reserved>(decision); }
};

}  // namespace bourse::account
