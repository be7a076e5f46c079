// Goal: against the real broker, the idempotent producer reports where each message
// landed, keeps every key on one partition (the Java client's murmur2 choice), and
// delivers a message right at the size limit.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bourse/kafka/admin.h"
#include "bourse/kafka/producer.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::broker_config;
using testing::unique_name;

std::string create_topic(const std::string& prefix, int partitions) {
  const std::string topic = unique_name(prefix);
  auto admin = Admin::create(broker_config("producer-test-admin"));
  REQUIRE(admin.ok());
  const Status status = admin.value()->create_topics({{topic, partitions, {}, -1}}, 10s);
  INFO((status.ok() ? "" : status.error().message));
  REQUIRE(status.ok());
  return topic;
}

// The Java client's default partitioner for keyed records:
// (murmur2(key) & 0x7fffffff) % partitions, murmur2 with seed 0x9747b28c.
std::int32_t java_partition(const std::string& key, std::int32_t partitions) {
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::uint32_t length = static_cast<std::uint32_t>(key.size());
  const std::uint32_t m = 0x5bd1e995;
  std::uint32_t h = 0x9747b28c ^ length;
  for (std::uint32_t i = 0; i + 4 <= length; i += 4) {
    std::uint32_t k =
        data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (std::uint32_t(data[i + 3]) << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::uint32_t tail = length & ~3u;
  switch (length % 4) {
    case 3:
      h ^= std::uint32_t(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= std::uint32_t(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>((h & 0x7fffffff) % static_cast<std::uint32_t>(partitions));
}

TEST_CASE("delivery reports carry the partition and consecutive offsets",
          "[kafka][producer][integration]") {
  const std::string topic = create_topic("producer-offsets", 3);
  auto producer = Producer::create(broker_config("producer-test"));
  REQUIRE(producer.ok());
  CHECK(producer.value()->config_value("enable.idempotence").value() == "true");
  for (std::int64_t expected_offset = 0; expected_offset < 3; ++expected_offset) {
    auto report =
        producer.value()->produce_sync({topic, "k", "v" + std::to_string(expected_offset), {}, 2});
    INFO((report.ok() ? "" : report.error().message));
    REQUIRE(report.ok());
    CHECK(report->topic == topic);
    CHECK(report->partition == 2);
    CHECK(report->offset == expected_offset);
  }
  CHECK(producer.value()->flush(5s).ok());
  CHECK_FALSE(producer.value()->fatal());
}

TEST_CASE("one key always lands on one partition, the one Java clients pick",
          "[kafka][producer][integration]") {
  constexpr int kPartitions = 8;
  const std::string topic = create_topic("producer-keys", kPartitions);
  ProducerOptions options;
  options.linger = 10ms;
  auto producer = Producer::create(broker_config("producer-test"), options);
  REQUIRE(producer.ok());

  std::mutex mutex;
  std::map<std::string, std::set<std::int32_t>> partitions_by_key;
  int failures = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "SYM" + std::to_string(i % 10);
    REQUIRE(producer.value()
                ->produce(topic, key, "event " + std::to_string(i),
                          [&, key](Result<DeliveryReport> r) {
                            std::lock_guard lock(mutex);
                            if (r.ok()) {
                              partitions_by_key[key].insert(r->partition);
                            } else {
                              ++failures;
                            }
                          })
                .ok());
  }
  REQUIRE(producer.value()->flush(20s).ok());
  std::lock_guard lock(mutex);
  CHECK(failures == 0);
  REQUIRE(partitions_by_key.size() == 10);
  std::set<std::int32_t> used;
  for (const auto& [key, partitions] : partitions_by_key) {
    INFO(key);
    REQUIRE(partitions.size() == 1);
    CHECK(*partitions.begin() == java_partition(key, kPartitions));
    used.insert(*partitions.begin());
  }
  CHECK(used.size() > 1);  // keys are spread, not all on one partition
}

TEST_CASE("a message exactly at the size limit is delivered", "[kafka][producer][integration]") {
  const std::string topic = create_topic("producer-large", 1);
  auto producer = Producer::create(broker_config("producer-test"));
  REQUIRE(producer.ok());
  const std::string key = "big";
  OutgoingMessage message{topic,
                          key,
                          std::string(limits::kMaxKafkaMessageBytes - key.size() - 8 - 10, 'x'),
                          {{"event_id", "0123456789"}},
                          {}};
  REQUIRE(message.key.size() + message.value.size() + 8 + 10 == limits::kMaxKafkaMessageBytes);
  auto report = producer.value()->produce_sync(message);
  INFO((report.ok() ? "" : report.error().message));
  CHECK(report.ok());
}

TEST_CASE("send_now sends a queued batch without waiting for linger.ms",
          "[kafka][producer][integration]") {
  const std::string topic = create_topic("producer-send-now", 1);
  ProducerOptions options;
  options.linger = 1000ms;  // the longest allowed: a message waits a second unless sent now
  auto producer = Producer::create(broker_config("producer-test"), options);
  REQUIRE(producer.ok());
  // Connection, metadata and the idempotent producer id first (this one lingers).
  REQUIRE(producer.value()->produce_sync({topic, "k", "warm-up", {}, 0}).ok());

  for (int i = 0; i < 3; ++i) {
    REQUIRE(producer.value()->produce(topic, "k", "v" + std::to_string(i), [](auto) {}).ok());
  }
  // Control: lingering, nothing is reported after a fifth of linger.ms.
  std::this_thread::sleep_for(200ms);
  CHECK(producer.value()->outstanding() == 3);
  producer.value()->send_now();
  // Without send_now the reports would come at ~1,000 ms; this ends at ~700 at the latest.
  CHECK(producer.value()->flush(500ms).ok());
  CHECK(producer.value()->outstanding() == 0);
}

}  // namespace
}  // namespace bourse::kafka
