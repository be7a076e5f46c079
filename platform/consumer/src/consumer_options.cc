#include "bourse/consumer/consumer_options.h"

#include <string>

namespace bourse::consumer {
namespace {

bool valid_group_id(const std::string& group_id) {
  if (group_id.empty() || group_id.size() > kMaxGroupIdLength) return false;
  for (const char c : group_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status validate(const ConsumerOptions& options) {
  if (!valid_group_id(options.group_id)) {
    return Error::invalid("consumer group_id must match [A-Za-z0-9._-]{1,128}");
  }
  if (options.topics.empty()) return Error::invalid("consumer topics must not be empty");
  for (const auto& topic : options.topics) {
    if (topic.empty() || topic.size() > 249) {
      return Error::invalid("consumer topic names must have 1..249 characters");
    }
  }
  if (options.max_batch < 1 || options.max_batch > kMaxBatchMessages) {
    return Error::invalid("consumer max_batch must be in [1, " + std::to_string(kMaxBatchMessages) +
                          "]");
  }
  if (options.batch_wait.count() < 0 || options.batch_wait > kMaxBatchWait) {
    return Error::invalid("consumer batch_wait must be in [0, 1000] ms");
  }
  if (options.max_attempts < 1 || options.max_attempts > kMaxAttempts) {
    return Error::invalid("consumer max_attempts must be in [1, " + std::to_string(kMaxAttempts) +
                          "]");
  }
  if (options.initial_backoff.count() <= 0 || options.initial_backoff > options.max_backoff ||
      options.max_backoff > kMaxBackoff) {
    return Error::invalid(
        "consumer back-off must satisfy 0 < initial_backoff <= max_backoff <= 30000 ms");
  }
  if (options.max_backoff + options.batch_wait > options.max_poll_interval / 2) {
    return Error::invalid(
        "consumer max_backoff + batch_wait must be at most half of max_poll_interval");
  }
  if (options.kafka_commit_hint_interval.count() < 0 ||
      options.kafka_commit_hint_interval > std::chrono::milliseconds(60'000)) {
    return Error::invalid("consumer kafka_commit_hint_interval must be in [0, 60000] ms");
  }
  if (options.stall_timeout < kMinStallTimeout || options.stall_timeout > kMaxStallTimeout) {
    return Error::invalid("consumer stall_timeout must be in [" +
                          std::to_string(kMinStallTimeout.count()) + ", " +
                          std::to_string(kMaxStallTimeout.count()) + "] ms");
  }
  return Status::success();
}

}  // namespace bourse::consumer
