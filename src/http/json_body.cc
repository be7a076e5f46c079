#include "http/json_body.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <limits>

namespace bourse::http {
namespace {

Error malformed(std::string message, std::string reason) {
  return {ErrorCode::kMalformed, std::move(message), std::move(reason)};
}

Error missing(std::string_view field) {
  return malformed("field '" + std::string(field) + "' is required", "missing_field");
}

Error wrong_type(std::string_view field, std::string_view expected) {
  return malformed("field '" + std::string(field) + "' must be " + std::string(expected),
                   "wrong_type");
}

// The field's value, or nullptr when absent or null.
const boost::json::value* find(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = object.if_contains(field);
  if (value == nullptr || value->is_null()) return nullptr;
  return value;
}

bool is_json_media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  if (iequals(media, "application/json")) return true;
  constexpr std::string_view kPrefix = "application/";
  constexpr std::string_view kSuffix = "+json";
  return media.size() > kPrefix.size() + kSuffix.size() &&
         iequals(media.substr(0, kPrefix.size()), kPrefix) &&
         iequals(media.substr(media.size() - kSuffix.size()), kSuffix);
}

Result<std::int64_t> to_int64(const boost::json::value& value, std::string_view field) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    if (value.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Error{ErrorCode::kOutOfRange, "field '" + std::string(field) + "' is too large",
                   "number_out_of_range"};
    }
    return static_cast<std::int64_t>(value.get_uint64());
  }
  return wrong_type(field, "an integer");
}

}  // namespace

Result<boost::json::object> parse_json_object(std::string_view body) {
  if (body.empty())
    return malformed("the request body is empty; a JSON object is expected", "malformed_json");
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec, {}, options);
  if (ec) return malformed("the request body is not valid JSON: " + ec.message(), "malformed_json");
  if (!value.is_object())
    return malformed("the request body must be a JSON object", "json_not_object");
  return std::move(value.get_object());
}

Result<boost::json::object> parse_json_object(const Request& request) {
  if (const auto content_type = request.header("Content-Type");
      content_type && !is_json_media_type(*content_type)) {
    return malformed("Content-Type must be application/json", "unsupported_media_type");
  }
  return parse_json_object(request.body);
}

Result<std::string> require_string(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  if (!value->is_string()) return wrong_type(field, "a string");
  return std::string(value->get_string());
}

Result<std::optional<std::string>> optional_string(const boost::json::object& object,
                                                   std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return wrong_type(field, "a string");
  return std::optional<std::string>(std::string(value->get_string()));
}

Result<std::int64_t> require_int64(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  return to_int64(*value, field);
}

Result<std::optional<std::int64_t>> optional_int64(const boost::json::object& object,
                                                   std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return std::optional<std::int64_t>();
  auto number = to_int64(*value, field);
  if (!number) return number.error();
  return std::optional<std::int64_t>(*number);
}

Result<bool> require_bool(const boost::json::object& object, std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  if (!value->is_bool()) return wrong_type(field, "a boolean");
  return value->get_bool();
}

Result<std::optional<bool>> optional_bool(const boost::json::object& object,
                                          std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_bool()) return wrong_type(field, "a boolean");
  return std::optional<bool>(value->get_bool());
}

Result<const boost::json::object*> require_object(const boost::json::object& object,
                                                  std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return missing(field);
  if (!value->is_object()) return wrong_type(field, "an object");
  return &value->get_object();
}

Result<const boost::json::object*> optional_object(const boost::json::object& object,
                                                   std::string_view field) {
  const boost::json::value* value = find(object, field);
  if (value == nullptr) return static_cast<const boost::json::object*>(nullptr);
  if (!value->is_object()) return wrong_type(field, "an object");
  return &value->get_object();
}

}  // namespace bourse::http
