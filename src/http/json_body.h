// Reading a JSON request body, with errors that map to problem+json.
//
// Decisions (the contract clients see):
// - Content-Type: a missing Content-Type is tolerated (the body is parsed as JSON);
//   a present one must be application/json or application/<x>+json (parameters such as
//   charset ignored), anything else is 415 (kMalformed, reason "unsupported_media_type").
// - The body itself goes through bourse::json::parse_object (bourse/json/fields.h), so
//   every endpoint answers alike: an empty body, invalid JSON or nesting deeper than
//   json::kMaxDepth is 400 "malformed_json"; valid JSON that is not an object is 400
//   "json_not_object"; a key twice in any object is 400 "duplicate_key".
// - Fields are read with the bourse::json field readers: their shape errors
//   ("missing_field", "wrong_type") are 400; values are the module's business and are 422.
#pragma once

#include <boost/json/object.hpp>

#include "bourse/common/error.h"
#include "http/message.h"

namespace bourse::http {

Result<boost::json::object> parse_json_object(const Request& request);

}  // namespace bourse::http
