// Where a Kafka partition's log ends, and which partition a key goes to: what the saga
// scheduler compares a stage's stored position with to tell "behind" from "done".
//
// LogEnds is an interface so that the scheduler's core can be driven in tests; the real
// one (make_kafka_log_ends) asks the broker (ListOffsets, metadata) on every call.
// Thread-safety: a LogEnds is owned by one thread (the scheduler's). Blocking.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "bourse/kafka/config.h"

namespace bourse::scheduler {

// Longest wait of one broker question (the scheduler's tick blocks on it).
inline constexpr std::chrono::milliseconds kLogEndQueryTimeout{2'000};

class LogEnds {
 public:
  virtual ~LogEnds() = default;
  // The high watermark (the offset the next record will get) of topic/partition.
  // Errors: kUnavailable/kTimeout (broker trouble), kNotFound.
  virtual Result<std::int64_t> high_watermark(const std::string& topic, std::int32_t partition) = 0;
  // The topic's partition count (cached by implementations: it only grows).
  virtual Result<int> partition_count(const std::string& topic) = 0;
};

// The real one. `probe_group` names the idle Kafka consumer handle used for ListOffsets
// (it never polls, so it never joins that group). Connects lazily, on first use.
Result<std::unique_ptr<LogEnds>> make_kafka_log_ends(kafka::KafkaConfig config,
                                                     std::string probe_group);

// Kafka's murmur2 partitioner (the Java client's default and librdkafka's
// "murmur2_random" for non-empty keys, which Bourse's producers use): the partition
// `key` is produced to. REQUIRES: partitions > 0, !key.empty().
std::int32_t partition_for_key(std::string_view key, int partitions) noexcept;
// The raw 32-bit murmur2 hash (seed 0x9747b28c), as Kafka's Utils.murmur2.
std::int32_t murmur2(std::string_view data) noexcept;

}  // namespace bourse::scheduler
