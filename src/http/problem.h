// RFC 9457 problem details: every error answer of the API is application/problem+json.
//
//   {"type":"https://bourse.dev/problems/off-tick-price","title":"Validation failed",
//    "status":422,"detail":"price 70500.5 is not a multiple of the tick 1","instance":"/v1/orders"}
//
// `type` is stable per error kind: clients switch on it, never on `detail`. The kind is
// the Error's reason with '_' turned into '-' ("off_tick_price" -> "off-tick-price") or,
// when the reason is empty, the default kind of its ErrorCode (table in problem.cc).
// `status` mirrors the HTTP status. 503 answers carry Retry-After. A kInternal error never
// leaks its message or reason to the client.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "http/message.h"

namespace bourse::http {

inline constexpr std::string_view kProblemTypeBase = "https://bourse.dev/problems/";
inline constexpr std::string_view kProblemContentType = "application/problem+json";
// What a 503 asks the client to wait before retrying.
inline constexpr std::chrono::seconds kDefaultRetryAfter{1};

// Kinds produced by the HTTP layer itself (handlers mostly go through problem_from_error).
namespace problem_kind {
inline constexpr std::string_view kNotFound = "not-found";
inline constexpr std::string_view kMethodNotAllowed = "method-not-allowed";
inline constexpr std::string_view kBadRequest = "bad-request";
inline constexpr std::string_view kMalformedJson = "malformed-json";
inline constexpr std::string_view kPayloadTooLarge = "payload-too-large";
inline constexpr std::string_view kHeaderTooLarge = "header-too-large";
inline constexpr std::string_view kValidation = "validation";
inline constexpr std::string_view kOverloaded = "overloaded";
inline constexpr std::string_view kInternal = "internal";
}  // namespace problem_kind

// The `type` URI of a kind: kProblemTypeBase + kind.
std::string problem_type(std::string_view kind);

// A problem+json response. `kind` must be [a-z0-9-]+ (anything else becomes "-").
// An empty `instance` is omitted. A 503 gets Retry-After: kDefaultRetryAfter.
Response problem_response(int status, std::string_view kind, std::string_view title,
                          std::string_view detail, std::string_view instance = {});

// The HTTP status of an error code: kInvalidArgument/kOutOfRange 422, kMalformed 400,
// kNotFound 404, kConflict 409, kTooLarge 413, kUnavailable/kTimeout 503, kInternal 500.
// A few reasons refine the status (reason "unsupported_media_type" -> 415).
int http_status(const Error& error);

// The problem answer for an error coming out of a module facade. `instance` is usually the
// request path.
Response problem_from_error(const Error& error, std::string_view instance = {});

}  // namespace bourse::http
