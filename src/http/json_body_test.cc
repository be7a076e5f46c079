// Goal: prove request bodies are parsed into JSON objects with 400/415/422 problems of the
// documented type, per the decisions in json_body.h (the JSON rules themselves are tested
// with bourse::json).
#include "http/json_body.h"

#include <catch2/catch.hpp>

#include "bourse/json/fields.h"
#include "http/problem.h"

namespace bourse::http {
namespace {

Request with_body(std::string body, std::optional<std::string> content_type = "application/json") {
  Request request;
  request.method = "POST";
  request.body = std::move(body);
  if (content_type) request.headers.add("Content-Type", *content_type);
  return request;
}

void check_problem(const Error& error, int status, std::string_view kind) {
  const Response response = problem_from_error(error);
  CHECK(response.status == status);
  CHECK(response.body.find(problem_type(kind)) != std::string::npos);
}

TEST_CASE("a JSON object body parses", "[http][json]") {
  auto parsed = parse_json_object(with_body(R"({"user_id":"alice","quantity":10})"));
  REQUIRE(parsed.ok());
  CHECK(parsed->at("user_id").as_string() == "alice");
}

TEST_CASE("a missing Content-Type is tolerated, JSON variants are accepted", "[http][json]") {
  CHECK(parse_json_object(with_body("{}", std::nullopt)).ok());
  CHECK(parse_json_object(with_body("{}", "application/json; charset=utf-8")).ok());
  CHECK(parse_json_object(with_body("{}", "Application/JSON")).ok());
  CHECK(parse_json_object(with_body("{}", "application/merge-patch+json")).ok());
}

TEST_CASE("another Content-Type is 415", "[http][json]") {
  for (const char* type : {"text/plain", "application/xml", "application/+json", ""}) {
    INFO(type);
    auto parsed = parse_json_object(with_body("{}", type));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().reason == "unsupported_media_type");
    check_problem(parsed.error(), 415, "unsupported-media-type");
  }
}

TEST_CASE("malformed, empty, too deep or non-object bodies are 400", "[http][json]") {
  const std::string deep =
      std::string(json::kMaxDepth + 1, '[') + std::string(json::kMaxDepth + 1, ']');
  for (const std::string& body :
       {std::string("{\"a\":"), std::string(""), std::string("nul"), deep}) {
    INFO(body);
    auto parsed = parse_json_object(with_body(body));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == "malformed_json");
    check_problem(parsed.error(), 400, "malformed-json");
  }
  CHECK(parse_json_object(with_body("")).error().message.find("body is empty") !=
        std::string::npos);
  for (const char* body : {"[1,2]", "\"text\"", "42", "null"}) {
    INFO(body);
    auto parsed = parse_json_object(with_body(body));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().reason == "json_not_object");
    check_problem(parsed.error(), 400, "json-not-object");
  }
}

TEST_CASE("a duplicate key at any depth is 400 duplicate-key", "[http][json]") {
  for (const char* body : {R"({"user_id":"a","user_id":"b","cash":"1"})",
                           R"({"user_id":"a","positions":{"AAPL":1,"AAPL":2}})"}) {
    INFO(body);
    auto parsed = parse_json_object(with_body(body));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().reason == "duplicate_key");
    check_problem(parsed.error(), 400, "duplicate-key");
  }
}

TEST_CASE("field reader errors: shape is 400, an integer beyond int64 is 422", "[http][json]") {
  auto object = json::parse_object(R"({"n":5,"big":18446744073709551615})").value();
  check_problem(json::require_string(object, "absent").error(), 400, "missing-field");
  check_problem(json::require_string(object, "n").error(), 400, "wrong-type");
  check_problem(json::require_int64(object, "big").error(), 422, "number-out-of-range");
}

}  // namespace
}  // namespace bourse::http
