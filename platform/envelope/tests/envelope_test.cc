// Goal: the envelope round-trips through serialize/parse, anything that is not a
// well-formed envelope is kMalformed (never an exception), and decode<E>() refuses another
// event type.
#include "bourse/envelope/envelope.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <vector>

namespace bourse::envelope {
namespace {

constexpr const char* kValid =
    R"({"event_id":"6f1c2a9e-0d6b-4b8e-9c51-2f0b8e3f1a77","event_type":"SampleHappened",)"
    R"("version":1,"occurred_at":"2026-11-24T17:05:39.123456Z","aggregate_type":"order",)"
    R"("aggregate_id":"42","data":{"order_id":42,"symbol":"AAPL"},"extra":true})";

// A minimal contract, to test decode() without any module.
struct Ping {
  static constexpr std::string_view kType = "Ping";
  static constexpr std::int64_t kVersion = 2;
  static constexpr std::string_view kAggregateType = "ping";
  std::int64_t n = 0;
  std::string partition_key() const { return "k"; }
  std::string aggregate_id() const { return std::to_string(n); }
  boost::json::object to_json() const { return {{"n", n}}; }
  static Result<Ping> parse(const boost::json::object& data, std::int64_t version) {
    if (version != kVersion) return unknown_version(kType, version);
    const boost::json::value* n = data.if_contains("n");
    if (n == nullptr || !n->is_int64()) {
      return malformed_event(kType, Error{ErrorCode::kMalformed, "n missing", "missing_field"});
    }
    return Ping{n->get_int64()};
  }
};
static_assert(EventContract<Ping>);

TEST_CASE("a valid envelope is parsed field by field", "[envelope]") {
  auto parsed = parse(kValid);
  REQUIRE(parsed.ok());
  CHECK(parsed->event_id == "6f1c2a9e-0d6b-4b8e-9c51-2f0b8e3f1a77");
  CHECK(parsed->event_type == "SampleHappened");
  CHECK(parsed->version == 1);
  CHECK(parsed->occurred_at == "2026-11-24T17:05:39.123456Z");
  CHECK(parsed->aggregate_type == "order");
  CHECK(parsed->aggregate_id == "42");
  CHECK(parsed->data.at("order_id").as_int64() == 42);
  CHECK(parsed->data.at("symbol").as_string() == "AAPL");
}

TEST_CASE("serialize and parse are inverse", "[envelope]") {
  Envelope envelope{
      "e-1", "Ping", 2, "2026-11-24T17:05:39.000001Z", "ping", "7", boost::json::object{{"n", 7}}};
  auto parsed = parse(serialize(envelope));
  REQUIRE(parsed.ok());
  CHECK(parsed->event_id == envelope.event_id);
  CHECK(parsed->event_type == envelope.event_type);
  CHECK(parsed->version == envelope.version);
  CHECK(parsed->occurred_at == envelope.occurred_at);
  CHECK(parsed->aggregate_type == envelope.aggregate_type);
  CHECK(parsed->aggregate_id == envelope.aggregate_id);
  CHECK(parsed->data == envelope.data);
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
      "{" + id + R"("event_type":"T","version":"1",)" + rest + "}",  // version as text
      "{" + id + R"("event_type":"T","version":0,)" + rest + "}",    // version < 1
      "{" + id + R"("event_type":"T","version":1.5,)" + rest + "}",  // not an integer
      "{" + id + R"("event_type":"T","version":18446744073709551615,)" + rest + "}",  // uint64
      "{" + id + R"("event_type":"","version":1,)" + rest + "}",                      // empty type
      "{" + id + R"("event_type":7,"version":1,)" + rest + "}",           // type not a string
      R"({"event_id":"","event_type":"T","version":1,)" + rest + "}",     // empty id
      R"({"event_id":"a b","event_type":"T","version":1,)" + rest + "}",  // space in id
      "{\"event_id\":\"" + std::string(65, 'x') + R"(","event_type":"T","version":1,)" + rest + "}",
      "{" + id +
          R"("event_type":"T","version":1,"occurred_at":"t","aggregate_type":"a","aggregate_id":"1","data":[]})",
      "{" + id +
          R"("event_type":"T","version":1,"occurred_at":"t","aggregate_type":"a","aggregate_id":1,"data":{}})",
      std::string(kValid).substr(0, 40),                                           // truncated
      "{" + id + R"("event_id":"e2","event_type":"T","version":1,)" + rest + "}",  // a key twice
  };
  for (const auto& value : bad) {
    INFO(value);
    auto parsed = parse(value);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kMalformed);
    CHECK(parsed.error().reason == "malformed_envelope");
  }
}

TEST_CASE("decode returns the typed event, or says why not", "[envelope]") {
  Envelope envelope{"e-1", "Ping", 2, "t", "ping", "7", Ping{7}.to_json()};
  auto ping = decode<Ping>(envelope);
  REQUIRE(ping.ok());
  CHECK(ping->n == 7);

  Envelope other = envelope;
  other.event_type = "Pong";
  REQUIRE_FALSE(decode<Ping>(other).ok());
  CHECK(decode<Ping>(other).error().reason == kWrongEventTypeReason);

  Envelope future = envelope;
  future.version = 3;
  REQUIRE_FALSE(decode<Ping>(future).ok());
  CHECK(decode<Ping>(future).error().reason == kUnknownVersionReason);

  Envelope empty = envelope;
  empty.data = {};
  REQUIRE_FALSE(decode<Ping>(empty).ok());
  CHECK(decode<Ping>(empty).error().reason == kMalformedEventReason);
}

}  // namespace
}  // namespace bourse::envelope
