#include "bourse/outbox/outbox_event.h"

#include <boost/json.hpp>

#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"

namespace bourse::outbox {

std::string new_event_id() { return random_uuid_v4(); }

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  return format_rfc3339_utc(time);
}

std::string serialize_envelope(const OutboxEvent& event, const std::string& event_id,
                               std::chrono::system_clock::time_point occurred_at) {
  boost::json::object envelope{{"event_id", event_id},
                               {"event_type", event.event_type},
                               {"version", kEnvelopeVersion},
                               {"occurred_at", format_timestamp(occurred_at)},
                               {"aggregate_type", event.aggregate_type},
                               {"aggregate_id", event.aggregate_id},
                               {"data", event.data}};
  return boost::json::serialize(envelope);
}

}  // namespace bourse::outbox
