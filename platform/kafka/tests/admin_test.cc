// Goal: Admin rejects bad topic specs locally and reports an unreachable broker as a
// dependency failure within the timeout (what /readyz needs).
#include "bourse/kafka/admin.h"

#include <catch2/catch.hpp>

#include "bourse/common/limits.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::offline_config;

TEST_CASE("invalid topic specs are refused before any request", "[kafka][admin]") {
  auto admin = Admin::create(offline_config());
  REQUIRE(admin.ok());
  const std::vector<std::vector<TopicSpec>> bad = {
      {{"", 1, {}, -1}},
      {{"has space", 1, {}, -1}},
      {{"t", 0, {}, -1}},
      {{"t", limits::kMaxTopicPartitions + 1, {}, -1}},
      {{"t", 1, -5, -1}},
      {{"t", 1, {}, 0}},
      {{"t", 1, {}, -1}, {"t", 2, {}, -1}},
  };
  for (const auto& specs : bad) {
    const Status status = admin.value()->create_topics(specs, 100ms);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(admin.value()->create_topics({}, 100ms).ok());
}

TEST_CASE("ping against a closed port fails as unavailable within the timeout", "[kafka][admin]") {
  auto admin = Admin::create(offline_config());
  REQUIRE(admin.ok());
  const auto start = std::chrono::steady_clock::now();
  const Status status = admin.value()->ping(1'000ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(status.ok());
  CHECK((status.error().code == ErrorCode::kUnavailable ||
         status.error().code == ErrorCode::kTimeout));
  CHECK(elapsed < 2'000ms);

  auto count = admin.value()->partition_count("t", 300ms);
  REQUIRE_FALSE(count.ok());
  CHECK(
      (count.error().code == ErrorCode::kUnavailable || count.error().code == ErrorCode::kTimeout));
}

}  // namespace
}  // namespace bourse::kafka
