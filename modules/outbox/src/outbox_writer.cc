#include "bourse/outbox/outbox_writer.h"

#include <soci/soci.h>

#include <algorithm>

#include "bourse/common/assert.h"
#include "bourse/db/inserted_ids.h"

namespace bourse::outbox {

bool is_outbox_table(std::string_view table) {
  return std::find(kOutboxTables.begin(), kOutboxTables.end(), table) != kOutboxTables.end();
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
  if (!is_outbox_table(table)) {
    return Error::invalid("unknown outbox table " + std::string(table), "unknown_outbox");
  }
  std::vector<AppendedEvent> appended(events.size());
  if (events.empty()) return appended;
  // Every value is serialized and checked before anything is written.
  std::vector<std::string> payloads;
  payloads.reserve(events.size());  // never reallocated: the statement binds references
  for (std::size_t i = 0; i < events.size(); ++i) {
    appended[i].event_id = new_event_id();
    payloads.push_back(serialize_envelope(events[i], appended[i].event_id, clock.now()));
    if (payloads.back().size() > kMaxEventBytes) {
      return Error{ErrorCode::kTooLarge, "event larger than kMaxEventBytes", "event_too_large"};
    }
  }

  // One statement, every value a bound parameter (the table name is one of kOutboxTables).
  std::string sql = "INSERT INTO " + std::string(table) +
                    " (event_id, event_type, topic, message_key, payload) VALUES ";
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string n = std::to_string(i);
    sql += (i == 0 ? "(" : ", (");
    sql += ":event_id" + n + ", :event_type" + n + ", :topic" + n + ", :message_key" + n +
           ", :payload" + n + ")";
  }
  {
    soci::details::prepare_temp_type insert = (session.prepare << sql);
    for (std::size_t i = 0; i < events.size(); ++i) {
      insert, soci::use(appended[i].event_id), soci::use(events[i].event_type),
          soci::use(events[i].topic), soci::use(events[i].key), soci::use(payloads[i]);
    }
    soci::statement statement(insert);
    statement.execute(true);
  }

  auto ids = db::inserted_ids(session, events.size());
  if (!ids) return ids.error();
  for (std::size_t i = 0; i < events.size(); ++i) appended[i].outbox_id = (*ids)[i];
  return appended;
}

}  // namespace bourse::outbox
