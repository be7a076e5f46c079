// Lag and stall bookkeeping of one assigned partition, behind the consumer's
// bourse_consumer_lag_messages and bourse_consumer_stalled_partitions metrics. Private to
// platform/consumer.
//
// lag = high watermark - next offset, where the next offset is the partition's stored next
// offset (the start of the log while nothing is stored). A partition is STALLED when it
// has had a lag for stall_timeout while its stored next offset did not move: a consumer
// sitting on an assigned partition without applying anything (a lost fetch position, a
// stuck fetcher, a message failing for ever).
//
// The high watermark comes from librdkafka's cache, which only fetches refresh: a
// partition whose cached high watermark has not grown for stall_timeout (unknown, stale,
// or simply idle) wants a broker query (wants_query), at most once per stall_timeout.
//
// Pure: the caller passes the time, the offsets and the watermarks (no clock, no Kafka, no
// database), so it is unit-tested with made-up time points. Not thread-safe (the
// consumer's driving thread owns it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "bourse/kafka/consumer.h"

namespace bourse::consumer::detail {

class PartitionProgress {
 public:
  using Clock = std::chrono::steady_clock;

  // What an observe() changed, for the caller to log and count.
  enum class Change {
    kNone,
    kStalled,       // has just become stalled
    kStillStalled,  // stalled, and another stall_timeout has passed since the last report
    kRecovered,     // was stalled, is not any more (progress, or no lag)
  };

  // A partition assigned at `now`, starting at `next_offset` (its stored next offset;
  // std::nullopt: nothing stored). REQUIRES: stall_timeout > 0.
  PartitionProgress(std::chrono::milliseconds stall_timeout, Clock::time_point now,
                    std::optional<std::int64_t> next_offset);

  // Watermarks read at `now` (from the cache or the broker). The high watermark never goes
  // back: an older (smaller) one is ignored.
  void watermarks_seen(Clock::time_point now, const kafka::Watermarks& watermarks);

  // True when the high watermark has not grown for stall_timeout (or is still unknown that
  // long after the assignment) and no query was made in the last stall_timeout.
  bool wants_query(Clock::time_point now) const;
  // A broker query was made at `now` (whether it succeeded or not).
  void queried(Clock::time_point now);

  // One check at `now` with the stored next offset (std::nullopt: nothing stored yet).
  Change observe(Clock::time_point now, std::optional<std::int64_t> next_offset);

  // As of the last observe(): records behind (std::nullopt while no watermark is known),
  // stalled or not, and for how long the partition has made no progress while lagging.
  std::optional<std::int64_t> lag() const { return lag_; }
  bool stalled() const { return stalled_; }
  std::chrono::milliseconds idle(Clock::time_point now) const;

 private:
  std::chrono::milliseconds stall_timeout_;
  std::optional<kafka::Watermarks> watermarks_;
  Clock::time_point high_grew_at_;  // assignment, or when the high watermark last grew
  std::optional<Clock::time_point> last_query_;
  std::optional<std::int64_t> next_offset_;  // as of the last observe()
  Clock::time_point idle_since_;             // last progress, or last time without lag
  std::optional<std::int64_t> lag_;
  bool stalled_ = false;
  Clock::time_point last_report_;
};

}  // namespace bourse::consumer::detail
