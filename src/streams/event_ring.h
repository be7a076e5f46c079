// The in-memory ring of recent stream events one instance read from matching-events: what
// a resuming client is replayed from (docs/STREAMS.md).
//
// Bounded twice: at most `max_events` events, and none older than `window` (by the Kafka
// record timestamp). Coverage is tracked per partition: start(p) is the lowest offset from
// which the ring holds EVERY event of partition p; it begins at where the reader started
// and moves past each evicted event. A resume position is servable iff it is at or past
// start(p) for every partition (covers()); otherwise the client must be told to reset.
//
// Records that are not stream events (unknown types) still move the head (advance()), so
// positions always mean "everything before this was read". Offsets may skip (transaction
// markers take offsets): a gap holds nothing, so it never breaks coverage.
//
// Thread-safety: none; the owner (StreamHub) locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "streams/stream_position.h"

namespace bourse::streams {

// Defaults of the two bounds (configurable: stream.ring_events, stream.window_ms).
inline constexpr std::size_t kDefaultRingEvents = 100'000;
inline constexpr std::size_t kMaxRingEvents = 10'000'000;
inline constexpr std::chrono::milliseconds kDefaultStreamWindow{10 * 60 * 1'000};

struct StreamEvent {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;  // the Kafka record's
  StreamPosition position;        // the head right after this event
  std::string name;               // the SSE `event:` name, e.g. "order.accepted"
  std::string symbol;
  std::string user;               // whose order stream gets it ("" none)
  std::string other_user;         // a trade's counterparty ("" none or same user)
  std::string user_data;          // JSON for `user`'s order stream
  std::string other_user_data;    // JSON for `other_user`'s order stream
  std::string market_name;        // SSE name on the market stream ("" not a market event)
  std::string market_data;        // JSON for the market stream
};

class EventRing {
 public:
  // REQUIRES: start.size() >= 1, each >= 0; max_events >= 1; window > 0.
  EventRing(StreamPosition start, std::size_t max_events, std::chrono::milliseconds window);

  std::size_t partitions() const { return head_.size(); }
  // The next offset to read per partition.
  const StreamPosition& head() const { return head_; }
  // The lowest offset per partition from which every event is still held.
  const StreamPosition& start() const { return start_; }
  std::size_t size() const { return events_.size(); }

  // A record that is not a stream event was read at (partition, offset).
  void advance(std::int32_t partition, std::int64_t offset);
  // The next event read: fills event.position (the head after it), stores a copy, evicts
  // what is over the bounds (relative to now_ms; possibly the event itself).
  // REQUIRES: event.offset >= head()[event.partition] (partitions are read in order).
  void append(StreamEvent& event, std::int64_t now_ms);
  // Evicts events older than the window.
  void expire(std::int64_t now_ms);

  // True when every event at or after `from` is still here (from[p] >= start(p) for all p).
  // REQUIRES: from.size() == partitions().
  bool covers(const StreamPosition& from) const;

  // Calls visit(event) for every held event in read order.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const StreamEvent& event : events_) visit(event);
  }

 private:
  void evict_front();

  StreamPosition head_;
  StreamPosition start_;
  std::deque<StreamEvent> events_;
  const std::size_t max_events_;
  const std::chrono::milliseconds window_;
};

}  // namespace bourse::streams
