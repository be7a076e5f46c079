// Goal: the saga scheduler finds the partition an order's events went to with the same
// function as the producers (Kafka's murmur2 partitioner), so a stage's lag is read on the
// right partition. The hashes are the reference values of Kafka's own tests
// (org.apache.kafka.common.utils.UtilsTest.testMurmur2).
#include <catch2/catch.hpp>

#include "bourse/scheduler/log_ends.h"
#include "bourse/scheduler/saga_scheduler.h"

using bourse::scheduler::murmur2;
using bourse::scheduler::partition_for_key;

TEST_CASE("murmur2 matches Kafka's reference hashes", "[saga][unit]") {
  CHECK(murmur2("21") == -973932308);
  CHECK(murmur2("foobar") == -790332482);
  CHECK(murmur2("a-little-bit-long-string") == -985981536);
  CHECK(murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(murmur2("abc") == 479470107);
}

TEST_CASE("a key's partition is the positive hash modulo the partition count", "[saga][unit]") {
  CHECK(partition_for_key("foobar", 8) == ((-790332482 & 0x7fffffff) % 8));
  for (int partitions = 1; partitions <= 16; ++partitions) {
    const auto p = partition_for_key("AAPL", partitions);
    CHECK(p >= 0);
    CHECK(p < partitions);
  }
}

TEST_CASE("scheduler options: every limit is enforced", "[saga][unit]") {
  bourse::scheduler::SagaSchedulerOptions options;
  options.database = "db";
  options.order_events_topic = "o";
  options.matching_events_topic = "m";
  options.account_events_topic = "a";
  options.matching_group = "g1";
  options.settlement_group = "g2";
  options.order_status_group = "g3";
  options.order_status_account_group = "g4";
  CHECK(validate(options).ok());
  auto bad = options;
  bad.interval = std::chrono::milliseconds(1);
  CHECK_FALSE(validate(bad).ok());
  bad = options;
  bad.saga_timeout = bourse::scheduler::kMaxSagaTimeout + std::chrono::milliseconds(1);
  CHECK_FALSE(validate(bad).ok());
  bad = options;
  bad.processed_events_retention = std::chrono::hours(0);
  CHECK_FALSE(validate(bad).ok());
  bad = options;
  bad.snapshots_kept = 1;
  CHECK_FALSE(validate(bad).ok());
  bad = options;
  bad.settlement_group.clear();
  CHECK_FALSE(validate(bad).ok());
}
