// Goal: held messages come back per partition, whole and in offset order, the partition
// held first first, so that no partition waits behind the others.
#include "bourse/kafka/held_messages.h"

#include <catch2/catch.hpp>

namespace bourse::kafka {
namespace {

Message at(std::int32_t partition, std::int64_t offset) {
  Message message;
  message.topic = "t";
  message.partition = partition;
  message.offset = offset;
  message.value = std::to_string(partition) + ":" + std::to_string(offset);
  return message;
}

std::vector<std::int64_t> offsets(const std::vector<Message>& batch) {
  std::vector<std::int64_t> out;
  for (const Message& message : batch) out.push_back(message.offset);
  return out;
}

const HeldMessages::TimePoint t0{};

const TopicPartition p0{"t", 0};
const TopicPartition p1{"t", 1};
const TopicPartition p2{"t", 2};

TEST_CASE("held messages come back per partition, in offset order, oldest partition first") {
  HeldMessages held;
  CHECK(held.empty());
  CHECK_FALSE(held.oldest().has_value());
  // Interleaved as librdkafka hands them out.
  held.hold(at(1, 10), t0);
  held.hold(at(0, 5), t0);
  held.hold(at(1, 11), t0);
  held.hold(at(2, 7), t0);
  held.hold(at(0, 6), t0);
  CHECK(held.size() == 5);
  CHECK(held.holds(p0));
  CHECK(held.holds(p2));
  CHECK(held.by_age() == std::vector<TopicPartition>{p1, p0, p2});

  REQUIRE(held.oldest() == p1);  // its first message was held first
  CHECK(held.front_offset(p1) == 10);
  std::vector<Message> batch;
  held.take(p1, 10, batch);
  CHECK(offsets(batch) == std::vector<std::int64_t>{10, 11});
  CHECK_FALSE(held.holds(p1));
  CHECK(held.size() == 3);

  REQUIRE(held.oldest() == p0);
  batch.clear();
  held.take(p0, 10, batch);
  CHECK(offsets(batch) == std::vector<std::int64_t>{5, 6});
  CHECK(batch.front().value == "0:5");
  REQUIRE(held.oldest() == p2);
  CHECK(held.by_age() == std::vector<TopicPartition>{p2});
  held.take(p2, 10, batch);
  CHECK(held.by_age().empty());
}

TEST_CASE("take stops at the batch limit and keeps the rest held") {
  HeldMessages held;
  for (std::int64_t offset = 0; offset < 5; ++offset) held.hold(at(0, offset), t0);
  std::vector<Message> batch;
  held.take(p0, 3, batch);
  CHECK(offsets(batch) == std::vector<std::int64_t>{0, 1, 2});
  CHECK(held.size() == 2);
  CHECK(held.front_offset(p0) == 3);
  held.take(p0, 3, batch);  // the batch is full already
  CHECK(batch.size() == 3);
  batch.clear();
  held.take(p0, 3, batch);
  CHECK(offsets(batch) == std::vector<std::int64_t>{3, 4});
  CHECK(held.empty());
  held.take(p0, 3, batch);  // nothing held: no change
  CHECK(batch.size() == 2);
}

TEST_CASE("a partition's front message tells when it was held") {
  HeldMessages held;
  held.hold(at(0, 1), t0 + std::chrono::milliseconds(5));
  held.hold(at(1, 1), t0 + std::chrono::milliseconds(7));
  held.hold(at(0, 2), t0 + std::chrono::milliseconds(9));
  CHECK(held.front_held_at(p0) == t0 + std::chrono::milliseconds(5));
  CHECK(held.front_held_at(p1) == t0 + std::chrono::milliseconds(7));
  std::vector<Message> batch;
  held.take(p0, 1, batch);
  CHECK(held.front_held_at(p0) == t0 + std::chrono::milliseconds(9));
}

TEST_CASE("drop forgets one partition, clear forgets all") {
  HeldMessages held;
  held.hold(at(0, 1), t0);
  held.hold(at(1, 1), t0);
  held.hold(at(0, 2), t0);
  held.drop(p0);
  CHECK(held.size() == 1);
  CHECK_FALSE(held.holds(p0));
  CHECK(held.oldest() == p1);
  held.drop(p2);  // holds nothing: no change
  CHECK(held.size() == 1);
  // After a drop (a seek) the partition may start again from a lower offset.
  held.hold(at(0, 1), t0);
  CHECK(held.size() == 2);
  held.clear();
  CHECK(held.empty());
  CHECK_FALSE(held.oldest().has_value());
}

}  // namespace
}  // namespace bourse::kafka
