// Goal: parse_envelope accepts exactly the outbox's wire format and turns anything else
// into kMalformed (a poison message), never an exception.
#include "bourse/consumer/envelope.h"

#include <catch2/catch.hpp>

namespace bourse::consumer {
namespace {

constexpr const char* kValid =
    R"({"event_id":"6f1c2a9e-0d6b-4b8e-9c51-2f0b8e3f1a77","event_type":"OrderCreated",)"
    R"("version":1,"occurred_at":"2026-11-24T17:05:39.123456Z","aggregate_type":"order",)"
    R"("aggregate_id":"42","data":{"order_id":42,"symbol":"AAPL"},"extra":true})";

TEST_CASE("a valid envelope is parsed field by field", "[envelope]") {
  auto parsed = parse_envelope(kValid);
  REQUIRE(parsed.ok());
  CHECK(parsed->event_id == "6f1c2a9e-0d6b-4b8e-9c51-2f0b8e3f1a77");
  CHECK(parsed->event_type == "OrderCreated");
  CHECK(parsed->version == 1);
  CHECK(parsed->occurred_at == "2026-11-24T17:05:39.123456Z");
  CHECK(parsed->aggregate_type == "order");
  CHECK(parsed->aggregate_id == "42");
  CHECK(parsed->data.at("order_id").as_int64() == 42);
  CHECK(parsed->data.at("symbol").as_string() == "AAPL");
}

TEST_CASE("anything but a well-formed envelope is kMalformed", "[envelope]") {
  const std::string id = R"("event_id":"e1",)";
  const std::string rest = R"("occurred_at":"t","aggregate_type":"a","aggregate_id":"1","data":{})";
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[1,2]",
      "{}",
      R"({"event_id":"e1"})",
      "{" + id + R"("event_type":"T","version":"1",)" + rest + "}",       // version as text
      "{" + id + R"("event_type":"T","version":0,)" + rest + "}",         // version < 1
      "{" + id + R"("event_type":"T","version":1.5,)" + rest + "}",       // not an integer
      "{" + id + R"("event_type":"","version":1,)" + rest + "}",          // empty type
      "{" + id + R"("event_type":7,"version":1,)" + rest + "}",           // type not a string
      R"({"event_id":"","event_type":"T","version":1,)" + rest + "}",     // empty id
      R"({"event_id":"a b","event_type":"T","version":1,)" + rest + "}",  // space in id
      "{\"event_id\":\"" + std::string(65, 'x') + R"(","event_type":"T","version":1,)" + rest + "}",
      "{" + id +
          R"("event_type":"T","version":1,"occurred_at":"t","aggregate_type":"a","aggregate_id":"1","data":[]})",
      "{" + id +
          R"("event_type":"T","version":1,"occurred_at":"t","aggregate_type":"a","aggregate_id":1,"data":{}})",
      std::string(kValid).substr(0, 40),  // truncated
  };
  for (const auto& value : bad) {
    INFO(value);
    auto parsed = parse_envelope(value);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("the smallest valid envelope has every required field", "[envelope]") {
  auto parsed = parse_envelope(
      R"({"event_id":"e1","event_type":"T","version":3,"occurred_at":"t","aggregate_type":"a","aggregate_id":"1","data":{}})");
  REQUIRE(parsed.ok());
  CHECK(parsed->version == 3);
  CHECK(parsed->data.empty());
}

}  // namespace
}  // namespace bourse::consumer
