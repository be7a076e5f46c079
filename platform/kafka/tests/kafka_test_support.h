// Helpers shared by the Kafka adapter tests: unique names, configs, a quiet log sink.
#pragma once

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "bourse/kafka/config.h"
#include "bourse/kafka/log_sink.h"
#include "stack_env.h"
#include "unique_name.h"

namespace bourse::kafka::testing {

// "bourse-test-<prefix>-<unique suffix>": unique across test runs and concurrent test
// processes (unique_name.h).
inline std::string unique_name(const std::string& prefix) {
  return "bourse-test-" + prefix + "-" + bourse::testing::unique_suffix();
}

// Collects records; forwards warnings and errors to stderr so a failing test shows them.
class RecordingSink {
 public:
  LogSink sink() {
    return [this](const LogRecord& record) {
      {
        std::lock_guard lock(mutex_);
        records_.push_back(record);
      }
      if (record.level == LogLevel::kError || record.level == LogLevel::kWarning) stderr_(record);
    };
  }
  std::vector<LogRecord> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<LogRecord> records_;
  LogSink stderr_ = stderr_json_sink();
};

// Records go to stderr only from warning up: the tests' output stays readable.
inline LogSink quiet_sink() {
  return [stderr_sink = stderr_json_sink()](const LogRecord& record) {
    if (record.level == LogLevel::kError || record.level == LogLevel::kWarning) stderr_sink(record);
  };
}

// An address where nothing listens (port 1 is reserved and closed on test machines).
inline constexpr const char* kClosedBroker = "127.0.0.1:1";

inline KafkaConfig offline_config(const std::string& client = "bourse-test") {
  // Connection-refused errors are expected here: keep them out of the output.
  return KafkaConfig{kClosedBroker, client, {}, [](const LogRecord&) {}};
}

// The local stack's broker; throws (failing the test) if the stack is not up.
inline KafkaConfig broker_config(const std::string& client = "bourse-test") {
  return KafkaConfig{bourse::testing::kafka_brokers(), client, {}, quiet_sink()};
}

}  // namespace bourse::kafka::testing
