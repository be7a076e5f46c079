// Reserving an order's cash or shares before it may reach the book (reserve before
// match): what the order module asks for each order of a group, and what it gets back.
//
// Reservations are decided when the order is entered, inside the order's own group
// transaction (AccountService::reserve_orders): an order that cannot be reserved is
// answered at once (422) and nothing of it is written, so only reserved orders ever get an
// order id and a reservation row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/common/order_terms.h"

namespace bourse::account {

// Orders in one reserve_orders call: one order group (the order module's largest group
// is 1,024). The statements carry one placeholder set per order.
inline constexpr std::size_t kMaxReservationBatch = 1'024;

struct ReservationRequest {
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  Quantity quantity;
  // LIMIT orders: the limit price (> 0). Ignored for MARKET orders.
  Amount limit_price;
  // MARKET BUY only: the reference price (> 0) and the price band in basis points
  // (0..kMaxPriceBandBasisPoints); the cash cap is computed by market_buy_cash_cap().
  Amount reference_price;
  std::int32_t band_basis_points = 0;
};

// Stable reasons: the strings become the 422 problem types (with '-' for '_').
enum class RejectReason {
  kInsufficientFunds,     // "insufficient_funds": available cash < what the buy needs
  kInsufficientShares,    // "insufficient_shares": available shares < the sell's quantity
  kUnknownAccount,        // "unknown_account": no account for the user
  kOrderValueOutOfRange,  // "order_value_out_of_range": price x quantity past the limits
};

const char* to_string(RejectReason reason) noexcept;

// The order holds `cash` (BUY: limit x quantity, or a market buy's cash cap) or
// `shares` (SELL: its quantity); the other is zero. `order_id` is the id the caller gave
// the order.
struct Reserved {
  OrderId order_id;
  Amount cash;
  Quantity shares;
};

// Why the order cannot be reserved, with what was available and what it needed, as the
// client sees them (decimal cash, or whole shares; empty when not applicable).
struct Rejected {
  RejectReason reason = RejectReason::kUnknownAccount;
  std::string available;
  std::string needed;

  // One sentence for the client, e.g. "insufficient funds: 100 available, 1502.5 needed".
  std::string detail() const;
};

using ReservationDecision = std::variant<Reserved, Rejected>;

// Called by reserve_orders once, after the decisions and before anything is written, with
// one decision per request (Reserved ones have no order id yet), if at least one order is
// reserved. It creates the reserved orders in the caller's transaction and returns their
// ids, one per Reserved decision, in request order. An Error aborts reserve_orders.
using CreateOrders =
    std::function<Result<std::vector<OrderId>>(std::span<const ReservationDecision> decisions)>;

// How reserve_orders reads the balances it decides on.
//   - kLocking: SELECT ... FOR UPDATE, held to the commit; the decisions cannot be
//     overtaken.
//   - kOptimistic: plain reads; the reserved amounts are then ADDED to the rows (relative
//     updates, the group's last account writes), which locks them only from there to the
//     commit. If the balances moved meanwhile so that a reservation no longer fits
//     (another instance's group reserved the same funds), the tables' CHECK (total >=
//     reserved) refuses the write and reserve_orders returns kConflict with reason
//     kBalancesMovedReason: the caller rolls back and runs the group again, kLocking.
//     Funds only ever grow under a reader's feet otherwise (settlement and releases
//     free them), so a decision made on the plain read stays valid when the write passes.
enum class BalanceReads { kLocking, kOptimistic };
inline constexpr const char* kBalancesMovedReason = "balances_moved";

}  // namespace bourse::account
