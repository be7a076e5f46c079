#include "bourse/matching/pending_cancels.h"

#include "bourse/common/assert.h"
#include "bourse/matching/matching_limits.h"

namespace bourse::matching {

PendingCancels::PendingCancels(std::uint32_t capacity) : capacity_(capacity) {
  BOURSE_ASSERT(capacity >= 1 && capacity <= limits::kMaxPendingCancelsPerBook,
                "pending-cancel capacity out of range");
}

void PendingCancels::remember(std::int64_t order_id) {
  BOURSE_ASSERT(order_id > 0, "pending cancels hold positive ids");
  if (contains(order_id)) return;
  if (index_.size() == capacity_) {
    const std::uint32_t evicted = oldest_;
    BOURSE_ASSERT(evicted != kNil, "a full FIFO has an oldest entry");
    index_.erase(entries_[evicted].order_id);
    unlink(evicted);
    entries_[evicted].next = free_;
    free_ = evicted;
  }
  std::uint32_t slot;
  if (free_ != kNil) {
    slot = free_;
    free_ = entries_[slot].next;
  } else {
    BOURSE_ASSERT(entries_.size() < capacity_, "pending-cancel entries bounded by capacity");
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& entry = entries_[slot];
  entry.order_id = order_id;
  entry.prev = newest_;
  entry.next = kNil;
  if (newest_ != kNil) entries_[newest_].next = slot;
  newest_ = slot;
  if (oldest_ == kNil) oldest_ = slot;
  index_.insert(order_id, slot);
  BOURSE_ASSERT(index_.size() <= capacity_, "pending cancels stay bounded");
}

bool PendingCancels::take(std::int64_t order_id) {
  const std::uint32_t slot = index_.find(order_id);
  if (slot == IdIndex::kNotFound) return false;
  index_.erase(order_id);
  unlink(slot);
  entries_[slot].next = free_;
  free_ = slot;
  return true;
}

std::vector<std::int64_t> PendingCancels::oldest_first() const {
  std::vector<std::int64_t> ids;
  ids.reserve(index_.size());
  for (std::uint32_t slot = oldest_; slot != kNil; slot = entries_[slot].next) {
    ids.push_back(entries_[slot].order_id);
  }
  BOURSE_ASSERT(ids.size() == index_.size(), "FIFO and index agree");
  return ids;
}

void PendingCancels::unlink(std::uint32_t slot) {
  Entry& entry = entries_[slot];
  if (entry.prev != kNil) {
    entries_[entry.prev].next = entry.next;
  } else {
    oldest_ = entry.next;
  }
  if (entry.next != kNil) {
    entries_[entry.next].prev = entry.prev;
  } else {
    newest_ = entry.prev;
  }
  entry.prev = kNil;
  entry.next = kNil;
  entry.order_id = 0;
}

}  // namespace bourse::matching
