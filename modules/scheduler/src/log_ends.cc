// The real LogEnds (Kafka) and the murmur2 partitioner.
#include "bourse/scheduler/log_ends.h"

#include <map>
#include <utility>

#include "bourse/kafka/admin.h"
#include "bourse/kafka/consumer.h"

namespace bourse::scheduler {
namespace {

// The probe handle never polls: nothing is ever assigned to it.
class NoAssignments final : public kafka::AssignmentListener {
 public:
  Result<std::vector<kafka::TopicPartitionOffset>> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override {
    std::vector<kafka::TopicPartitionOffset> start;
    for (const auto& p : partitions) start.push_back({p.topic, p.partition, std::nullopt});
    return start;
  }
  void on_revoked(const std::vector<kafka::TopicPartition>&) override {}
};

class KafkaLogEnds final : public LogEnds {
 public:
  KafkaLogEnds(kafka::KafkaConfig config, std::string probe_group)
      : config_(std::move(config)), probe_group_(std::move(probe_group)) {}

  Result<std::int64_t> high_watermark(const std::string& topic, std::int32_t partition) override {
    if (Status ready = ensure_consumer(topic); !ready) return ready.error();
    auto marks = consumer_->query_watermarks({topic, partition}, kLogEndQueryTimeout);
    if (!marks) return marks.error();
    return marks->high;
  }

  Result<int> partition_count(const std::string& topic) override {
    if (auto it = partitions_.find(topic); it != partitions_.end()) return it->second;
    if (!admin_) {
      auto admin = kafka::Admin::create(config_);
      if (!admin) return admin.error();
      admin_ = std::move(*admin);
    }
    auto count = admin_->partition_count(topic, kLogEndQueryTimeout);
    if (!count) return count.error();
    partitions_[topic] = *count;
    return *count;
  }

 private:
  Status ensure_consumer(const std::string& topic) {
    if (consumer_) return Status::success();
    kafka::ConsumerOptions options;
    options.group_id = probe_group_;
    options.topics = {topic};
    auto consumer = kafka::Consumer::create(config_, options, listener_);
    if (!consumer) return consumer.error();
    consumer_ = std::move(*consumer);
    return Status::success();
  }

  kafka::KafkaConfig config_;
  std::string probe_group_;
  NoAssignments listener_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::unique_ptr<kafka::Admin> admin_;
  std::map<std::string, int> partitions_;
};

}  // namespace

Result<std::unique_ptr<LogEnds>> make_kafka_log_ends(kafka::KafkaConfig config,
                                                     std::string probe_group) {
  if (config.brokers.empty() || probe_group.empty()) {
    return Error::invalid("log ends need brokers and a probe group", "invalid_log_ends");
  }
  return std::unique_ptr<LogEnds>(new KafkaLogEnds(std::move(config), std::move(probe_group)));
}

std::int32_t murmur2(std::string_view data) noexcept {
  constexpr std::uint32_t seed = 0x9747b28c;
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto length = static_cast<std::uint32_t>(data.size());
  std::uint32_t h = seed ^ length;
  const std::size_t blocks = data.size() / 4;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])); };
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::size_t j = i * 4;
    std::uint32_t k = byte(j) | (byte(j + 1) << 8) | (byte(j + 2) << 16) | (byte(j + 3) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = blocks * 4;
  switch (data.size() % 4) {
    case 3:
      h ^= byte(tail + 2) << 16;
      [[fallthrough]];
    case 2:
      h ^= byte(tail + 1) << 8;
      [[fallthrough]];
    case 1:
      h ^= byte(tail);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t partition_for_key(std::string_view key, int partitions) noexcept {
  const auto positive = static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffU;
  return static_cast<std::int32_t>(positive % static_cast<std::uint32_t>(partitions));
}

}  // namespace bourse::scheduler
