// Goal: prove request bodies are parsed into JSON objects with 400/415/422 errors that
// name the offending field, per the decisions in json_body.h.
#include "http/json_body.h"

#include <catch2/catch.hpp>

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
  auto parsed = parse_json_object(with_body("{}", "text/plain"));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().reason == "unsupported_media_type");
  CHECK(problem_from_error(parsed.error()).status == 415);
}

TEST_CASE("malformed, empty, too deep or non-object bodies are 400", "[http][json]") {
  const std::string deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  for (const std::string& body :
       {std::string("{\"a\":"), std::string(""), std::string("nul"), deep}) {
    INFO(body);
    auto parsed = parse_json_object(with_body(body));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == "malformed_json");
    const Response response = problem_from_error(parsed.error());
    CHECK(response.status == 400);
    CHECK(response.body.find("https://bourse.dev/problems/malformed-json") != std::string::npos);
  }
  for (const char* body : {"[1,2]", "\"text\"", "42", "null"}) {
    INFO(body);
    auto parsed = parse_json_object(with_body(body));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().reason == "json_not_object");
    CHECK(problem_from_error(parsed.error()).status == 400);
  }
}

TEST_CASE("required fields: missing and wrong type are 400 naming the field", "[http][json]") {
  auto object = parse_json_object(R"({"s":"x","n":5,"b":true,"o":{},"d":1.5,"z":null})").value();
  CHECK(require_string(object, "s").value() == "x");
  CHECK(require_int64(object, "n").value() == 5);
  CHECK(require_bool(object, "b").value() == true);
  CHECK(require_object(object, "o").value()->empty());

  auto missing = require_string(object, "price");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kMalformed);
  CHECK(missing.error().reason == "missing_field");
  CHECK(missing.error().message.find("'price'") != std::string::npos);
  CHECK(require_string(object, "z").error().reason == "missing_field");  // null is missing

  auto wrong = require_string(object, "n");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().reason == "wrong_type");
  CHECK(wrong.error().message.find("'n'") != std::string::npos);
  CHECK(problem_from_error(wrong.error()).status == 400);
  CHECK(require_int64(object, "d").error().reason == "wrong_type");  // 1.5 is not an integer
  CHECK(require_int64(object, "s").error().reason == "wrong_type");
  CHECK(require_bool(object, "s").error().reason == "wrong_type");
  CHECK(require_object(object, "s").error().reason == "wrong_type");
}

TEST_CASE("optional fields: absent or null is nullopt, wrong type is 400", "[http][json]") {
  auto object = parse_json_object(R"({"s":"x","n":5,"z":null})").value();
  CHECK(optional_string(object, "s").value() == std::optional<std::string>("x"));
  CHECK(optional_string(object, "absent").value() == std::nullopt);
  CHECK(optional_string(object, "z").value() == std::nullopt);
  CHECK(optional_int64(object, "n").value() == std::optional<std::int64_t>(5));
  CHECK(optional_int64(object, "absent").value() == std::nullopt);
  CHECK(optional_bool(object, "absent").value() == std::nullopt);
  CHECK(optional_object(object, "absent").value() == nullptr);
  CHECK(optional_int64(object, "s").error().reason == "wrong_type");
}

TEST_CASE("an integer beyond int64 is 422 out of range", "[http][json]") {
  auto object =
      parse_json_object(R"({"big":18446744073709551615,"max":9223372036854775807})").value();
  CHECK(require_int64(object, "max").value() == INT64_MAX);
  auto big = require_int64(object, "big");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == ErrorCode::kOutOfRange);
  CHECK(problem_from_error(big.error()).status == 422);
}

}  // namespace
}  // namespace bourse::http
