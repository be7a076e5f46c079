// HTTP routes of the reconciliation job (modules/scheduler, reconciliation_service.h):
//
//   POST /v1/admin/reconciliation   runs every check now, on this instance, records the
//                                   report (stored, logged, counted) and answers it: 200
//                                   {"run_id","status":"OK"|"MISMATCH","started_at",
//                                   "duration_ms","in_flight_events","checks":[{"name",
//                                   "status","mismatches":[...],"truncated"}]}.
//                                   A MISMATCH is still 200 (the run worked); 503 when
//                                   the database is unavailable or a run is already in
//                                   progress on this instance (reconciliation-running).
//   GET  /v1/admin/reconciliation   the newest stored report, byte for byte, from any
//                                   instance; 404 problem `no-reconciliation-yet` if no
//                                   run was recorded.
//
// Both block on the database: they run on the blocking pool. No authentication yet: the
// admin routes are meant for an operator network (as /metrics is).
#pragma once

#include "bourse/scheduler/reconciliation_service.h"
#include "http/router.h"

namespace bourse::routes {

// REQUIRES: `router` has a blocking pool; `reconciliation` outlives it.
void add_reconciliation_routes(http::Router& router,
                               scheduler::ReconciliationService& reconciliation);

}  // namespace bourse::routes
