#include "partition_progress.h"

#include <algorithm>

#include "bourse/common/assert.h"

namespace bourse::consumer::detail {

PartitionProgress::PartitionProgress(std::chrono::milliseconds stall_timeout, Clock::time_point now,
                                     std::optional<std::int64_t> next_offset)
    : stall_timeout_(stall_timeout),
      high_grew_at_(now),
      next_offset_(next_offset),
      idle_since_(now),
      last_report_(now) {
  BOURSE_ASSERT(stall_timeout.count() > 0, "stall_timeout is positive");
}

void PartitionProgress::watermarks_seen(Clock::time_point now,
                                        const kafka::Watermarks& watermarks) {
  if (watermarks_ && watermarks.high <= watermarks_->high) {
    watermarks_->low = std::max(watermarks_->low, watermarks.low);
    return;
  }
  watermarks_ = watermarks;
  high_grew_at_ = now;
}

bool PartitionProgress::wants_query(Clock::time_point now) const {
  if (now - high_grew_at_ < stall_timeout_) return false;
  return !last_query_ || now - *last_query_ >= stall_timeout_;
}

void PartitionProgress::queried(Clock::time_point now) { last_query_ = now; }

PartitionProgress::Change PartitionProgress::observe(Clock::time_point now,
                                                     std::optional<std::int64_t> next_offset) {
  if (next_offset != next_offset_) {
    next_offset_ = next_offset;
    idle_since_ = now;  // progress
  }
  if (watermarks_) {
    const std::int64_t start = next_offset.value_or(watermarks_->low);
    lag_ = std::max<std::int64_t>(0, watermarks_->high - start);
  } else {
    lag_.reset();
  }
  if (!lag_ || *lag_ == 0) idle_since_ = now;  // nothing to do is not a stall

  const bool stuck = lag_ && *lag_ > 0 && now - idle_since_ >= stall_timeout_;
  if (stuck && !stalled_) {
    stalled_ = true;
    last_report_ = now;
    return Change::kStalled;
  }
  if (stuck && now - last_report_ >= stall_timeout_) {
    last_report_ = now;
    return Change::kStillStalled;
  }
  if (!stuck && stalled_) {
    stalled_ = false;
    return Change::kRecovered;
  }
  return Change::kNone;
}

std::chrono::milliseconds PartitionProgress::idle(Clock::time_point now) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - idle_since_);
}

}  // namespace bourse::consumer::detail
