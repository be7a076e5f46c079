#include "bourse/outbox/outbox_writer.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/db/inserted_ids.h"
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

Result<std::vector<AppendedEvent>> append_events(soci::session& session, std::string_view table,
                                                 std::span<const OutboxEvent> events,
                                                 const Clock& clock) {
  BOURSE_ASSERT(events.size() <= kMaxAppendBatch, "append_events batch within kMaxAppendBatch");
  if (!is_outbox_table_name(table)) {
    return Error::invalid("not an outbox table name: " + std::string(table), "unknown_outbox");
  }
  std::vector<AppendedEvent> appended(events.size());
  if (events.empty()) return appended;
  // Every value is serialized and checked before anything is written.
  const std::string occurred_at = format_rfc3339_utc(clock.now());
  std::vector<std::string> payloads;
  payloads.reserve(events.size());  // never reallocated: the statement binds references
  for (std::size_t i = 0; i < events.size(); ++i) {
    const OutboxEvent& event = events[i];
    if (event.event_id.empty()) {
      appended[i].event_id = random_uuid_v4();
    } else {
      if (!is_valid_event_id(event.event_id)) {
        return Error::invalid("event id must be 1.." + std::to_string(envelope::kMaxEventIdLength) +
                                  " printable ASCII characters",
                              "invalid_event_id");
      }
      appended[i].event_id = event.event_id;
    }
    payloads.push_back(envelope::serialize(
        envelope::Envelope{appended[i].event_id, event.event_type, event.version, occurred_at,
                           event.aggregate_type, event.aggregate_id, event.data}));
    if (payloads.back().size() > envelope::kMaxEventBytes) {
      return Error{ErrorCode::kTooLarge, "event larger than kMaxEventBytes", "event_too_large"};
    }
  }

  // One statement, every value a bound parameter (the table name was checked above).
  const std::string sql = "INSERT INTO " + std::string(table) +
                          " (event_id, event_type, topic, message_key, payload) VALUES " +
                          db::row_placeholders(events.size(), 5);
  Result<std::vector<std::int64_t>> ids = std::vector<std::int64_t>{};
  {
    soci::details::prepare_temp_type insert = (session.prepare << sql);
    for (std::size_t i = 0; i < events.size(); ++i) {
      insert, soci::use(appended[i].event_id), soci::use(events[i].event_type),
          soci::use(events[i].topic), soci::use(events[i].key), soci::use(payloads[i]);
    }
    soci::statement statement(insert);
    statement.execute(true);
    ids = db::inserted_ids(session, statement, events.size());
  }

  if (!ids) return ids.error();
  for (std::size_t i = 0; i < events.size(); ++i) appended[i].outbox_id = (*ids)[i];
  return appended;
}

}  // namespace bourse::outbox
