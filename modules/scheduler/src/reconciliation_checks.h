// The reconciliation checks (reconciler.h lists what each proves). Each runs one to
// three set-based statements on the caller's session, inside its consistent snapshot,
// and returns only the rows that disagree (at most kMaxMismatchesPerCheck + 1 of them,
// except where in-flight events must be subtracted first). SOCI exceptions propagate.
#pragma once

#include <soci/session.h>

#include <vector>

#include "bourse/common/clock.h"
#include "bourse/scheduler/reconciliation_report.h"
#include "in_flight_events.h"

namespace bourse::scheduler::checks {

CheckResult balances_match_ledger(soci::session& session);
CheckResult asset_totals_match_inflows(soci::session& session);
CheckResult reserved_matches_reservations(soci::session& session);
CheckResult balances_not_negative(soci::session& session);
CheckResult reservation_fills_match_settled_trades(soci::session& session);
CheckResult trades_settled_once(soci::session& session);
// order_fills_match_trades, orders_match_reservations and order_fills_match_settlement,
// in that order: one pass over the orders (joined with their reservations and their
// settled trades' sums) feeds all three, then each runs its own remaining statement. Each
// result's duration_ms includes the shared pass (so the three are not additive).
std::vector<CheckResult> order_checks(soci::session& session, const InFlightEvents& in_flight,
                                      const Clock& clock);

}  // namespace bourse::scheduler::checks
