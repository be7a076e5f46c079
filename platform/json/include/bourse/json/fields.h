// Parsing a JSON object and reading its fields, with errors as values.
//
// Decisions (the contract callers and, through them, clients see):
// - parse_object accepts exactly one JSON object (standard JSON only: no comments, no
//   trailing commas, valid UTF-8; whitespace around it is fine). Everything else is
//   kMalformed: empty input, invalid JSON, trailing data or nesting deeper than
//   `max_depth` have reason "malformed_json"; valid JSON that is not an object has
//   "json_not_object".
// - Duplicate keys are rejected, not resolved: if any object at any depth holds a key
//   twice (even with equal values, as in {"a":1,"a":1}), the result is kMalformed with
//   reason "duplicate_key" and the message names the key. Two readers of the same text
//   can therefore never disagree about a field's value.
// - Field readers check the *shape* of one field: a missing required field is kMalformed
//   "missing_field", a field of the wrong JSON type is kMalformed "wrong_type"; both
//   messages name the field. `null` counts as absent for optional_* and as missing for
//   require_*. The *values* are the caller's business.
// - Integer readers accept JSON integers only (10, not 10.0 nor "10"). An integer above
//   INT64_MAX (a uint64 to Boost.JSON) is kOutOfRange, reason "number_out_of_range".
//   Integers beyond uint64 are parsed as doubles by Boost.JSON and so are "wrong_type".
//
// Pure functions: thread-safe, no I/O. parse_object throws only std::bad_alloc.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bourse/common/error.h"

namespace bourse::json {

// Deepest nesting accepted by default (an object holding an object is 2 deep). The
// project's bodies and payloads are at most 3 deep; 16 leaves room and bounds recursion.
inline constexpr std::size_t kMaxDepth = 16;

// Parses `text`, which must be one JSON object (see the file comment for the errors).
Result<boost::json::object> parse_object(std::string_view text, std::size_t max_depth = kMaxDepth);

Result<std::string> require_string(const boost::json::object& object, std::string_view field);
Result<std::optional<std::string>> optional_string(const boost::json::object& object,
                                                   std::string_view field);
Result<std::int64_t> require_int64(const boost::json::object& object, std::string_view field);
Result<std::optional<std::int64_t>> optional_int64(const boost::json::object& object,
                                                   std::string_view field);
Result<bool> require_bool(const boost::json::object& object, std::string_view field);
Result<std::optional<bool>> optional_bool(const boost::json::object& object,
                                          std::string_view field);
// A nested object; the pointer points into `object` (nullptr from optional_object when
// the field is absent or null).
Result<const boost::json::object*> require_object(const boost::json::object& object,
                                                  std::string_view field);
Result<const boost::json::object*> optional_object(const boost::json::object& object,
                                                   std::string_view field);

}  // namespace bourse::json
