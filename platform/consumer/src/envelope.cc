#include "bourse/consumer/envelope.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <system_error>

namespace bourse::consumer {
namespace {

Error malformed(std::string message) {
  return Error{ErrorCode::kMalformed, "event envelope: " + std::move(message),
               "malformed_envelope"};
}

// The string member `name`, or nullptr if absent or not a string.
const boost::json::string* string_member(const boost::json::object& object, std::string_view name) {
  const boost::json::value* member = object.if_contains(name);
  return member == nullptr ? nullptr : member->if_string();
}

bool printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

Result<Envelope> parse_envelope(std::string_view value) {
  std::error_code ec;
  boost::json::value parsed = boost::json::parse(value, ec);
  if (ec) return malformed("not JSON: " + ec.message());
  boost::json::object* root = parsed.if_object();
  if (root == nullptr) return malformed("not a JSON object");

  Envelope envelope;
  const auto required_string = [&](std::string_view name, std::string& out) -> Status {
    const boost::json::string* text = string_member(*root, name);
    if (text == nullptr) return malformed(std::string(name) + " missing or not a string");
    out.assign(text->data(), text->size());
    return Status::success();
  };
  for (const auto& [name, out] :
       {std::pair<std::string_view, std::string*>{"event_id", &envelope.event_id},
        {"event_type", &envelope.event_type},
        {"occurred_at", &envelope.occurred_at},
        {"aggregate_type", &envelope.aggregate_type},
        {"aggregate_id", &envelope.aggregate_id}}) {
    if (Status status = required_string(name, *out); !status) return status.error();
  }
  if (envelope.event_id.empty() || envelope.event_id.size() > kMaxEventIdLength ||
      !printable_ascii(envelope.event_id)) {
    return malformed("event_id must be 1.." + std::to_string(kMaxEventIdLength) +
                     " printable ASCII characters");
  }
  if (envelope.event_type.empty() || envelope.event_type.size() > kMaxEventTypeLength ||
      !printable_ascii(envelope.event_type)) {
    return malformed("event_type must be 1.." + std::to_string(kMaxEventTypeLength) +
                     " printable ASCII characters");
  }

  const boost::json::value* version = root->if_contains("version");
  if (version == nullptr || !version->is_int64() || version->get_int64() < 1) {
    // A JSON integer that does not fit int64 parses as uint64 or double: rejected too.
    return malformed("version missing or not a positive integer");
  }
  envelope.version = version->get_int64();

  boost::json::value* data = root->if_contains("data");
  if (data == nullptr || !data->is_object()) return malformed("data missing or not an object");
  envelope.data = std::move(data->get_object());
  return envelope;
}

}  // namespace bourse::consumer
