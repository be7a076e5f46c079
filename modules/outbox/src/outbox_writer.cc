#include "bourse/outbox/outbox_writer.h"

#include <soci/soci.h>

#include <algorithm>

#include "bourse/common/assert.h"

namespace bourse::outbox {
namespace {

// innodb_autoinc_lock_mode 2 ("interleaved") may number the rows of one multi-row insert
// with gaps; 0 and 1 give a simple insert consecutive ids (step auto_increment_increment).
constexpr long long kInterleavedAutoIncLockMode = 2;

}  // namespace

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

  long long first_id = 0;
  long long row_count = 0;
  long long increment = 0;
  long long lock_mode = 0;
  session << "SELECT LAST_INSERT_ID(), ROW_COUNT(), @@auto_increment_increment, "
             "@@innodb_autoinc_lock_mode",
      soci::into(first_id), soci::into(row_count), soci::into(increment), soci::into(lock_mode);
  BOURSE_ASSERT(row_count == static_cast<long long>(events.size()),
                "the outbox insert wrote one row per event");
  BOURSE_ASSERT(first_id > 0 && increment > 0, "AUTO_INCREMENT assigned the outbox ids");
  if (events.size() > 1 && lock_mode == kInterleavedAutoIncLockMode) {
    return Error::internal(
        "innodb_autoinc_lock_mode 2 does not number a multi-row outbox insert consecutively");
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    appended[i].outbox_id = first_id + static_cast<long long>(i) * increment;
  }
  return appended;
}

}  // namespace bourse::outbox
