// Goal: prove errors become RFC 9457 problem+json with a stable type and the right status,
// and that internal details never leak.
#include "http/problem.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

namespace bourse::http {
namespace {

boost::json::object body_of(const Response& response) {
  return boost::json::parse(response.body).as_object();
}

TEST_CASE("a problem response has the RFC 9457 shape and content type", "[http][problem]") {
  const Response response =
      problem_response(404, problem_kind::kNotFound, "Not found", "No order 42", "/v1/orders/42");
  CHECK(response.status == 404);
  CHECK(response.content_type == "application/problem+json");
  const auto body = body_of(response);
  CHECK(body.at("type").as_string() == "https://bourse.dev/problems/not-found");
  CHECK(body.at("title").as_string() == "Not found");
  CHECK(body.at("status").as_int64() == 404);
  CHECK(body.at("detail").as_string() == "No order 42");
  CHECK(body.at("instance").as_string() == "/v1/orders/42");
}

TEST_CASE("an empty instance is omitted", "[http][problem]") {
  const auto body = body_of(problem_response(400, "bad-request", "Bad request", "x"));
  CHECK_FALSE(body.contains("instance"));
}

TEST_CASE("error codes map to HTTP statuses", "[http][problem]") {
  struct Case {
    ErrorCode code;
    int status;
    const char* type;
  };
  const Case cases[] = {
      {ErrorCode::kInvalidArgument, 422, "https://bourse.dev/problems/validation"},
      {ErrorCode::kOutOfRange, 422, "https://bourse.dev/problems/out-of-range"},
      {ErrorCode::kMalformed, 400, "https://bourse.dev/problems/bad-request"},
      {ErrorCode::kNotFound, 404, "https://bourse.dev/problems/not-found"},
      {ErrorCode::kConflict, 409, "https://bourse.dev/problems/conflict"},
      {ErrorCode::kTooLarge, 413, "https://bourse.dev/problems/payload-too-large"},
      {ErrorCode::kUnavailable, 503, "https://bourse.dev/problems/unavailable"},
      {ErrorCode::kTimeout, 503, "https://bourse.dev/problems/timeout"},
      {ErrorCode::kInternal, 500, "https://bourse.dev/problems/internal"},
  };
  for (const Case& c : cases) {
    const Response response = problem_from_error(Error{c.code, "message", {}});
    INFO(to_string(c.code));
    CHECK(response.status == c.status);
    CHECK(body_of(response).at("type").as_string() == c.type);
    CHECK(body_of(response).at("status").as_int64() == c.status);
  }
}

TEST_CASE("a reason becomes the problem type", "[http][problem]") {
  const Response response = problem_from_error(
      Error::invalid("price 10.5 is off tick 1", "off_tick_price"), "/v1/orders");
  CHECK(response.status == 422);
  const auto body = body_of(response);
  CHECK(body.at("type").as_string() == "https://bourse.dev/problems/off-tick-price");
  CHECK(body.at("detail").as_string() == "price 10.5 is off tick 1");
  CHECK(body.at("instance").as_string() == "/v1/orders");
}

TEST_CASE("503 answers carry Retry-After", "[http][problem]") {
  CHECK(problem_from_error(Error::unavailable("db down")).headers.get("Retry-After") == "1");
  CHECK(problem_from_error(Error{ErrorCode::kTimeout, "slow", {}}).headers.get("retry-after") ==
        "1");
  CHECK_FALSE(problem_from_error(Error::invalid("x")).headers.contains("Retry-After"));
}

TEST_CASE("internal errors do not leak their message or reason", "[http][problem]") {
  const Response response = problem_from_error(
      Error{ErrorCode::kInternal, "SQL error on table secret_ledger", "deadlock_victim"});
  CHECK(response.status == 500);
  CHECK(response.body.find("secret_ledger") == std::string::npos);
  CHECK(response.body.find("deadlock") == std::string::npos);
  CHECK(body_of(response).at("type").as_string() == "https://bourse.dev/problems/internal");
}

TEST_CASE("unsupported media type maps to 415", "[http][problem]") {
  const Response response =
      problem_from_error(Error{ErrorCode::kMalformed, "use JSON", "unsupported_media_type"});
  CHECK(response.status == 415);
  CHECK(body_of(response).at("type").as_string() ==
        "https://bourse.dev/problems/unsupported-media-type");
}

TEST_CASE("kinds are sanitized into URI-safe tokens", "[http][problem]") {
  CHECK(problem_type("Off Tick/Price") == "https://bourse.dev/problems/off-tick-price");
}

}  // namespace
}  // namespace bourse::http
