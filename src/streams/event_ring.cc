#include "streams/event_ring.h"

#include <algorithm>

#include "bourse/common/assert.h"

namespace bourse::streams {

EventRing::EventRing(StreamPosition start, std::size_t max_events,
                     std::chrono::milliseconds window)
    : head_(start), start_(std::move(start)), max_events_(max_events), window_(window) {
  BOURSE_ASSERT(!head_.empty(), "a ring covers at least one partition");
  BOURSE_ASSERT(max_events_ >= 1 && window_.count() > 0, "ring bounds must be positive");
  for (const std::int64_t offset : head_) BOURSE_ASSERT(offset >= 0, "offsets are never negative");
}

void EventRing::advance(std::int32_t partition, std::int64_t offset) {
  BOURSE_ASSERT(partition >= 0 && static_cast<std::size_t>(partition) < head_.size(),
                "partition of the ring's topic");
  // Offsets may skip (transaction markers): nothing exists in the gap, so it is covered.
  head_[partition] = std::max(head_[partition], offset + 1);
}

void EventRing::append(StreamEvent& event, std::int64_t now_ms) {
  BOURSE_ASSERT(event.partition >= 0 && static_cast<std::size_t>(event.partition) < head_.size(),
                "partition of the ring's topic");
  BOURSE_ASSERT(event.offset >= head_[event.partition], "partitions are read in order");
  advance(event.partition, event.offset);
  event.position = head_;
  events_.push_back(event);
  while (events_.size() > max_events_) evict_front();
  expire(now_ms);
}

void EventRing::expire(std::int64_t now_ms) {
  while (!events_.empty() && events_.front().timestamp_ms < now_ms - window_.count()) {
    evict_front();
  }
}

void EventRing::evict_front() {
  const StreamEvent& front = events_.front();
  start_[front.partition] = std::max(start_[front.partition], front.offset + 1);
  events_.pop_front();
}

bool EventRing::covers(const StreamPosition& from) const {
  BOURSE_ASSERT(from.size() == start_.size(), "a position of the ring's topic");
  for (std::size_t p = 0; p < from.size(); ++p) {
    if (from[p] < start_[p]) return false;
  }
  return true;
}

}  // namespace bourse::streams
