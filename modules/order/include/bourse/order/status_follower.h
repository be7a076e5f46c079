// The order status follower: the exactly-once consumer handler that keeps the
// client-visible order status and the trade record (table `trades`) in step with the
// matching and settlement outcomes.
//
// Wiring: ONE handler from make_status_handler() for both topics, matching-events and
// account-events. It dispatches on the event type (the two contracts' type names are
// distinct, and so are their event ids: the processed_events key is (group, event_id)).
// It may run on one consumer::ExactlyOnceConsumer subscribed to both topics (as the tests
// do) or on one consumer per topic; `bourse serve` runs one per topic, in the groups
// "<prefix>order-status" (matching-events) and "<prefix>order-status-account"
// (account-events), see src/app/event_streams.cc.
//
// Effects, inside the consumer's batch transaction (status_rules.h has the rules), with
// the outcome of applying the batch's events one at a time in offset order:
//   matching-events
//     OrderAccepted       PENDING -> OPEN (any other status: nothing)
//     TradeExecuted       inserts the trade unsettled (nothing if TradeSettled came first)
//     OrderCancelled,
//     OrderRejected       nothing: the order becomes final on ReservationReleased, once
//                         what it held is back (FILLED/CANCELLED mean the money moved)
//     CancelTooLate       nothing but an info log and bourse_order_cancels_too_late_total
//   account-events
//     TradeSettled        sets the trade's settled_at (inserting the row if TradeExecuted
//                         has not arrived) and, only if it was not settled before, adds
//                         quantity and price x quantity to both orders' fill counters ->
//                         PARTIALLY_FILLED / FILLED (a final status is kept). So each
//                         (trade, order) counts exactly once, even if the same settlement
//                         came again under another event id.
//     ReservationReleased CANCELLED with cancel_reason (cause cancelled) or REJECTED with
//                         reject_reason (cause rejected); a final status is kept.
//   other event types     ignored (another producer's events on these topics).
// Batches: handle_batch() decodes every event first (a known type that does not parse
// fails the batch before any statement), then writes the whole batch with a constant
// number of statements (src/status_batch.h): all its trades inserted in one statement,
// the settled ones locked in one and marked settled in one, all its orders locked in one
// and the changed ones written in one; five statements per batch of up to
// limits::kMaxStatusRowsPerStatement trades and orders, in slices beyond. handle() (the
// consumer's one-message retry path) is handle_batch() of one event.
// Locks: the batch's trades in ascending trade id first, then its orders in ascending order
// id (one global order, so two batches, of the same group or of the two groups, never
// deadlock on each other's rows).
//
// Errors (the consumer retries, then dead-letters): a known event type that does not
// parse (kMalformed, e.g. an unknown version), an order this module does not have
// (kNotFound "order_not_found": events only name orders it created), a settled trade
// whose fields differ from the stored one or that would overfill an order (kInternal).
// Deadlocks and unavailability propagate as themselves (transient: retried, never
// dead-lettered).
//
// Thread-safety: the handler holds no state but its metric references (atomic): one
// instance may serve several consumers.
#pragma once

#include <memory>
#include <string_view>

#include "bourse/consumer/event_handler.h"
#include "bourse/metrics/registry.h"

namespace bourse::order {

// REQUIRES: `registry` outlives the handler. Registers
// bourse_order_cancels_too_late_total and bourse_order_status_events_total{type}.
std::unique_ptr<consumer::EventHandler> make_status_handler(metrics::Registry& registry);

}  // namespace bourse::order
