#include "bourse/kafka/held_messages.h"

#include <algorithm>
#include <utility>

#include "bourse/common/assert.h"

namespace bourse::kafka {

void HeldMessages::hold(Message message, TimePoint held_at) {
  std::deque<Held>& queue = queues_[TopicPartition{message.topic, message.partition}];
  BOURSE_ASSERT(queue.empty() || message.offset > queue.back().message.offset,
                "a partition's messages arrive in offset order");
  queue.push_back(Held{next_sequence_++, held_at, std::move(message)});
  ++size_;
}

std::optional<TopicPartition> HeldMessages::oldest() const {
  std::optional<TopicPartition> oldest;
  std::uint64_t sequence = 0;
  for (const auto& [tp, queue] : queues_) {
    if (!oldest || queue.front().sequence < sequence) {
      oldest = tp;
      sequence = queue.front().sequence;
    }
  }
  return oldest;
}

std::vector<TopicPartition> HeldMessages::by_age() const {
  std::vector<std::pair<std::uint64_t, TopicPartition>> fronts;
  fronts.reserve(queues_.size());
  for (const auto& [tp, queue] : queues_) fronts.emplace_back(queue.front().sequence, tp);
  std::sort(fronts.begin(), fronts.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TopicPartition> partitions;
  partitions.reserve(fronts.size());
  for (auto& [sequence, tp] : fronts) partitions.push_back(std::move(tp));
  return partitions;
}

std::int64_t HeldMessages::front_offset(const TopicPartition& tp) const {
  const auto it = queues_.find(tp);
  BOURSE_ASSERT(it != queues_.end(), "front_offset of a partition that holds messages");
  return it->second.front().message.offset;
}

HeldMessages::TimePoint HeldMessages::front_held_at(const TopicPartition& tp) const {
  const auto it = queues_.find(tp);
  BOURSE_ASSERT(it != queues_.end(), "front_held_at of a partition that holds messages");
  return it->second.front().held_at;
}

void HeldMessages::take(const TopicPartition& tp, std::size_t limit, std::vector<Message>& batch) {
  const auto it = queues_.find(tp);
  if (it == queues_.end()) return;
  std::deque<Held>& queue = it->second;
  while (!queue.empty() && batch.size() < limit) {
    BOURSE_ASSERT(batch.empty() || queue.front().message.offset > batch.back().offset,
                  "a batch is in offset order");
    batch.push_back(std::move(queue.front().message));
    queue.pop_front();
    --size_;
  }
  if (queue.empty()) queues_.erase(it);
}

void HeldMessages::drop(const TopicPartition& tp) {
  if (const auto it = queues_.find(tp); it != queues_.end()) {
    size_ -= it->second.size();
    queues_.erase(it);
  }
}

void HeldMessages::clear() {
  queues_.clear();
  size_ = 0;
}

}  // namespace bourse::kafka
