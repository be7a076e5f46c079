#include "bourse/outbox/outbox_writer.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/db/inserted_ids.h"
#include "bourse/db/sql_batch.h"
#include "bourse/db/sql_text.h"

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

Result<PreparedAppend> prepare_append(std::string_view table, std::span<const OutboxEvent> events,
                                      const Clock& clock) {
  BOURSE_ASSERT(!events.empty() && events.size() <= kMaxAppendBatch,
                "1..kMaxAppendBatch events per append");
  if (!is_outbox_table_name(table)) {
    return Error::invalid("not an outbox table name: " + std::string(table), "unknown_outbox");
  }
  // Every value is serialized and checked before anything is written. One statement,
  // every value bound (the table name was checked above).
  PreparedAppend prepared{std::vector<AppendedEvent>(events.size()),
                          db::SqlStatement{"INSERT INTO " + std::string(table) +
                                               " (event_id, event_type, topic, message_key, "
                                               "payload) VALUES " +
                                               db::row_placeholders(events.size(), 5),
                                           {}, std::nullopt,
                                           static_cast<long long>(events.size())}};
  prepared.insert.values.reserve(5 * events.size());
  const std::string occurred_at = format_rfc3339_utc(clock.now());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const OutboxEvent& event = events[i];
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
    prepared.insert.values.insert(prepared.insert.values.end(),
                                  {event_id, event.event_type, event.topic, event.key});
    prepared.insert.values.emplace_back(std::move(payload));
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
  const db::StatementOutcome done = db::execute_statement(session, prepared->insert);
  auto ids = db::inserted_ids(session, done, events.size());
  if (!ids) return ids.error();
  for (std::size_t i = 0; i < events.size(); ++i) prepared->events[i].outbox_id = (*ids)[i];
  return std::move(prepared->events);
}

}  // namespace bourse::outbox
