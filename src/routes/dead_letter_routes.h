// HTTP routes of the dead-letter admin (modules/scheduler, dead_letters.h):
//
//   GET  /v1/admin/dead-letters ?limit=&starting_after=&group=&unanswered=true
//        200 {"data":[{"id","consumer_group","topic","partition","offset","event_id",
//        "event_type","payload","error","attempts","failed_at","answered_at","answer"}],
//        "has_more":bool}, ascending id; limit 1..500 (default 50), starting_after = the
//        last id of the previous page; 422 invalid-limit, invalid-cursor.
//   POST /v1/admin/dead-letters/{id}/retry
//        re-applies the dead letter through its group's handler, once its cause is fixed:
//        200 the answered dead letter; 404 dead-letter-not-found; 409
//        dead-letter-already-answered (a second retry), dead-letter-not-retryable,
//        dead-letter-retry-failed (the cause is not fixed: nothing changed).
//
// Handlers block on the database: they run on the blocking pool.
#pragma once

#include "bourse/scheduler/dead_letters.h"
#include "http/router.h"

namespace bourse::routes {

// REQUIRES: `router` has a blocking pool; `admin` outlives it.
void add_dead_letter_routes(http::Router& router, scheduler::DeadLetterAdmin& admin);

}  // namespace bourse::routes
