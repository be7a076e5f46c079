#include "http/json_body.h"

#include "bourse/json/fields.h"

namespace bourse::http {
namespace {

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

}  // namespace

Result<boost::json::object> parse_json_object(const Request& request) {
  if (const auto content_type = request.header("Content-Type");
      content_type && !is_json_media_type(*content_type)) {
    return Error{ErrorCode::kMalformed, "Content-Type must be application/json",
                 "unsupported_media_type"};
  }
  if (request.body.empty()) {
    return Error{ErrorCode::kMalformed, "the request body is empty; a JSON object is expected",
                 "malformed_json"};
  }
  return json::parse_object(request.body);
}

}  // namespace bourse::http
