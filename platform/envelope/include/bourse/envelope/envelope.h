// The event envelope: the one wire format of every event Bourse publishes through an
// outbox, written by the outbox writer and read by the exactly-once consumer. One
// library, so producer and consumers cannot drift apart.
//
// Wire format (the Kafka message value; one JSON object):
//   {"event_id":"<uuid v4>","event_type":"OrderCreated","version":1,
//    "occurred_at":"2026-11-24T17:05:39.123456Z","aggregate_type":"order",
//    "aggregate_id":"42","data":{...the event's own fields...}}
// `version` is the version of the event type's payload (`data`), owned by the
// publishing module's event contract (e.g. bourse/order/events.h); a consumer decides
// which versions it understands through that contract's parse().
// Unknown top-level fields are ignored when parsing (forward compatibility).
//
// Event contracts: each publishing module declares one struct per event type in its
// public headers, satisfying EventContract below (type name, version, partition key,
// aggregate, to_json, parse). decode<E>() turns an envelope back into the struct.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <boost/json/object.hpp>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bourse/common/error.h"

namespace bourse::envelope {

// Longest event id: the processed_events key column (a UUID has 36 characters).
inline constexpr std::size_t kMaxEventIdLength = 64;
// Longest event type name: the outbox and dead_letters event_type columns.
inline constexpr std::size_t kMaxEventTypeLength = 64;
// Largest serialized envelope an outbox accepts (well under Kafka's message limit).
inline constexpr std::size_t kMaxEventBytes = 64 * 1024;

struct Envelope {
  std::string event_id;        // 1..kMaxEventIdLength printable ASCII
  std::string event_type;      // 1..kMaxEventTypeLength printable ASCII
  std::int64_t version = 1;    // >= 1: the payload version of event_type
  std::string occurred_at;     // RFC 3339 UTC with microseconds, as written
  std::string aggregate_type;  // e.g. "order"
  std::string aggregate_id;    // e.g. "42"
  boost::json::object data;    // the event's own fields
};

// The envelope's JSON text. REQUIRES: the envelope is valid (as parse() would accept it).
std::string serialize(const Envelope& envelope);

// Parses a Kafka message value. kMalformed ("malformed_envelope", the message says what is
// wrong) when it is not a JSON object with the fields above of the right types and sizes.
// Never throws.
Result<Envelope> parse(std::string_view value);

// What every event contract provides (see the file comment).
template <typename Event>
concept EventContract = requires(const Event& event, const boost::json::object& data,
                                 std::int64_t version) {
  { Event::kType } -> std::convertible_to<std::string_view>;
  { Event::kVersion } -> std::convertible_to<std::int64_t>;
  { Event::kAggregateType } -> std::convertible_to<std::string_view>;
  { event.partition_key() } -> std::convertible_to<std::string>;
  { event.aggregate_id() } -> std::convertible_to<std::string>;
  { event.to_json() } -> std::same_as<boost::json::object>;
  { Event::parse(data, version) } -> std::same_as<Result<Event>>;
};

// Errors of decode() and of the contracts' parse(), so that consumers can tell them apart.
inline constexpr const char* kWrongEventTypeReason = "wrong_event_type";
inline constexpr const char* kUnknownVersionReason = "unknown_event_version";
inline constexpr const char* kMalformedEventReason = "malformed_event";

// The typed event inside `envelope`. Errors (all kMalformed): another event type
// (kWrongEventTypeReason), a version the contract does not know (kUnknownVersionReason),
// fields missing or invalid (kMalformedEventReason).
template <EventContract Event>
Result<Event> decode(const Envelope& envelope) {
  if (envelope.event_type != Event::kType) {
    return Error{ErrorCode::kMalformed,
                 "expected a " + std::string(Event::kType) + " event, got " + envelope.event_type,
                 kWrongEventTypeReason};
  }
  return Event::parse(envelope.data, envelope.version);
}

// The standard errors for a contract's parse(): an unknown version, a bad field.
Error unknown_version(std::string_view event_type, std::int64_t version);
Error malformed_event(std::string_view event_type, const Error& cause);

}  // namespace bourse::envelope
