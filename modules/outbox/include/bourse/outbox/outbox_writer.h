// Appends events to a module's outbox table inside the caller's transaction: the write
// half of the transactional outbox. The caller inserts its state change and the event
// announcing it in ONE transaction, so either both commit or neither does (never an
// answer of 202 without its event). The relay (relay.h, target bourse_outbox) is the read
// half; this target (bourse_outbox_writer) links neither librdkafka nor the relay.
//
// Ids (modules/outbox/README.md, "Ids and progress"): every append first bumps the outbox's
// row in outbox_sequences (LAST_INSERT_ID(last_id + n)) and numbers its n rows up to the
// new value, so an outbox's ids are dense and in commit order: the bump's row lock is held
// to COMMIT, and the bump and the rows commit or roll back together. The relay relies on
// it (it publishes in id order and keeps one "published up to" id). Consequences for a
// caller: append LAST in the transaction (after every other lock it takes: the sequence
// row is a queue for every writer of that outbox until this transaction commits), and
// roll back when any statement of the transaction fails (never commit around a failed
// append: the ids would skip).
//
// Tables have the standard outbox shape (migrations/0201_order_outbox.sql). Their names
// are constants of the owning modules (e.g. order::kOutboxTable), declared once in the
// composition root's event-stream table; they are checked to look like an outbox table
// name (is_outbox_table_name) because they are put into SQL text, never taken from input.
// Blocking; runs on the caller's session and thread.
#pragma once

#include <soci/session.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/db/sql_batch.h"
#include "bourse/envelope/envelope.h"

namespace bourse::outbox {

// Longest outbox table name (MySQL identifiers are at most 64 characters).
inline constexpr std::size_t kMaxOutboxTableNameLength = 64;

// [a-z][a-z0-9_]* ending in "_outbox", at most kMaxOutboxTableNameLength characters.
bool is_outbox_table_name(std::string_view table) noexcept;

// One row to append: an event and where the relay publishes it.
struct OutboxEvent {
  std::string event_type;      // the contract's kType, e.g. "OrderCreated"
  std::int64_t version = 1;    // the contract's kVersion
  std::string topic;           // full Kafka topic name, e.g. "bourse.order-events"
  std::string key;             // Kafka message key: the contract's partition_key()
  std::string aggregate_type;  // e.g. "order"
  std::string aggregate_id;    // e.g. "42"
  boost::json::object data;    // the contract's to_json()
  // The envelope's event_id. Empty (the default): a fresh random UUID. Set by writers
  // whose events must keep their id when recomputed (the matching service derives it from
  // the input position); then 1..envelope::kMaxEventIdLength printable ASCII, and the
  // table's event_id column must hold it (order_outbox: CHAR(36)).
  std::string event_id = {};
};

// The row of a typed event (its contract decides type, version, key and aggregate).
template <envelope::EventContract Event>
OutboxEvent outbox_event(const Event& event, std::string topic) {
  return OutboxEvent{std::string(Event::kType),
                     Event::kVersion,
                     std::move(topic),
                     event.partition_key(),
                     std::string(Event::kAggregateType),
                     event.aggregate_id(),
                     event.to_json()};
}

struct AppendedEvent {
  std::string event_id;  // OutboxEvent::event_id, or a random UUID (version 4): consumers
                         // deduplicate by it
  std::int64_t outbox_id = 0;  // dense, in commit order (0 from prepare_append: not sent)
};

// Inserts `event` into `table` on `session` (inside the caller's transaction).
// Errors: kInvalidArgument for a table name that is not an outbox's or a caller-given
// event id that is not 1..kMaxEventIdLength printable ASCII; kTooLarge for an envelope
// over envelope::kMaxEventBytes. SOCI exceptions propagate to the caller's
// transaction handling (like every statement run on a caller's session), so deadlocks
// can be retried by ConnectionPool::in_transaction.
Result<AppendedEvent> append_event(soci::session& session, std::string_view table,
                                   const OutboxEvent& event, const Clock& clock);

// Largest batch append_events writes in one statement. The statement carries every
// payload, so the caller also keeps the batch's bytes under the server's
// max_allowed_packet (16 MiB by default; 1024 OrderCreated events are under 1 MiB).
inline constexpr std::size_t kMaxAppendBatch = 1024;

// Numbers `events` (the sequence bump) and inserts them into `table` in ONE multi-row
// INSERT, in one round trip whatever the count, in span order: the relay publishes them in
// that order. Returns one AppendedEvent per event, in the same order. Same contract as
// append_event otherwise; nothing is written if any event is refused.
// REQUIRES: events.size() <= kMaxAppendBatch.
Result<std::vector<AppendedEvent>> append_events(soci::session& session, std::string_view table,
                                                 std::span<const OutboxEvent> events,
                                                 const Clock& clock);

// What append_events would write, checked and built but not sent: the events' ids
// (outbox_id still 0) and the statements (db/sql_batch.h): the sequence bump, then the
// INSERT (it expects events.size() rows), which numbers its rows from the bump's
// LAST_INSERT_ID(). For a caller that sends them with its other last writes and its
// COMMIT in one round trip: both, in this order, adjacent (nothing between them may set
// LAST_INSERT_ID), and after the transaction's other writes (see "Ids" above).
// Same REQUIRES and errors.
struct PreparedAppend {
  std::vector<AppendedEvent> events;
  std::vector<db::SqlStatement> statements;  // the bump, then the INSERT
};
// REQUIRES also: 1..kMaxAppendBatch events.
Result<PreparedAppend> prepare_append(std::string_view table, std::span<const OutboxEvent> events,
                                      const Clock& clock);
// The same for events gathered from several places (e.g. a matching batch's partitions),
// so that one transaction bumps the sequence once. REQUIRES also: no null pointer.
Result<PreparedAppend> prepare_append(std::string_view table,
                                      std::span<const OutboxEvent* const> events,
                                      const Clock& clock);

// The SQL condition "this row of `table` is not published yet", for readers outside the
// relay (tests, checkers, the saga scheduler's scan for stuck rows): `id >` the outbox's
// published_up_to in outbox_relay_barriers (0 when it has none yet). The relay advances
// that id only after the broker acknowledged every row up to it.
// REQUIRES: is_outbox_table_name(table) (it is put into SQL text).
std::string unpublished_condition(std::string_view table);

}  // namespace bourse::outbox
