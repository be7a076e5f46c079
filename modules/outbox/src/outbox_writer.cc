#include "bourse/outbox/outbox_writer.h"

#include <soci/soci.h>

#include <algorithm>

namespace bourse::outbox {

bool is_outbox_table(std::string_view table) {
  return std::find(kOutboxTables.begin(), kOutboxTables.end(), table) != kOutboxTables.end();
}

Result<AppendedEvent> append_event(soci::session& session, std::string_view table,
                                   const OutboxEvent& event, const Clock& clock) {
  if (!is_outbox_table(table)) {
    return Error::invalid("unknown outbox table " + std::string(table), "unknown_outbox");
  }
  AppendedEvent appended;
  appended.event_id = new_event_id();
  const std::string payload = serialize_envelope(event, appended.event_id, clock.now());
  if (payload.size() > kMaxEventBytes) {
    return Error{ErrorCode::kTooLarge, "event larger than kMaxEventBytes", "event_too_large"};
  }
  session << "INSERT INTO " + std::string(table) +
                 " (event_id, event_type, topic, message_key, payload) "
                 "VALUES (:event_id, :event_type, :topic, :message_key, :payload)",
      soci::use(appended.event_id), soci::use(event.event_type), soci::use(event.topic),
      soci::use(event.key), soci::use(payload);
  long long id = 0;
  session << "SELECT LAST_INSERT_ID()", soci::into(id);
  appended.outbox_id = id;
  return appended;
}

}  // namespace bourse::outbox
