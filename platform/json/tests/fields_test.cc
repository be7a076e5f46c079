// Goal: prove parse_object accepts exactly one JSON object and rejects malformed, too deep,
// non-object and duplicate-key input with its documented reason, and that every field
// reader tells missing, null, wrong-type and out-of-range fields apart, naming the field.
#include "bourse/json/fields.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace bourse::json {
namespace {

void check_error(const Error& error, ErrorCode code, const std::string& reason,
                 const std::string& named = {}) {
  CHECK(error.code == code);
  CHECK(error.reason == reason);
  if (!named.empty()) CHECK(error.message.find("'" + named + "'") != std::string::npos);
}

boost::json::object parse(std::string_view text) {
  auto parsed = parse_object(text);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

TEST_CASE("one JSON object parses, with whitespace around it", "[json]") {
  auto object =
      parse(" \n{\"user_id\":\"alice\",\"quantity\":10,\"o\":{\"a\":[1,{\"b\":null}]}}\t");
  CHECK(object.at("user_id").as_string() == "alice");
  CHECK(object.at("quantity").as_int64() == 10);
  CHECK(object.at("o").at("a").as_array().size() == 2);
  CHECK(parse("{}").empty());
}

TEST_CASE("long keys and strings are kept whole", "[json]") {
  const std::string key(5'000, 'k');
  const std::string value(70'000, 'v');
  auto object = parse("{\"" + key + "\":\"" + value + "\",\"x\":\"a\\u00e9\"}");
  CHECK(object.at(key).as_string() == value);
  CHECK(object.at("x").as_string() == "a\xc3\xa9");
}

TEST_CASE("empty, invalid or trailing input is malformed_json", "[json]") {
  for (const std::string text : {"", " ", "{\"a\":", "nul", "{\"a\":1,}", "{} {}", "{}x", "{/*c*/}",
                                 "{\"a\":\"\xff\"}", "{'a':1}"}) {
    INFO(text);
    auto parsed = parse_object(text);
    REQUIRE_FALSE(parsed.ok());
    check_error(parsed.error(), ErrorCode::kMalformed, "malformed_json");
  }
}

TEST_CASE("nesting deeper than max_depth is malformed_json", "[json]") {
  auto nested = [](std::size_t depth) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += "{\"a\":";
    text += "1";
    for (std::size_t i = 0; i < depth; ++i) text += "}";
    return text;
  };
  CHECK(parse_object(nested(kMaxDepth)).ok());
  auto too_deep = parse_object(nested(kMaxDepth + 1));
  REQUIRE_FALSE(too_deep.ok());
  check_error(too_deep.error(), ErrorCode::kMalformed, "malformed_json");
  const std::string arrays =
      "{\"a\":" + std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']') + "}";
  CHECK(parse_object(arrays).error().reason == "malformed_json");

  CHECK(parse_object(nested(2), 2).ok());
  CHECK(parse_object(nested(3), 2).error().reason == "malformed_json");
}

TEST_CASE("valid JSON that is not an object is json_not_object", "[json]") {
  for (const char* text : {"[1,2]", "\"text\"", "42", "null", "true", "[]"}) {
    INFO(text);
    auto parsed = parse_object(text);
    REQUIRE_FALSE(parsed.ok());
    check_error(parsed.error(), ErrorCode::kMalformed, "json_not_object");
  }
}

TEST_CASE("a key twice in any object is duplicate_key naming the key", "[json]") {
  struct Case {
    const char* text;
    const char* key;
  };
  for (const Case& c :
       {Case{R"({"a":1,"a":1})", "a"},
        Case{R"({"user_id":"a","user_id":"b","cash":"1"})", "user_id"},
        Case{R"({"a":1,"b":2,"a":null})", "a"}, Case{R"({"p":{"AAPL":1,"AAPL":2}})", "AAPL"},
        Case{R"({"x":[1,{"k":true,"k":false}]})", "k"},
        Case{R"({"o":{"a":{"deep":1,"deep":2}}})", "deep"}, Case{R"({"\u0061":1,"a":2})", "a"},
        Case{R"([{"a":1,"a":2}])", "a"}}) {
    INFO(c.text);
    auto parsed = parse_object(c.text);
    REQUIRE_FALSE(parsed.ok());
    check_error(parsed.error(), ErrorCode::kMalformed, "duplicate_key", c.key);
  }
}

TEST_CASE("equal keys in different objects are not duplicates", "[json]") {
  auto object = parse(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":3},{"a":4}],"d":{"x":{"a":5}}})");
  CHECK(object.at("b").at("a").as_int64() == 2);
  CHECK(object.at("c").as_array()[1].at("a").as_int64() == 4);
  // Siblings after a closed nested object still see the outer object's keys.
  CHECK(parse_object(R"({"a":{"b":1},"b":2})").ok());
  CHECK(parse_object(R"({"a":{"b":1},"a":2})").error().reason == "duplicate_key");
}

TEST_CASE("a long duplicate key is shortened in the message", "[json]") {
  const std::string key(1'000, 'k');
  auto parsed = parse_object("{\"" + key + "\":1,\"" + key + "\":2}");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().reason == "duplicate_key");
  CHECK(parsed.error().message.size() < 200);
}

TEST_CASE("keys read in parts (escapes, longer than the parser's buffer) compare whole", "[json]") {
  const std::string tail(10'000, 'k');
  // The escape makes the parser deliver the first key in several parts.
  CHECK(parse_object("{\"\\u0061" + tail + "\":1,\"a" + tail + "\":2}").error().reason ==
        "duplicate_key");
  auto distinct = parse_object("{\"\\u0061" + tail + "\":1,\"a" + tail + "x\":2}");
  REQUIRE(distinct.ok());
  CHECK(distinct->size() == 2);
  CHECK(distinct->at("a" + tail).as_int64() == 1);
}

TEST_CASE("required readers: value, missing, null and wrong type", "[json]") {
  auto object =
      parse(R"({"s":"x","n":5,"neg":-7,"b":false,"o":{"k":1},"d":1.5,"f":10.0,"z":null})");
  CHECK(require_string(object, "s").value() == "x");
  CHECK(require_int64(object, "n").value() == 5);
  CHECK(require_int64(object, "neg").value() == -7);
  CHECK(require_bool(object, "b").value() == false);
  CHECK(require_object(object, "o").value()->at("k").as_int64() == 1);

  for (const char* field : {"absent", "z"}) {
    INFO(field);
    check_error(require_string(object, field).error(), ErrorCode::kMalformed, "missing_field",
                field);
    check_error(require_int64(object, field).error(), ErrorCode::kMalformed, "missing_field",
                field);
    check_error(require_bool(object, field).error(), ErrorCode::kMalformed, "missing_field", field);
    check_error(require_object(object, field).error(), ErrorCode::kMalformed, "missing_field",
                field);
  }

  check_error(require_string(object, "n").error(), ErrorCode::kMalformed, "wrong_type", "n");
  check_error(require_string(object, "o").error(), ErrorCode::kMalformed, "wrong_type", "o");
  check_error(require_int64(object, "s").error(), ErrorCode::kMalformed, "wrong_type", "s");
  check_error(require_int64(object, "d").error(), ErrorCode::kMalformed, "wrong_type", "d");
  check_error(require_int64(object, "f").error(), ErrorCode::kMalformed, "wrong_type", "f");
  check_error(require_int64(object, "b").error(), ErrorCode::kMalformed, "wrong_type", "b");
  check_error(require_bool(object, "n").error(), ErrorCode::kMalformed, "wrong_type", "n");
  check_error(require_bool(object, "s").error(), ErrorCode::kMalformed, "wrong_type", "s");
  check_error(require_object(object, "s").error(), ErrorCode::kMalformed, "wrong_type", "s");
}

TEST_CASE("optional readers: value, absent or null is empty, wrong type", "[json]") {
  auto object = parse(R"({"s":"x","n":5,"b":true,"o":{},"z":null,"a":[]})");
  CHECK(optional_string(object, "s").value() == std::optional<std::string>("x"));
  CHECK(optional_int64(object, "n").value() == std::optional<std::int64_t>(5));
  CHECK(optional_bool(object, "b").value() == std::optional<bool>(true));
  CHECK(optional_object(object, "o").value() == &object.at("o").as_object());

  for (const char* field : {"absent", "z"}) {
    INFO(field);
    CHECK(optional_string(object, field).value() == std::nullopt);
    CHECK(optional_int64(object, field).value() == std::nullopt);
    CHECK(optional_bool(object, field).value() == std::nullopt);
    CHECK(optional_object(object, field).value() == nullptr);
  }

  check_error(optional_string(object, "a").error(), ErrorCode::kMalformed, "wrong_type", "a");
  check_error(optional_int64(object, "s").error(), ErrorCode::kMalformed, "wrong_type", "s");
  check_error(optional_bool(object, "n").error(), ErrorCode::kMalformed, "wrong_type", "n");
  check_error(optional_object(object, "a").error(), ErrorCode::kMalformed, "wrong_type", "a");
}

TEST_CASE("integers: int64 range, uint64 above it is number_out_of_range", "[json]") {
  auto object =
      parse(R"({"max":9223372036854775807,"min":-9223372036854775808,"above":9223372036854775808,)"
            R"("top":18446744073709551615,"beyond":18446744073709551616})");
  CHECK(require_int64(object, "max").value() == INT64_MAX);
  CHECK(require_int64(object, "min").value() == INT64_MIN);
  CHECK(optional_int64(object, "max").value() == std::optional<std::int64_t>(INT64_MAX));
  for (const char* field : {"above", "top"}) {
    INFO(field);
    check_error(require_int64(object, field).error(), ErrorCode::kOutOfRange, "number_out_of_range",
                field);
    check_error(optional_int64(object, field).error(), ErrorCode::kOutOfRange,
                "number_out_of_range", field);
  }
  // Past uint64 Boost.JSON reads a double: not an integer.
  check_error(require_int64(object, "beyond").error(), ErrorCode::kMalformed, "wrong_type",
              "beyond");
}

}  // namespace
}  // namespace bourse::json
