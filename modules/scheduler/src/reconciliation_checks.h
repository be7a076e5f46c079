// The reconciliation checks (reconciler.h lists what each proves). Each runs one to
// three set-based statements on the caller's session, inside its consistent snapshot,
// and returns only the rows that disagree (at most kMaxMismatchesPerCheck + 1 of them,
// except where in-flight events must be subtracted first, or where one pass feeds
// several checks). A pass shared by several checks applies each check's own predicate
// to its rows, so each check proves exactly what it did alone. SOCI exceptions propagate.
#pragma once

#include <soci/session.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/scheduler/reconciliation_report.h"
#include "in_flight_events.h"

namespace bourse::scheduler::checks {

CheckResult balances_match_ledger(soci::session& session);
// The ledger_entries rows of kind `trade` (trades settled before migration 0104; later
// trades book their legs in their settled_trades row, bourse/account/ledger.h) grouped
// once by trade id, shared by
// asset_totals_match_inflows (double entry of trade events) and trades_settled_once
// (shares delivered, settled trade claimed). Holds only the ids some check disagrees with.
// Not usable (both checks then run their own statements, as exact) when a trade reference
// is not spelled "trade:<id>" or kTradeLedgerPassRows ids or more disagree.
inline constexpr std::size_t kTradeLedgerPassRows = 2 * (kMaxMismatchesPerCheck + 1);
struct TradeLedgerPass {
  struct Row {
    std::int64_t trade_id = 0;
    std::int64_t received = 0;  // positive share deltas
    std::int64_t cash_sum = 0;
    bool shares_balanced = true;  // the per-symbol weighted share deltas sum to zero
    bool settled = false;         // settled_trades has the id
    bool journal = false;         // ... with its legs: the trade is booked twice
    std::int64_t settled_quantity = 0;
  };
  bool usable = false;
  std::vector<Row> rows;
  long long trade_references = 0;  // distinct references of the ledger's trade entries
  long long settled_trades = 0;    // rows of settled_trades without legs (need entries)
  std::int64_t duration_ms = 0;
};
TradeLedgerPass trade_ledger_pass(soci::session& session, const Clock& clock);

CheckResult asset_totals_match_inflows(soci::session& session, const TradeLedgerPass& trades);
CheckResult reserved_matches_reservations(soci::session& session);
CheckResult balances_not_negative(soci::session& session);
CheckResult reservation_fills_match_settled_trades(soci::session& session);
CheckResult trades_settled_once(soci::session& session, const TradeLedgerPass& trades);
// order_fills_match_trades, orders_match_reservations and order_fills_match_settlement,
// in that order: one pass over the orders (joined with their reservations and their
// settled trades' sums) feeds all three, then each runs its own remaining statement. Each
// result's duration_ms includes the shared pass (so the three are not additive). The pass
// reads the orders in slices of `slice_orders` (>= 1) consecutive order ids (each slice one
// statement, together exactly the whole table in the caller's snapshot) and calls
// `paused` after each slice but the last with the time it took.
using Paused = std::function<void(std::chrono::steady_clock::duration busy)>;
std::vector<CheckResult> order_checks(soci::session& session, const InFlightEvents& in_flight,
                                      const Clock& clock, std::size_t slice_orders,
                                      const Paused& paused);

}  // namespace bourse::scheduler::checks
