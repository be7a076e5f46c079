// Goal: a consumer cannot be configured into committing offsets behind the database's
// back, and bad options are errors, not surprises at run time.
#include "bourse/kafka/consumer.h"

#include <catch2/catch.hpp>

#include "bourse/kafka/errors.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::offline_config;

class NoStoredOffsets final : public AssignmentListener {
 public:
  Result<std::vector<TopicPartitionOffset>> on_assigned(
      const std::vector<TopicPartition>& partitions) override {
    std::vector<TopicPartitionOffset> starts;
    for (const auto& p : partitions) starts.push_back({p.topic, p.partition, std::nullopt});
    return starts;
  }
  void on_revoked(const std::vector<TopicPartition>&) override {}
};

ConsumerOptions valid_options() {
  ConsumerOptions options;
  options.group_id = "g";
  options.topics = {"t"};
  return options;
}

TEST_CASE("consumer options are checked", "[kafka][consumer]") {
  NoStoredOffsets listener;
  ConsumerOptions no_group = valid_options();
  no_group.group_id.clear();
  CHECK(Consumer::create(offline_config(), no_group, listener).error().code ==
        ErrorCode::kInvalidArgument);

  ConsumerOptions no_topics = valid_options();
  no_topics.topics.clear();
  CHECK(Consumer::create(offline_config(), no_topics, listener).error().code ==
        ErrorCode::kInvalidArgument);

  ConsumerOptions short_session = valid_options();
  short_session.session_timeout = 1s;
  CHECK_FALSE(Consumer::create(offline_config(), short_session, listener).ok());

  ConsumerOptions slow_heartbeat = valid_options();
  slow_heartbeat.heartbeat_interval = slow_heartbeat.session_timeout;
  CHECK_FALSE(Consumer::create(offline_config(), slow_heartbeat, listener).ok());

  ConsumerOptions poll_shorter_than_session = valid_options();
  poll_shorter_than_session.max_poll_interval = poll_shorter_than_session.session_timeout - 1ms;
  CHECK_FALSE(Consumer::create(offline_config(), poll_shorter_than_session, listener).ok());
}

TEST_CASE("auto-commit and other enforced properties cannot be overridden", "[kafka][consumer]") {
  NoStoredOffsets listener;
  for (const char* property : {"enable.auto.commit", "enable.auto.offset.store", "isolation.level",
                               "partition.assignment.strategy", "group.id"}) {
    KafkaConfig config = offline_config();
    config.properties[property] = "x";
    auto consumer = Consumer::create(config, valid_options(), listener);
    REQUIRE_FALSE(consumer.ok());
    CHECK(consumer.error().reason == reason::kPropertyConflict);
  }
}

TEST_CASE("a consumer without a broker polls empty, then closes cleanly", "[kafka][consumer]") {
  NoStoredOffsets listener;
  auto consumer = Consumer::create(offline_config(), valid_options(), listener);
  REQUIRE(consumer.ok());
  auto polled = consumer.value()->poll(100ms);
  // Either nothing yet or a transient broker error: never an exception.
  if (polled.ok()) {
    CHECK_FALSE(polled->has_value());
  } else {
    CHECK((polled.error().code == ErrorCode::kUnavailable ||
           polled.error().code == ErrorCode::kTimeout));
  }
  CHECK(consumer.value()->seek({"t", 0}, 5).error().code == ErrorCode::kInvalidArgument);
  // Nothing fetched: no cached watermarks; asking the (absent) broker times out.
  auto cached = consumer.value()->cached_watermarks({"t", 0});
  REQUIRE(cached.ok());
  CHECK_FALSE(cached->has_value());
  auto queried = consumer.value()->query_watermarks({"t", 0}, 200ms);
  REQUIRE_FALSE(queried.ok());
  CHECK((queried.error().code == ErrorCode::kTimeout ||
         queried.error().code == ErrorCode::kUnavailable));
  CHECK(consumer.value()->close().ok());
  CHECK(consumer.value()->poll(1ms).error().reason == reason::kClosed);
  CHECK(consumer.value()->cached_watermarks({"t", 0}).error().reason == reason::kClosed);
  CHECK(consumer.value()->query_watermarks({"t", 0}, 1ms).error().reason == reason::kClosed);
  CHECK(consumer.value()->close().ok());  // idempotent
}

}  // namespace
}  // namespace bourse::kafka
