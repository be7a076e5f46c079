#include "http/problem.h"

#include <boost/json/object.hpp>

namespace bourse::http {
namespace {

struct CodeInfo {
  int status;
  std::string_view kind;
  std::string_view title;
};

CodeInfo info(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return {422, problem_kind::kValidation, "Validation failed"};
    case ErrorCode::kOutOfRange:
      return {422, "out-of-range", "Value out of range"};
    case ErrorCode::kMalformed:
      return {400, problem_kind::kBadRequest, "Malformed request"};
    case ErrorCode::kNotFound:
      return {404, problem_kind::kNotFound, "Not found"};
    case ErrorCode::kConflict:
      return {409, "conflict", "Conflict"};
    case ErrorCode::kTooLarge:
      return {413, problem_kind::kPayloadTooLarge, "Payload too large"};
    case ErrorCode::kUnavailable:
      return {503, "unavailable", "Service unavailable"};
    case ErrorCode::kTimeout:
      return {503, "timeout", "Dependency timed out"};
    case ErrorCode::kInternal:
      return {500, problem_kind::kInternal, "Internal error"};
  }
  return {500, problem_kind::kInternal, "Internal error"};
}

std::string kind_from_reason(std::string_view reason) {
  std::string kind;
  kind.reserve(reason.size());
  for (char c : reason) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    kind += allowed ? c : '-';
  }
  return kind;
}

}  // namespace

std::string problem_type(std::string_view kind) {
  return std::string(kProblemTypeBase) + kind_from_reason(kind);
}

Response problem_response(int status, std::string_view kind, std::string_view title,
                          std::string_view detail, std::string_view instance) {
  boost::json::object body;
  body["type"] = problem_type(kind);
  body["title"] = title;
  body["status"] = status;
  body["detail"] = detail;
  if (!instance.empty()) body["instance"] = instance;
  Response response = json_response(status, body);
  response.content_type = kProblemContentType;
  if (status == 503)
    response.headers.set("Retry-After", std::to_string(kDefaultRetryAfter.count()));
  return response;
}

int http_status(const Error& error) {
  if (error.reason == "unsupported_media_type") return 415;
  return info(error.code).status;
}

Response problem_from_error(const Error& error, std::string_view instance) {
  const CodeInfo code_info = info(error.code);
  if (error.code == ErrorCode::kInternal) {
    // The message may name tables, hosts or SQL: it goes to the log, not to the client.
    return problem_response(500, problem_kind::kInternal, code_info.title,
                            "The server could not complete the request.", instance);
  }
  const std::string kind =
      error.reason.empty() ? std::string(code_info.kind) : kind_from_reason(error.reason);
  const int status = http_status(error);
  const std::string_view title = status == 415 ? "Unsupported media type" : code_info.title;
  return problem_response(status, kind, title, error.message, instance);
}

}  // namespace bourse::http
