#include "bourse/envelope/envelope.h"

#include <boost/json/serialize.hpp>

#include "bourse/common/assert.h"
#include "bourse/json/fields.h"

namespace bourse::envelope {
namespace {

Error malformed(std::string message) {
  return Error{ErrorCode::kMalformed, "event envelope: " + std::move(message),
               "malformed_envelope"};
}

bool printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool valid_name(std::string_view text, std::size_t max_length) {
  return !text.empty() && text.size() <= max_length && printable_ascii(text);
}

}  // namespace

std::string serialize(const Envelope& envelope) {
  BOURSE_ASSERT(valid_name(envelope.event_id, kMaxEventIdLength), "envelope event_id is valid");
  BOURSE_ASSERT(valid_name(envelope.event_type, kMaxEventTypeLength),
                "envelope event_type is valid");
  BOURSE_ASSERT(envelope.version >= 1, "envelope version is positive");
  return boost::json::serialize(boost::json::object{{"event_id", envelope.event_id},
                                                    {"event_type", envelope.event_type},
                                                    {"version", envelope.version},
                                                    {"occurred_at", envelope.occurred_at},
                                                    {"aggregate_type", envelope.aggregate_type},
                                                    {"aggregate_id", envelope.aggregate_id},
                                                    {"data", envelope.data}});
}

Result<Envelope> parse(std::string_view value) {
  auto root = json::parse_object(value);
  if (!root) return malformed(root.error().message);
  Envelope envelope;
  for (const auto& [name, out] :
       {std::pair<std::string_view, std::string*>{"event_id", &envelope.event_id},
        {"event_type", &envelope.event_type},
        {"occurred_at", &envelope.occurred_at},
        {"aggregate_type", &envelope.aggregate_type},
        {"aggregate_id", &envelope.aggregate_id}}) {
    auto text = json::require_string(*root, name);
    if (!text) return malformed(text.error().message);
    *out = std::move(*text);
  }
  if (!valid_name(envelope.event_id, kMaxEventIdLength)) {
    return malformed("event_id must be 1.." + std::to_string(kMaxEventIdLength) +
                     " printable ASCII characters");
  }
  if (!valid_name(envelope.event_type, kMaxEventTypeLength)) {
    return malformed("event_type must be 1.." + std::to_string(kMaxEventTypeLength) +
                     " printable ASCII characters");
  }
  auto version = json::require_int64(*root, "version");
  if (!version || *version < 1) return malformed("version missing or not a positive integer");
  envelope.version = *version;
  auto data = json::require_object(*root, "data");
  if (!data) return malformed(data.error().message);
  envelope.data = **data;
  return envelope;
}

Error unknown_version(std::string_view event_type, std::int64_t version) {
  return Error{ErrorCode::kMalformed,
               std::string(event_type) + " version " + std::to_string(version) +
                   " is not known to this build",
               kUnknownVersionReason};
}

Error malformed_event(std::string_view event_type, const Error& cause) {
  return Error{ErrorCode::kMalformed, std::string(event_type) + ": " + cause.message,
               kMalformedEventReason};
}

}  // namespace bourse::envelope
