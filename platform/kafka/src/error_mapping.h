// Translates librdkafka error codes into bourse::Error. Private to platform/kafka: this is
// the one place where librdkafka's codes are interpreted.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <string_view>

#include "bourse/common/error.h"

namespace bourse::kafka::detail {

// The bourse::Error for a librdkafka error code. `context` says what was being done
// ("produce to topic x"); the message reads "kafka <context>: <librdkafka text> (<name>)".
// REQUIRES: code != RdKafka::ERR_NO_ERROR.
Error to_error(RdKafka::ErrorCode code, std::string_view context, std::string_view detail = {});

// The broker-level errors that mean "try again later" (connection, leadership,
// coordinator movement, timeouts) rather than a bug or a bad request.
bool is_transient(RdKafka::ErrorCode code) noexcept;

inline Error timeout_error(std::string message) {
  return {ErrorCode::kTimeout, std::move(message), {}};
}

}  // namespace bourse::kafka::detail
