#include "bourse/outbox/outbox_writer.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/db/sql_batch.h"

namespace bourse::outbox {
namespace {

bool is_valid_event_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > envelope::kMaxEventIdLength) return false;
  for (const char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

bool is_outbox_table_name(std::string_view table) noexcept {
  constexpr std::string_view kSuffix = "_outbox";
  if (table.size() <= kSuffix.size() || table.size() > kMaxOutboxTableNameLength) return false;
  if (table.substr(table.size() - kSuffix.size()) != kSuffix) return false;
  if (table.front() < 'a' || table.front() > 'z') return false;
  for (const char c : table) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<AppendedEvent> append_event(soci::session& session, std::string_view table,
                                   const OutboxEvent& event, const Clock& clock) {
  auto appended = append_events(session, table, std::span<const OutboxEvent>(&event, 1), clock);
  if (!appended) return appended.error();
  BOURSE_ASSERT(appended->size() == 1, "one event appended");
  return std::move(appended->front());
}

std::string unpublished_condition(std::string_view table) {
  BOURSE_ASSERT(is_outbox_table_name(table), "only known outbox tables reach SQL text");
  return "id > COALESCE((SELECT published_up_to FROM outbox_relay_barriers WHERE outbox = '" +
         std::string(table) + "'), 0)";
}

Result<PreparedAppend> prepare_append(std::string_view table, std::span<const OutboxEvent> events,
                                      const Clock& clock) {
  std::vector<const OutboxEvent*> pointers;
  pointers.reserve(events.size());
  for (const OutboxEvent& event : events) pointers.push_back(&event);
  return prepare_append(table, std::span<const OutboxEvent* const>(pointers), clock);
}

Result<PreparedAppend> prepare_append(std::string_view table,
                                      std::span<const OutboxEvent* const> events,
                                      const Clock& clock) {
  BOURSE_ASSERT(!events.empty() && events.size() <= kMaxAppendBatch,
                "1..kMaxAppendBatch events per append");
  if (!is_outbox_table_name(table)) {
    return Error::invalid("not an outbox table name: " + std::string(table), "unknown_outbox");
  }
  const auto count = static_cast<long long>(events.size());
  // The bump: creates the outbox's sequence row on its first append, and leaves the new
  // last id in the session's LAST_INSERT_ID() (an INSERT that generates no AUTO_INCREMENT
  // value leaves it alone, so the outbox INSERT below still reads it).
  db::SqlStatement bump{
      "INSERT INTO outbox_sequences (outbox, last_id) VALUES (:outbox, LAST_INSERT_ID(:n)) "
      "ON DUPLICATE KEY UPDATE last_id = LAST_INSERT_ID(last_id + :m)",
      {std::string(table), count, count},
      std::nullopt,
      std::nullopt};
  // Row i gets LAST_INSERT_ID() - (n - 1 - i): the n ids up to the bumped value. Every
  // value but the id offsets (integers of our own) is bound; the table name was checked.
  std::string text = "INSERT INTO " + std::string(table) +
                     " (id, event_id, event_type, topic, message_key, payload) VALUES ";
  text.reserve(text.size() + events.size() * 80);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string row = std::to_string(i);
    text += i == 0 ? "(" : ", (";
    text += "LAST_INSERT_ID() - " + std::to_string(events.size() - 1 - i);
    for (int column = 0; column < 5; ++column) text += ", :p" + row + "_" + std::to_string(column);
    text += ")";
  }
  PreparedAppend prepared{std::vector<AppendedEvent>(events.size()), {}};
  prepared.statements.reserve(2);
  prepared.statements.push_back(std::move(bump));
  db::SqlStatement& insert = prepared.statements.emplace_back(
      db::SqlStatement{std::move(text), {}, std::nullopt, count});
  insert.values.reserve(5 * events.size());
  const std::string occurred_at = format_rfc3339_utc(clock.now());
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOURSE_ASSERT(events[i] != nullptr, "an event to append");
    const OutboxEvent& event = *events[i];
    std::string& event_id = prepared.events[i].event_id;
    if (event.event_id.empty()) {
      event_id = random_uuid_v4();
    } else {
      if (!is_valid_event_id(event.event_id)) {
        return Error::invalid("event id must be 1.." + std::to_string(envelope::kMaxEventIdLength) +
                                  " printable ASCII characters",
                              "invalid_event_id");
      }
      event_id = event.event_id;
    }
    std::string payload = envelope::serialize(envelope::Envelope{
        event_id, event.event_type, event.version, occurred_at, event.aggregate_type,
        event.aggregate_id, event.data});
    if (payload.size() > envelope::kMaxEventBytes) {
      return Error{ErrorCode::kTooLarge, "event larger than kMaxEventBytes", "event_too_large"};
    }
    insert.values.insert(insert.values.end(), {event_id, event.event_type, event.topic, event.key});
    insert.values.emplace_back(std::move(payload));
  }
  return prepared;
}

Result<std::vector<AppendedEvent>> append_events(soci::session& session, std::string_view table,
                                                 std::span<const OutboxEvent> events,
                                                 const Clock& clock) {
  BOURSE_ASSERT(events.size() <= kMaxAppendBatch, "append_events batch within kMaxAppendBatch");
  if (events.empty()) {
    if (!is_outbox_table_name(table)) {
      return Error::invalid("not an outbox table name: " + std::string(table), "unknown_outbox");
    }
    return std::vector<AppendedEvent>{};
  }
  Result<PreparedAppend> prepared = prepare_append(table, events, clock);
  if (!prepared) return prepared.error();
  // The bump, the INSERT and the ids' read in one round trip.
  std::vector<db::SqlStatement> statements = std::move(prepared->statements);
  statements.push_back(db::SqlStatement{"SELECT LAST_INSERT_ID()", {}, std::nullopt, std::nullopt});
  auto done = db::execute_statements(session, statements);
  if (!done) return done.error();
  BOURSE_ASSERT(done->size() == 3 && done->back().rows.size() == 1 &&
                    done->back().rows.front().size() == 1 && done->back().rows.front()[0],
                "the bump, the insert and one LAST_INSERT_ID()");
  const std::int64_t last = std::stoll(*done->back().rows.front()[0]);
  const auto count = static_cast<std::int64_t>(events.size());
  BOURSE_ASSERT(last >= count, "the sequence counts every id handed out");
  for (std::int64_t i = 0; i < count; ++i) {
    prepared->events[static_cast<std::size_t>(i)].outbox_id = last - count + 1 + i;
  }
  return std::move(prepared->events);
}

}  // namespace bourse::outbox
