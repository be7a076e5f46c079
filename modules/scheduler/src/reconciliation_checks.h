// The reconciliation checks (reconciler.h lists what each proves). Each runs one to
// three set-based statements on the caller's session, inside its consistent snapshot,
// and returns only the rows that disagree (at most kMaxMismatchesPerCheck + 1 of them,
// except where in-flight events must be subtracted first). SOCI exceptions propagate.
#pragma once

#include <soci/session.h>

#include "bourse/scheduler/reconciliation_report.h"
#include "in_flight_events.h"

namespace bourse::scheduler::checks {

CheckResult balances_match_ledger(soci::session& session);
CheckResult asset_totals_match_inflows(soci::session& session);
CheckResult reserved_matches_reservations(soci::session& session);
CheckResult balances_not_negative(soci::session& session);
CheckResult reservation_fills_match_settled_trades(soci::session& session);
CheckResult trades_settled_once(soci::session& session);
CheckResult order_fills_match_trades(soci::session& session);
CheckResult orders_match_reservations(soci::session& session);
CheckResult order_fills_match_settlement(soci::session& session, const InFlightEvents& in_flight);

}  // namespace bourse::scheduler::checks
