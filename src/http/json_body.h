// Reading JSON request bodies and their fields, with errors that map to problem+json.
//
// Decisions (the contract clients see):
// - Content-Type: a missing Content-Type is tolerated (the body is parsed as JSON);
//   a present one must be application/json or application/<x>+json (parameters such as
//   charset ignored), anything else is 415 (kMalformed, reason "unsupported_media_type").
// - Empty body or invalid JSON: 400, reason "malformed_json". Nesting deeper than
//   kMaxJsonDepth: 400 malformed_json. Valid JSON that is not an object: 400, reason
//   "json_not_object".
// - Field readers: the request's *shape* is checked here and is a 400 (kMalformed):
//   a missing required field (reason "missing_field") and a field of the wrong JSON type
//   (reason "wrong_type") are both 400, the detail naming the field. The *values* are the
//   module's business and are 422 (kInvalidArgument / kOutOfRange): e.g. an integer too
//   large for int64 is 422 reason "number_out_of_range". `null` counts as absent for the
//   optional readers and as missing for the required ones.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "http/message.h"

namespace bourse::http {

// Deepest nesting accepted in a request body: the API's bodies are at most 2 deep.
inline constexpr std::size_t kMaxJsonDepth = 16;

Result<boost::json::object> parse_json_object(const Request& request);
// The same on a raw body, without the Content-Type check.
Result<boost::json::object> parse_json_object(std::string_view body);

Result<std::string> require_string(const boost::json::object& object, std::string_view field);
Result<std::optional<std::string>> optional_string(const boost::json::object& object,
                                                   std::string_view field);
// Accepts JSON integers only (10, not 10.0 nor "10").
Result<std::int64_t> require_int64(const boost::json::object& object, std::string_view field);
Result<std::optional<std::int64_t>> optional_int64(const boost::json::object& object,
                                                   std::string_view field);
Result<bool> require_bool(const boost::json::object& object, std::string_view field);
Result<std::optional<bool>> optional_bool(const boost::json::object& object,
                                          std::string_view field);
// A nested object; the pointer points into `object`.
Result<const boost::json::object*> require_object(const boost::json::object& object,
                                                  std::string_view field);
Result<const boost::json::object*> optional_object(const boost::json::object& object,
                                                   std::string_view field);

}  // namespace bourse::http
