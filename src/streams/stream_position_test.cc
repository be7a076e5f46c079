// The stream id codec: what encode writes decode reads back, and nothing else is accepted.
#include <catch2/catch.hpp>
#include <limits>

#include "streams/stream_position.h"

using bourse::ErrorCode;
using bourse::streams::decode_position;
using bourse::streams::encode_position;
using bourse::streams::max_position;
using bourse::streams::StreamPosition;

TEST_CASE("a position round-trips through its text", "[streams][unit]") {
  for (const StreamPosition& position :
       {StreamPosition{0}, StreamPosition{12, 0, 7, 33},
        StreamPosition{std::numeric_limits<std::int64_t>::max(), 1}}) {
    const std::string text = encode_position(position);
    auto decoded = decode_position(text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == position);
  }
  CHECK(encode_position({12, 0, 7, 33}) == "v1.12.0.7.33");
}

TEST_CASE("a malformed id is refused as invalid_last_event_id", "[streams][unit]") {
  for (const char* text : {"", "v1.", "v1", "12.0", "v2.1", "v1.1..2", "v1.1.", "v1.-1", "v1.+1",
                           "v1.01", "v1.1a", "v1.99999999999999999999", "v1. 1", "V1.1"}) {
    INFO(text);
    auto decoded = decode_position(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kMalformed);
    CHECK(decoded.error().reason == "invalid_last_event_id");
  }
}

TEST_CASE("more partitions than a topic may have are refused", "[streams][unit]") {
  std::string text = "v1.0";
  for (int i = 0; i < bourse::limits::kMaxTopicPartitions; ++i) text += ".0";
  CHECK_FALSE(decode_position(text).ok());
  StreamPosition most(static_cast<std::size_t>(bourse::limits::kMaxTopicPartitions), 5);
  CHECK(decode_position(encode_position(most)).ok());
}

TEST_CASE("max_position is the component-wise maximum", "[streams][unit]") {
  CHECK(max_position({1, 5, 3}, {2, 4, 3}) == StreamPosition{2, 5, 3});
}
