// What a module plugs into an ExactlyOnceConsumer: the effects of one event.
//
// handle() runs INSIDE the consumer's batch transaction, on the consumer's thread, with
// the session of that transaction: every write it makes commits or rolls back together
// with the processed_events row and the partition's next offset. It must not commit,
// roll back or open its own transaction, and must not write anywhere else (no Kafka, no
// other database session): those effects would not be exactly-once.
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

#include "bourse/common/error.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/message.h"

namespace bourse::consumer {

class EventHandler {
 public:
  virtual ~EventHandler();
  virtual Status handle(soci::session& session, const envelope::Envelope& event,
                        const kafka::Message& message) = 0;
};

}  // namespace bourse::consumer
