// Messages polled but not yet put into a batch, kept per partition in offset order for
// a later batch: what did not fit a full batch, the first message of a new assignment,
// and the messages of a partition that must wait for a batch of its own.
//
// Why: librdkafka's poll() interleaves the partitions a consumer is assigned, and a
// consumer's batch may take only part of what it polled. A polled message must never be
// lost while its partition is assigned (the fetch position is already past it).
// (Until 2 Dec 2026 a batch was one partition's messages, and these were the other
// partitions' messages polled while it was gathered.)
//
// Contract:
//   - hold() keeps a message, with the time it was polled, at the back of its
//     partition's queue. A partition's
//     messages must arrive in strictly increasing offset order (asserted): that is how
//     a consumer delivers them between two seeks.
//   - oldest() names the partition whose oldest held message was held first, so no
//     partition waits behind others indefinitely (arrival order across partitions);
//     by_age() lists every partition in that order.
//   - take() moves a partition's oldest messages into a batch, in offset order.
//   - front_held_at() tells how long a partition's oldest message has waited: a batch
//     that starts with held messages gathers more only until that time + its wait, so
//     a message waits about one batch wait however many partitions are busy.
//   - drop(tp) forgets a partition's messages (it is being sought: they will be fetched
//     again); clear() forgets everything (rebalance, consumer closed).
//   - The buffer itself is unbounded: the caller bounds it by checking size() before
//     polling more (e.g. at most a few batches' worth).
//
// Plain data, no librdkafka; not synchronised (one consumer thread owns it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "bourse/kafka/message.h"

namespace bourse::kafka {

class HeldMessages {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // REQUIRES: `message.offset` above every held offset of its partition.
  void hold(Message message, TimePoint held_at);

  // The partition whose oldest held message was held first; nullopt when empty.
  std::optional<TopicPartition> oldest() const;

  // Every partition that holds messages, the one whose oldest message was held first
  // first (the order in which a batch of several partitions takes them).
  std::vector<TopicPartition> by_age() const;

  // The offset of `tp`'s oldest held message. REQUIRES: holds(tp).
  std::int64_t front_offset(const TopicPartition& tp) const;
  // When `tp`'s oldest held message was held. REQUIRES: holds(tp).
  TimePoint front_held_at(const TopicPartition& tp) const;

  // Moves `tp`'s oldest held messages into `batch` until batch.size() == limit or none is
  // left. REQUIRES: batch is empty or ends with a message of `tp` below the first taken.
  void take(const TopicPartition& tp, std::size_t limit, std::vector<Message>& batch);

  bool holds(const TopicPartition& tp) const { return queues_.count(tp) != 0; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void drop(const TopicPartition& tp);
  void clear();

 private:
  struct Held {
    std::uint64_t sequence = 0;  // arrival order across partitions
    TimePoint held_at;
    Message message;
  };
  // Invariant: no queue is empty; size_ is the sum of the queues' sizes.
  std::map<TopicPartition, std::deque<Held>> queues_;
  std::size_t size_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace bourse::kafka
