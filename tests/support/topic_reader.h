// Reads every message of a Kafka topic from the beginning, for assertions in tests.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bourse/kafka/consumer.h"
#include "stack_env.h"
#include "unique_name.h"

namespace bourse::testing {

class FromBeginning final : public kafka::AssignmentListener {
 public:
  Result<std::vector<kafka::TopicPartitionOffset>> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override {
    std::vector<kafka::TopicPartitionOffset> offsets;
    for (const auto& p : partitions) offsets.push_back({p.topic, p.partition, std::nullopt});
    return offsets;
  }
  void on_revoked(const std::vector<kafka::TopicPartition>&) override {}
};

// Reads `topic` from the beginning until no message arrives for `quiet` (after at least
// `min_messages`) or `timeout` passes.
inline std::vector<kafka::Message> read_topic(const std::string& topic, std::size_t min_messages,
                                              std::chrono::milliseconds timeout,
                                              std::chrono::milliseconds quiet = std::chrono::milliseconds(1'500)) {
  FromBeginning listener;
  kafka::KafkaConfig config;
  config.brokers = kafka_brokers();
  config.client_id = "test-reader";
  kafka::ConsumerOptions options;
  options.group_id = "reader-" + unique_suffix();
  options.topics = {topic};
  auto consumer = kafka::Consumer::create(config, options, listener);
  if (!consumer) throw std::runtime_error("reader: " + consumer.error().message);
  std::vector<kafka::Message> messages;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto last_message = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    auto polled = (*consumer)->poll(std::chrono::milliseconds(200));
    if (polled && polled->has_value()) {
      messages.push_back(std::move(**polled));
      last_message = std::chrono::steady_clock::now();
      continue;
    }
    if (messages.size() >= min_messages && std::chrono::steady_clock::now() - last_message > quiet) break;
  }
  (void)(*consumer)->close();
  return messages;
}

}  // namespace bourse::testing
