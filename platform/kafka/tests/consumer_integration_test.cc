// Goal: against the real broker, a consumer starts every partition exactly where the
// application's database says (never where Kafka thinks), delivers what the producer
// sent, re-reads from an offset on request, and shares partitions with its group.
#include <librdkafka/rdkafkacpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "bourse/kafka/admin.h"
#include "bourse/kafka/consumer.h"
#include "bourse/kafka/errors.h"
#include "bourse/kafka/producer.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::broker_config;
using testing::unique_name;

std::string create_topic(const std::string& prefix, int partitions) {
  const std::string topic = unique_name(prefix);
  auto admin = Admin::create(broker_config("consumer-test-admin"));
  REQUIRE(admin.ok());
  const Status status = admin.value()->create_topics({{topic, partitions, {}, -1}}, 10s);
  INFO((status.ok() ? "" : status.error().message));
  REQUIRE(status.ok());
  return topic;
}

ConsumerOptions test_options(const std::string& group, const std::string& topic) {
  ConsumerOptions options;
  options.group_id = group;
  options.topics = {topic};
  options.session_timeout = 6s;
  options.heartbeat_interval = 300ms;  // rebalances are noticed quickly
  options.max_poll_interval = 10s;
  return options;
}

// The database stand-in: next offsets stored "with the effects".
using OffsetStore = std::map<TopicPartition, std::int64_t>;

// Starts each partition at the stored offset and records the rebalances it sees.
class StoredOffsetListener final : public AssignmentListener {
 public:
  explicit StoredOffsetListener(OffsetStore& store) : store_(store) {}

  Result<std::vector<TopicPartitionOffset>> on_assigned(
      const std::vector<TopicPartition>& partitions) override {
    assigned.push_back(partitions);
    if (fail_next) return Error::unavailable("database down");
    std::vector<TopicPartitionOffset> starts;
    for (const auto& p : partitions) {
      const auto it = store_.find(p);
      starts.push_back(
          {p.topic, p.partition,
           it == store_.end() ? std::nullopt : std::optional<std::int64_t>(it->second)});
    }
    return starts;
  }
  void on_revoked(const std::vector<TopicPartition>& partitions) override {
    revoked.push_back(partitions);
  }

  std::vector<std::vector<TopicPartition>> assigned;
  std::vector<std::vector<TopicPartition>> revoked;
  bool fail_next = false;

 private:
  OffsetStore& store_;
};

void produce_to_partitions(const std::string& topic, int partitions, int per_partition) {
  auto producer = Producer::create(broker_config("consumer-test-producer"));
  REQUIRE(producer.ok());
  int failures = 0;
  for (int i = 0; i < per_partition; ++i) {
    for (int p = 0; p < partitions; ++p) {
      REQUIRE(producer.value()
                  ->produce({topic,
                             "k" + std::to_string(p),
                             "p" + std::to_string(p) + "-" + std::to_string(i),
                             {},
                             p},
                            [&](Result<DeliveryReport> r) { failures += r.ok() ? 0 : 1; })
                  .ok());
    }
  }
  REQUIRE(producer.value()->flush(20s).ok());
  REQUIRE(failures == 0);
}

// Polls until `done()` or the deadline; every message goes to `on_message`.
template <typename Done, typename OnMessage>
void poll_until(Consumer& consumer, std::chrono::milliseconds limit, Done done,
                OnMessage on_message) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    auto polled = consumer.poll(100ms);
    REQUIRE(polled.ok());
    if (polled->has_value()) on_message(**polled);
  }
  REQUIRE(done());
}

// What Kafka has committed for `group` (OFFSET_INVALID where nothing), read with a raw
// librdkafka client that does not join the group.
std::vector<std::int64_t> kafka_committed_offsets(const std::string& group,
                                                  const std::string& topic, int partitions) {
  std::string error_text;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  REQUIRE(conf->set("bootstrap.servers", bourse::testing::kafka_brokers(), error_text) ==
          RdKafka::Conf::CONF_OK);
  REQUIRE(conf->set("group.id", group, error_text) == RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::KafkaConsumer> inspector(
      RdKafka::KafkaConsumer::create(conf.get(), error_text));
  REQUIRE(inspector);
  std::vector<std::unique_ptr<RdKafka::TopicPartition>> owned;
  std::vector<RdKafka::TopicPartition*> raw;
  for (int p = 0; p < partitions; ++p) {
    owned.emplace_back(RdKafka::TopicPartition::create(topic, p));
    raw.push_back(owned.back().get());
  }
  REQUIRE(inspector->committed(raw, 10'000) == RdKafka::ERR_NO_ERROR);
  std::vector<std::int64_t> offsets;
  for (const RdKafka::TopicPartition* partition : raw) offsets.push_back(partition->offset());
  inspector->close();
  return offsets;
}

TEST_CASE("a consumed message carries the producer's key, value, headers and position",
          "[kafka][consumer][integration]") {
  const std::string topic = create_topic("consumer-roundtrip", 3);
  auto producer = Producer::create(broker_config("consumer-test-producer"));
  REQUIRE(producer.ok());
  std::map<std::string, DeliveryReport> sent;  // by value
  for (int i = 0; i < 6; ++i) {
    const std::string value = "{\"n\":" + std::to_string(i) + "}";
    auto report =
        producer.value()->produce_sync({topic,
                                        "SYM" + std::to_string(i % 2),
                                        value,
                                        {{std::string(kHeaderEventType), "TestEvent"},
                                         {std::string(kHeaderEventId), "evt-" + std::to_string(i)}},
                                        {}});
    REQUIRE(report.ok());
    sent.emplace(value, *report);
  }

  OffsetStore store;
  StoredOffsetListener listener(store);
  auto consumer = Consumer::create(broker_config("consumer-test"),
                                   test_options(unique_name("g"), topic), listener);
  REQUIRE(consumer.ok());
  std::vector<Message> received;
  poll_until(
      *consumer.value(), 20s, [&] { return received.size() == sent.size(); },
      [&](const Message& m) { received.push_back(m); });

  for (const Message& m : received) {
    INFO(m.value);
    const auto it = sent.find(m.value);
    REQUIRE(it != sent.end());
    CHECK(m.topic == topic);
    CHECK(m.partition == it->second.partition);
    CHECK(m.offset == it->second.offset);
    const int n = m.value[5] - '0';
    CHECK(m.key == "SYM" + std::to_string(n % 2));
    CHECK(m.header(kHeaderEventType) == std::optional<std::string_view>("TestEvent"));
    CHECK(m.header(kHeaderEventId) == std::optional<std::string_view>("evt-" + std::to_string(n)));
    CHECK(m.timestamp_ms > 0);
  }
  CHECK(consumer.value()->close().ok());
  REQUIRE(listener.revoked.size() == 1);  // close() revoked what the group had assigned
}

TEST_CASE("a new group member resumes exactly at the offsets stored with the effects, not Kafka's",
          "[kafka][consumer][integration]") {
  constexpr int kPartitions = 4;
  constexpr int kPerPartition = 10;
  constexpr int kTotal = kPartitions * kPerPartition;
  const std::string topic = create_topic("consumer-resume", kPartitions);
  produce_to_partitions(topic, kPartitions, kPerPartition);
  const std::string group = unique_name("g-resume");

  OffsetStore store;  // survives both consumers, like the database
  std::set<std::pair<std::int32_t, std::int64_t>> processed;
  auto process = [&](const Message& m) {
    // One "transaction": the effect and the next offset together.
    REQUIRE(processed.insert({m.partition, m.offset}).second);  // never processed twice
    store[{m.topic, m.partition}] = m.offset + 1;
  };

  {
    StoredOffsetListener first_listener(store);
    auto first = Consumer::create(broker_config("consumer-test-a"), test_options(group, topic),
                                  first_listener);
    REQUIRE(first.ok());
    poll_until(
        *first.value(), 20s, [&] { return processed.size() == 15; }, process);
    REQUIRE(first.value()->close().ok());  // commits nothing
    CHECK(first_listener.revoked.size() == 1);
  }
  const OffsetStore at_handover = store;
  REQUIRE(processed.size() == 15);

  StoredOffsetListener second_listener(store);
  auto second = Consumer::create(broker_config("consumer-test-b"), test_options(group, topic),
                                 second_listener);
  REQUIRE(second.ok());
  std::map<std::int32_t, std::int64_t> first_offset_seen;
  poll_until(
      *second.value(), 20s, [&] { return processed.size() == kTotal; },
      [&](const Message& m) {
        first_offset_seen.try_emplace(m.partition, m.offset);
        process(m);
      });
  REQUIRE(second_listener.assigned.size() == 1);
  CHECK(second_listener.assigned.front().size() == kPartitions);
  for (int p = 0; p < kPartitions; ++p) {
    const auto stored = at_handover.find({topic, p});
    const std::int64_t expected = stored == at_handover.end() ? 0 : stored->second;
    if (expected == kPerPartition) {
      CHECK(first_offset_seen.count(p) == 0);  // nothing left to read there
    } else {
      INFO("partition " << p);
      CHECK(first_offset_seen.at(p) == expected);
    }
  }
  REQUIRE(second.value()->close().ok());

  // Kafka holds no committed offset for the group: the resume came from the "database".
  for (const std::int64_t committed : kafka_committed_offsets(group, topic, kPartitions)) {
    CHECK(committed == RdKafka::Topic::OFFSET_INVALID);
  }
}

TEST_CASE("seek re-delivers a partition from the given offset", "[kafka][consumer][integration]") {
  const std::string topic = create_topic("consumer-seek", 1);
  produce_to_partitions(topic, 1, 5);
  OffsetStore store;
  StoredOffsetListener listener(store);
  const std::string group = unique_name("g-seek");
  auto consumer =
      Consumer::create(broker_config("consumer-test"), test_options(group, topic), listener);
  REQUIRE(consumer.ok());
  std::vector<std::int64_t> offsets;
  auto record = [&](const Message& m) { offsets.push_back(m.offset); };
  poll_until(
      *consumer.value(), 20s, [&] { return offsets.size() == 5; }, record);
  CHECK(offsets == std::vector<std::int64_t>{0, 1, 2, 3, 4});

  // The batch from offset 2 "failed": retry it.
  REQUIRE(consumer.value()->seek({topic, 0}, 2).ok());
  poll_until(
      *consumer.value(), 10s, [&] { return offsets.size() == 8; }, record);
  CHECK(offsets == std::vector<std::int64_t>{0, 1, 2, 3, 4, 2, 3, 4});
  CHECK(consumer.value()->seek({topic, 7}, 0).error().code == ErrorCode::kInvalidArgument);

  // The optional hint to Kafka lands where asked.
  REQUIRE(consumer.value()->commit({{topic, 0, 5}}).ok());
  CHECK(kafka_committed_offsets(group, topic, 1) == std::vector<std::int64_t>{5});
}

TEST_CASE("watermarks are cached from the fetches and can be asked from the broker",
          "[kafka][consumer][integration]") {
  const std::string topic = create_topic("consumer-watermarks", 2);
  auto producer = Producer::create(broker_config("consumer-test-producer"));
  REQUIRE(producer.ok());
  auto produce = [&](int count) {
    for (int i = 0; i < count; ++i) {
      REQUIRE(producer.value()->produce_sync({topic, "k", "v" + std::to_string(i), {}, 0}).ok());
    }
  };
  produce(5);  // partition 0 only; partition 1 stays empty
  OffsetStore store;
  StoredOffsetListener listener(store);
  auto consumer = Consumer::create(broker_config("consumer-test"),
                                   test_options(unique_name("g-wm"), topic), listener);
  REQUIRE(consumer.ok());
  CHECK_FALSE(consumer.value()->cached_watermarks({topic, 0})->has_value());  // nothing fetched

  int received = 0;
  auto count = [&](const Message&) { ++received; };
  poll_until(
      *consumer.value(), 20s, [&] { return received == 5; }, count);
  CHECK(consumer.value()->cached_watermarks({topic, 0}).value() == Watermarks{0, 5});
  CHECK(consumer.value()->query_watermarks({topic, 0}, 5s).value() == Watermarks{0, 5});
  CHECK(consumer.value()->query_watermarks({topic, 1}, 5s).value() == Watermarks{0, 0});
  CHECK_FALSE(consumer.value()->query_watermarks({topic, 7}, 2s).ok());  // no such partition

  produce(3);
  poll_until(
      *consumer.value(), 20s, [&] { return received == 8; }, count);
  CHECK(consumer.value()->cached_watermarks({topic, 0}).value() == Watermarks{0, 8});
  CHECK(consumer.value()->close().ok());
}

TEST_CASE("two members split the partitions and a rebalance revokes before it assigns",
          "[kafka][consumer][integration]") {
  constexpr int kPartitions = 4;
  const std::string topic = create_topic("consumer-split", kPartitions);
  const std::string group = unique_name("g-split");
  OffsetStore store;
  StoredOffsetListener listener_a(store);
  StoredOffsetListener listener_b(store);
  auto ignore = [](const Message&) {};

  auto a =
      Consumer::create(broker_config("consumer-test-a"), test_options(group, topic), listener_a);
  REQUIRE(a.ok());
  poll_until(
      *a.value(), 15s, [&] { return a.value()->assignment().size() == kPartitions; }, ignore);

  // Nothing consumed yet from an assigned partition: its start belongs to on_assigned.
  CHECK(a.value()->seek({topic, 0}, 0).error().code == ErrorCode::kInvalidArgument);

  auto b =
      Consumer::create(broker_config("consumer-test-b"), test_options(group, topic), listener_b);
  REQUIRE(b.ok());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!(a.value()->assignment().size() == 2 && b.value()->assignment().size() == 2) &&
         std::chrono::steady_clock::now() < deadline) {
    REQUIRE(a.value()->poll(50ms).ok());
    REQUIRE(b.value()->poll(50ms).ok());
  }
  REQUIRE(a.value()->assignment().size() == 2);
  REQUIRE(b.value()->assignment().size() == 2);
  std::set<TopicPartition> all(a.value()->assignment().begin(), a.value()->assignment().end());
  all.insert(b.value()->assignment().begin(), b.value()->assignment().end());
  CHECK(all.size() == kPartitions);  // disjoint and complete

  // Eager protocol: A gave up all four, then got two back.
  REQUIRE(listener_a.revoked.size() >= 1);
  CHECK(listener_a.revoked.front().size() == kPartitions);
  CHECK(listener_a.assigned.back().size() == 2);

  // B leaves: its partitions are revoked from it and A takes everything again.
  REQUIRE(b.value()->close().ok());
  CHECK(listener_b.revoked.back().size() == 2);
  poll_until(
      *a.value(), 20s, [&] { return a.value()->assignment().size() == kPartitions; }, ignore);
  CHECK(listener_a.assigned.back().size() == kPartitions);
  CHECK(a.value()->close().ok());
}

TEST_CASE("a listener that cannot read its offsets fails the consumer instead of guessing",
          "[kafka][consumer][integration]") {
  const std::string topic = create_topic("consumer-fail", 2);
  OffsetStore store;
  StoredOffsetListener listener(store);
  listener.fail_next = true;
  auto consumer = Consumer::create(broker_config("consumer-test"),
                                   test_options(unique_name("g-fail"), topic), listener);
  REQUIRE(consumer.ok());
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  Result<std::optional<Message>> polled = std::optional<Message>();
  while (polled.ok() && std::chrono::steady_clock::now() < deadline)
    polled = consumer.value()->poll(100ms);
  REQUIRE_FALSE(polled.ok());
  CHECK(polled.error().reason == reason::kAssignmentFailed);
  CHECK(consumer.value()->failed());
  CHECK(consumer.value()->assignment().empty());
  CHECK(consumer.value()->close().ok());
}

}  // namespace
}  // namespace bourse::kafka
