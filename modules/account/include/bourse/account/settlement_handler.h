// Settlement: the account module's consumer of matching-events, plugged into an
// exactly-once consumer (bourse/consumer). Target bourse_account_settlement (links the
// consumer framework and the outbox writer; the account module itself does not).
//
// Per batch of new events, in the consumer's ONE transaction (with the processed_events
// claims and the partition's offset):
//   - decodes each event with the matching contracts (bourse/matching/events.h):
//     TradeExecuted -> a fill, OrderCancelled / OrderRejected -> an order end (cause
//     cancelled / rejected, reason the matching reason's spelling); OrderAccepted,
//     CancelTooLate and unknown event types are ignored (debug log). A decode error (bad
//     fields, unknown version of a known type) is a poison message: Error, the consumer
//     isolates and dead-letters it.
//   - AccountService::settle_batch: every trade settled exactly once per trade id, every
//     changed balance row written once per batch, locks in the module's global order;
//   - appends the resulting TradeSettled / ReservationReleased events to account_outbox
//     (outbox::append_events; topic from the options, key = symbol), in input order.
// Errors from settlement (a trade that does not fit its reservations) are returned as
// they are (poison); SOCI exceptions propagate (the consumer retries deadlocks).
//
// Thread-safety: the handler holds references only; one per consumer (it is called on
// the consumer's thread).
#pragma once

#include <memory>
#include <string>

#include "bourse/account/account_service.h"
#include "bourse/common/clock.h"
#include "bourse/consumer/event_handler.h"

namespace bourse::account {

struct SettlementOptions {
  // Full Kafka topic of the account events (e.g. "bourse.account-events"): the outbox
  // rows' topic. REQUIRED non-empty.
  std::string account_events_topic;
  // settled_at of TradeSettled and the outbox rows' occurred_at. Must outlive the handler.
  const Clock* clock = &SystemClock::instance();
};

// The settlement handler. REQUIRES: `accounts` (and options.clock) outlive it;
// options.account_events_topic non-empty (asserted: a wiring bug).
std::unique_ptr<consumer::EventHandler> make_settlement_handler(AccountService& accounts,
                                                                SettlementOptions options);

}  // namespace bourse::account
