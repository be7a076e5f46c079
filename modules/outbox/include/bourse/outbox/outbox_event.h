// An event to publish through a module's transactional outbox, and its wire format.
//
// Wire format (the Kafka message value; versioned JSON, one object):
//   {"event_id":"<uuid v4>","event_type":"OrderCreated","version":1,
//    "occurred_at":"2026-11-24T17:05:39.123456Z","aggregate_type":"order",
//    "aggregate_id":"42","data":{...event-specific fields...}}
// The Kafka key is the symbol for order-flow events (one symbol's events stay in order
// on one partition); headers event_type and event_id repeat the envelope's fields.
// Consumers deduplicate by event_id: the relay may publish a row twice after a crash.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "bourse/common/clock.h"

namespace bourse::outbox {

inline constexpr int kEnvelopeVersion = 1;
// Largest serialized envelope accepted into an outbox (well under Kafka's message limit).
inline constexpr std::size_t kMaxEventBytes = 64 * 1024;

struct OutboxEvent {
  std::string event_type;      // e.g. "OrderCreated"
  std::string topic;           // full Kafka topic name, e.g. "bourse.order-events"
  std::string key;             // Kafka message key, e.g. the symbol
  std::string aggregate_type;  // e.g. "order"
  std::string aggregate_id;    // e.g. "42"
  boost::json::object data;    // event-specific fields
};

// A random (version 4) UUID in canonical text form. Thread-safe.
std::string new_event_id();

// The envelope JSON of `event` with the given id and time.
std::string serialize_envelope(const OutboxEvent& event, const std::string& event_id,
                               std::chrono::system_clock::time_point occurred_at);

// RFC 3339 UTC with microseconds: "2026-11-24T17:05:39.123456Z".
std::string format_timestamp(std::chrono::system_clock::time_point time);

}  // namespace bourse::outbox
