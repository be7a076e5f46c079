// Goal: create_topics is idempotent against the real broker, leaves topics ready to use,
// and refuses to paper over a partition-count mismatch; ping answers for /readyz.
#include <catch2/catch.hpp>
#include <thread>

#include "bourse/kafka/admin.h"
#include "bourse/kafka/errors.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::broker_config;
using testing::unique_name;

TEST_CASE("create_topics is idempotent and yields the configured partition counts",
          "[kafka][admin][integration]") {
  auto admin = Admin::create(broker_config("admin-test"));
  REQUIRE(admin.ok());
  const std::string eight = unique_name("admin-eight");
  const std::string three = unique_name("admin-three");
  const std::vector<TopicSpec> specs = {{eight, 8, 3'600'000, -1}, {three, 3, {}, 1}};

  const Status first = admin.value()->create_topics(specs, 10s);
  INFO((first.ok() ? "" : first.error().message));
  REQUIRE(first.ok());
  const Status second = admin.value()->create_topics(specs, 10s);
  INFO((second.ok() ? "" : second.error().message));
  REQUIRE(second.ok());

  CHECK(admin.value()->partition_count(eight, 5s).value() == 8);
  CHECK(admin.value()->partition_count(three, 5s).value() == 3);
}

TEST_CASE("an existing topic with fewer partitions than configured is a conflict",
          "[kafka][admin][integration]") {
  auto admin = Admin::create(broker_config("admin-test"));
  REQUIRE(admin.ok());
  const std::string topic = unique_name("admin-grow");
  REQUIRE(admin.value()->create_topics({{topic, 4, {}, -1}}, 10s).ok());

  // Asking for fewer is fine (the topic already has more).
  CHECK(admin.value()->create_topics({{topic, 2, {}, -1}}, 10s).ok());

  const Status more = admin.value()->create_topics({{topic, 8, {}, -1}}, 10s);
  REQUIRE_FALSE(more.ok());
  CHECK(more.error().code == ErrorCode::kConflict);
  CHECK(more.error().reason == reason::kPartitionCountMismatch);
  CHECK(admin.value()->partition_count(topic, 5s).value() == 4);  // not grown
}

TEST_CASE("instances starting together may all create the same topics",
          "[kafka][admin][integration]") {
  const std::string topic = unique_name("admin-race");
  std::vector<Status> results(3);
  std::vector<std::thread> instances;
  for (std::size_t i = 0; i < results.size(); ++i) {
    instances.emplace_back([&, i] {
      auto admin = Admin::create(broker_config("admin-test-" + std::to_string(i)));
      results[i] =
          admin.ok() ? admin.value()->create_topics({{topic, 6, {}, -1}}, 10s) : admin.error();
    });
  }
  for (auto& instance : instances) instance.join();
  for (const Status& status : results) {
    INFO((status.ok() ? "" : status.error().message));
    CHECK(status.ok());
  }
}

TEST_CASE("partition_count of a missing topic is not found", "[kafka][admin][integration]") {
  auto admin = Admin::create(broker_config("admin-test"));
  REQUIRE(admin.ok());
  auto count = admin.value()->partition_count(unique_name("admin-missing"), 5s);
  REQUIRE_FALSE(count.ok());
  CHECK(count.error().code == ErrorCode::kNotFound);
}

TEST_CASE("list_topics and list_consumer_groups name exactly what exists under a prefix",
          "[kafka][admin][integration]") {
  auto admin = Admin::create(broker_config("admin-test"));
  REQUIRE(admin.ok());
  const std::string prefix = unique_name("admin-list") + ".";
  CHECK(admin.value()->list_topics(prefix, 5s).value().empty());
  REQUIRE(admin.value()->create_topics({{prefix + "b", 1, {}, 1}, {prefix + "a", 2, {}, 1}}, 10s).ok());
  CHECK(admin.value()->list_topics(prefix, 5s).value() ==
        std::vector<std::string>{prefix + "a", prefix + "b"});
  CHECK(admin.value()->list_consumer_groups(prefix, 5s).value().empty());
}

TEST_CASE("ping succeeds against the running broker", "[kafka][admin][integration]") {
  auto admin = Admin::create(broker_config("admin-test"));
  REQUIRE(admin.ok());
  const Status status = admin.value()->ping(5s);
  INFO((status.ok() ? "" : status.error().message));
  CHECK(status.ok());
}

}  // namespace
}  // namespace bourse::kafka
