// Goal: librdkafka error codes turn into the bourse::Error a caller can act on.
#include "error_mapping.h"

#include <catch2/catch.hpp>

#include "bourse/kafka/errors.h"

namespace bourse::kafka::detail {
namespace {

TEST_CASE("broker trouble is unavailable or timeout", "[kafka][errors]") {
  CHECK(to_error(RdKafka::ERR__TIMED_OUT, "x").code == ErrorCode::kTimeout);
  CHECK(to_error(RdKafka::ERR__MSG_TIMED_OUT, "x").code == ErrorCode::kTimeout);
  CHECK(to_error(RdKafka::ERR__TRANSPORT, "x").code == ErrorCode::kUnavailable);
  CHECK(to_error(RdKafka::ERR__ALL_BROKERS_DOWN, "x").code == ErrorCode::kUnavailable);
  CHECK(to_error(RdKafka::ERR_NOT_COORDINATOR, "x").code == ErrorCode::kUnavailable);
  CHECK(is_transient(RdKafka::ERR__TRANSPORT));
  CHECK_FALSE(is_transient(RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED));
}

TEST_CASE("specific conditions carry a stable reason", "[kafka][errors]") {
  CHECK(to_error(RdKafka::ERR__FATAL, "x").reason == reason::kProducerFatal);
  CHECK(to_error(RdKafka::ERR__QUEUE_FULL, "x").reason == reason::kQueueFull);
  CHECK(to_error(RdKafka::ERR__PURGE_INFLIGHT, "x").reason == reason::kDeliveryUnknown);
  const Error too_large = to_error(RdKafka::ERR_MSG_SIZE_TOO_LARGE, "x");
  CHECK(too_large.code == ErrorCode::kTooLarge);
  CHECK(too_large.reason == reason::kMessageTooLarge);
  CHECK(to_error(RdKafka::ERR_UNKNOWN_TOPIC_OR_PART, "x").code == ErrorCode::kNotFound);
  CHECK(to_error(RdKafka::ERR_INVALID_PARTITIONS, "x").code == ErrorCode::kInvalidArgument);
}

TEST_CASE("the message names the operation and librdkafka's explanation", "[kafka][errors]") {
  const Error error = to_error(RdKafka::ERR__TRANSPORT, "produce to topic t", "Connection refused");
  CHECK(error.message == "kafka produce to topic t: Connection refused (code -195)");
}

}  // namespace
}  // namespace bourse::kafka::detail
