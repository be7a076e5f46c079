// Topic administration and broker health: create the topics a module needs at start-up,
// and answer "is Kafka reachable" for /readyz.
//
// create_topics() is idempotent and safe to run from every instance at every start:
// a topic that already exists is success, provided it has at least the configured
// number of partitions. A topic with FEWER partitions is a kConflict (reason
// kPartitionCountMismatch) and is NOT grown automatically: adding partitions remaps
// keys (murmur2(key) % partitions), which would break per-symbol ordering and move
// symbols away from the shards whose offsets and books are stored in the database.
// Growing a topic is an operator migration. A topic with MORE partitions is accepted
// (every producer sees the same count, so keys still map consistently). The existing
// topic's configuration (retention, ...) is never altered.
//
// Threads: all member functions are thread-safe and may run concurrently; each blocks
// for at most its timeout (plus a small scheduling margin).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/kafka/config.h"

namespace bourse::kafka {

struct TopicSpec {
  std::string name;    // [A-Za-z0-9._-]{1,249}
  int partitions = 1;  // [1, limits::kMaxTopicPartitions]
  // retention.ms for a new topic. std::nullopt: the broker's default; -1: keep forever.
  std::optional<std::int64_t> retention_ms;
  // Replicas per partition for a new topic; -1: the broker's default.replication.factor.
  int replication_factor = -1;
};

class Admin {
 public:
  // Does not contact the broker. kInvalidArgument for a bad config.
  static Result<std::unique_ptr<Admin>> create(const KafkaConfig& config);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Creates the missing topics (max.message.bytes sized for limits::kMaxKafkaMessageBytes),
  // then waits until the cluster metadata shows every topic with at least its configured
  // partition count and a leader for each partition. Errors: kInvalidArgument (a bad
  // spec, or the broker refused one), kConflict (kPartitionCountMismatch),
  // kTimeout/kUnavailable (broker trouble, or leaders not elected within `timeout`).
  Status create_topics(const std::vector<TopicSpec>& topics, std::chrono::milliseconds timeout);

  // One metadata round trip to any broker. kTimeout or kUnavailable if none answers in
  // `timeout`.
  Status ping(std::chrono::milliseconds timeout);

  // The topic's current partition count. kNotFound if it does not exist.
  Result<int> partition_count(const std::string& topic, std::chrono::milliseconds timeout);

  // The topic's effective retention.ms (a DescribeConfigs round trip): -1 means "keep
  // forever". For start-up checks such as "the log outlives the snapshot interval".
  // kNotFound if the topic does not exist; kTimeout/kUnavailable on broker trouble.
  Result<std::int64_t> topic_retention_ms(const std::string& topic,
                                          std::chrono::milliseconds timeout);

  // The names of the cluster's topics that start with `prefix`, sorted (internal topics
  // such as __consumer_offsets included if they match).
  Result<std::vector<std::string>> list_topics(const std::string& prefix,
                                               std::chrono::milliseconds timeout);

  // The ids of the consumer groups the brokers know that start with `prefix`, sorted
  // (empty groups that still have committed offsets included).
  Result<std::vector<std::string>> list_consumer_groups(const std::string& prefix,
                                                        std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit Admin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::kafka
