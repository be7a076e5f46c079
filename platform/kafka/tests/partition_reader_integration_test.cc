// Goal: against the real broker, the group-less reader finds a topic's partitions, the
// offsets of a point in time (and the end), and reads exactly the assigned partitions from
// the assigned offsets, in order, without joining a group.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>

#include "bourse/kafka/admin.h"
#include "bourse/kafka/partition_reader.h"
#include "bourse/kafka/producer.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::broker_config;
using testing::unique_name;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("a partition reader reads the assigned partitions from the offsets of a time",
          "[kafka][reader][integration]") {
  const std::string topic = unique_name("reader");
  {
    auto admin = Admin::create(broker_config("reader-test-admin"));
    REQUIRE(admin.ok());
    REQUIRE(admin.value()->create_topics({{topic, 2, {}, -1}}, 10s).ok());
  }
  const std::int64_t before = wall_ms() - 60'000;
  {
    auto producer = Producer::create(broker_config("reader-test-producer"));
    REQUIRE(producer.ok());
    for (int i = 0; i < 3; ++i) {
      for (int p = 0; p < 2; ++p) {
        auto sent = producer.value()->produce_sync(
            {topic, "k", "p" + std::to_string(p) + "-" + std::to_string(i), {}, p});
        REQUIRE(sent.ok());
      }
    }
  }

  auto reader = PartitionReader::create(broker_config(unique_name("reader-test")));
  REQUIRE(reader.ok());
  auto count = reader.value()->partition_count(topic, 10s);
  REQUIRE(count.ok());
  CHECK(*count == 2);
  auto missing = reader.value()->partition_count(unique_name("no-such-topic"), 10s);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);

  auto from_before = reader.value()->offsets_for_time(topic, 2, before, 10s);
  REQUIRE(from_before.ok());
  CHECK(*from_before == std::vector<std::int64_t>{0, 0});
  auto from_future = reader.value()->offsets_for_time(topic, 2, wall_ms() + 3'600'000, 10s);
  REQUIRE(from_future.ok());
  CHECK(*from_future == std::vector<std::int64_t>{3, 3});  // nothing that late: the end

  REQUIRE(reader.value()->assign({{topic, 0, 1}, {topic, 1, 0}}).ok());
  std::map<int, std::vector<std::string>> values;
  int received = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (received < 5 && std::chrono::steady_clock::now() < deadline) {
    auto polled = reader.value()->poll(200ms);
    REQUIRE(polled.ok());
    if (!*polled) continue;
    values[(*polled)->partition].push_back((*polled)->value);
    ++received;
  }
  CHECK(values[0] == std::vector<std::string>{"p0-1", "p0-2"});
  CHECK(values[1] == std::vector<std::string>{"p1-0", "p1-1", "p1-2"});
  auto nothing_more = reader.value()->poll(500ms);
  REQUIRE(nothing_more.ok());
  CHECK_FALSE(nothing_more->has_value());
  reader.value()->close();
  CHECK_FALSE(reader.value()->poll(10ms).ok());
}

}  // namespace bourse::kafka
