// Appends events to a module's outbox table inside the caller's transaction.
//
// This is the write half of the transactional outbox: the caller inserts its state
// change and the event announcing it in ONE transaction, so either both commit or
// neither does (DESIGN.md invariant 2). The relay (relay.h) is the read half.
//
// Tables have the standard outbox shape (migrations/0101_account_outbox.sql); only the
// names in kOutboxTables are accepted, so a table name is never built from input.
// Blocking; runs on the caller's session and thread.
#pragma once

#include <soci/session.h>

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/outbox/outbox_event.h"

namespace bourse::outbox {

inline constexpr std::array<std::string_view, 3> kOutboxTables = {"order_outbox", "account_outbox",
                                                                  "matching_outbox"};

bool is_outbox_table(std::string_view table);

struct AppendedEvent {
  std::string event_id;
  std::int64_t outbox_id = 0;
};

// Inserts `event` into `table` on `session` (inside the caller's transaction).
// Errors: kInvalidArgument for an unknown table or an envelope over kMaxEventBytes.
// SOCI exceptions propagate to the caller's transaction handling (like every statement
// run on a caller's session), so deadlocks can be retried by ConnectionPool::in_transaction.
Result<AppendedEvent> append_event(soci::session& session, std::string_view table,
                                   const OutboxEvent& event, const Clock& clock);

// Largest batch append_events writes in one statement. The statement carries every
// payload, so the caller also keeps the batch's bytes under the server's
// max_allowed_packet (16 MiB by default; 1024 OrderCreated events are under 1 MiB).
inline constexpr std::size_t kMaxAppendBatch = 1024;

// Inserts `events` into `table` in ONE multi-row INSERT (two round trips whatever the
// count), in span order: the relay publishes them in that order. Returns one
// AppendedEvent per event, in the same order. Same contract as append_event otherwise;
// nothing is written if any event is refused.
// REQUIRES: events.size() <= kMaxAppendBatch.
// Errors also: kInternal if the server cannot number a multi-row insert consecutively
// (innodb_autoinc_lock_mode 2); appending one event at a time works there.
Result<std::vector<AppendedEvent>> append_events(soci::session& session, std::string_view table,
                                                 std::span<const OutboxEvent> events,
                                                 const Clock& clock);

}  // namespace bourse::outbox
