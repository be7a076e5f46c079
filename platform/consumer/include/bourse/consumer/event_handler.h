// What a module plugs into an ExactlyOnceConsumer: the effects of one event, or of a
// batch of events.
//
// handle_batch() is what the consumer calls: once per batch transaction, with the batch's
// NEW events (valid envelopes whose event id this group has not processed: their
// processed_events claims are written with the batch's COMMIT,
// plus every copy of the types the handler deduplicates itself, see deduplicates();
// duplicates and malformed envelopes are left out), of one or more partitions: each
// partition's events consecutive and in offset order, the partitions one after another.
// Events of different partitions carry different keys (symbols), so their relative order
// means nothing; a handler must not assume the batch is of one partition.
// The default calls handle() for each event in order and stops at the first failure. A
// handler overrides it to aggregate across the batch (settlement: one UPDATE per busy
// account per batch). It is never called with an empty span. After a failed batch the
// consumer retries one message per transaction, so the span then holds one event.
//
// handle() / handle_batch() run INSIDE the consumer's batch transaction, on the consumer's thread,
// with the session of that transaction: every write it makes commits or rolls back together with
// the processed_events row and the partition's next offset. It must not commit, roll back or open
// its own transaction, and must not write anywhere else (no Kafka, no other database session):
// those effects would not be exactly-once.
//
// Outcomes:
//   - Status::success(): the event took effect (or was deliberately ignored: unknown
//     event types and versions are the handler's call, usually "ignore").
//   - an Error, or any exception (SOCI exceptions included): the whole batch rolls back
//     and is retried message by message with back-off. Deadlocks and lock-wait timeouts
//     (db::is_retryable), kUnavailable and kTimeout are transient and retried for as long
//     as they last; any other failure counts as an attempt, and a message that fails
//     ConsumerOptions::max_attempts times is dead-lettered.
// The handler is called once per event per attempt, so it must not keep state outside
// the transaction that a rolled-back attempt would leave behind.
//
// Threads: called on the consumer's thread only; one handler per consumer (a handler
// shared by several consumers must be thread-safe itself).
#pragma once

#include <soci/session.h>

#include <span>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/sql_batch.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/message.h"

namespace bourse::consumer {

// One event of a batch: its parsed envelope and the Kafka message it came in. Both are
// owned by the consumer and live until handle_batch() returns.
struct DeliveredEvent {
  const envelope::Envelope& event;
  const kafka::Message& message;
};

class EventHandler {
 public:
  virtual ~EventHandler();
  virtual Status handle(soci::session& session, const envelope::Envelope& event,
                        const kafka::Message& message) = 0;
  // REQUIRES: !events.empty(). Default: handle() per event, in order, until one fails.
  virtual Status handle_batch(soci::session& session, std::span<const DeliveredEvent> events);
  // What the consumer calls. As handle_batch, but the handler may append its last writes
  // (statements that need nothing back, db/sql_batch.h) to `last_writes` instead of
  // running them: the consumer sends them, then the batch's claims, the partition's
  // offset and the COMMIT, in one round trip. They are part of the batch exactly as run
  // statements would be; a failing one rolls the batch back like a failed handle_batch
  // (its on_check_violation Error, if any, is the batch's failure).
  // Default: handle_batch(session, events).
  virtual Status handle_batch_ending_with(soci::session& session,
                                          std::span<const DeliveredEvent> events,
                                          std::vector<db::SqlStatement>& last_writes);

  // False for event types this handler ignores by contract (handling them would change
  // nothing). The consumer then passes such events over: no processed_events claim, not
  // handed to handle()/handle_batch(), counted in bourse_consumer_events_ignored_total;
  // the partition's offset still moves past them. Must be a pure function of the type
  // (the same answer live, on retry and after a restart). Default: every type.
  virtual bool handles(std::string_view event_type) const;

  // True for event types whose effects this handler's own writes make idempotent: a
  // second copy of the event (same event id, in the same batch or any later one, after
  // any events in between) changes no row and writes nothing (no outbox row, no ledger
  // entry), because the handler finds its own earlier effect by a natural key (a trade
  // id's claim, a status that only moves forward). The consumer then keeps no
  // processed_events claim for them: every copy is handed to the handler, and a replay
  // is not counted in bourse_consumer_duplicates_skipped_total. This saves a row and
  // two statements per batch on the hot path. Answer false (the default) when anything
  // outside the transaction reads the claims (the reconciler reads the account-events
  // follower's), or when a second copy would publish anything. Must be a pure function
  // of the type, like handles(). Only asked for types handles() accepts.
  virtual bool deduplicates(std::string_view event_type) const;
};

}  // namespace bourse::consumer
