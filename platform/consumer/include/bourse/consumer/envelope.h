// The event envelope as a consumer sees it: the parsed Kafka message value.
//
// The wire format is written by modules/outbox (outbox_event.h, docs/EVENTS.md):
//   {"event_id":"<uuid>","event_type":"OrderCreated","version":1,
//    "occurred_at":"2026-11-24T17:05:39.123456Z","aggregate_type":"order",
//    "aggregate_id":"42","data":{...}}
// A value that does not have this shape can never be processed: parse_envelope returns
// kMalformed and the consumer dead-letters the message at once (a poison message).
// Fields not listed here are ignored (forward compatibility); `version` is reported, and
// each handler decides which versions of an event type it understands.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bourse/common/error.h"

namespace bourse::consumer {

// Longest event id accepted: the processed_events key column (a UUID has 36 chars).
inline constexpr std::size_t kMaxEventIdLength = 64;
// Longest event type accepted: the dead_letters.event_type column.
inline constexpr std::size_t kMaxEventTypeLength = 64;

struct Envelope {
  std::string event_id;        // non-empty, printable ASCII, <= kMaxEventIdLength
  std::string event_type;      // non-empty, <= kMaxEventTypeLength
  std::int64_t version = 0;    // >= 1
  std::string occurred_at;     // RFC 3339 text as published (not re-parsed here)
  std::string aggregate_type;  // e.g. "order"
  std::string aggregate_id;    // e.g. "42"
  boost::json::object data;    // the event-specific fields
};

// Parses a Kafka message value. kMalformed (message says what is wrong) when it is not
// a JSON object with the fields above of the right types. Never throws.
Result<Envelope> parse_envelope(std::string_view value);

}  // namespace bourse::consumer
