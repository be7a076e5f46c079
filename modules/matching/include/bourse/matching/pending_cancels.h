// PendingCancels: bounded FIFO memory of cancels that arrived before their order.
//
// Events can race: a CancelRequested may reach the book before the order it cancels.
// The book remembers such ids here; when the order arrives it is dropped (cancelled
// with kUserBeforeArrival) instead of trading. Memory is bounded by `capacity`
// (limits::kMaxPendingCancelsPerBook by default): remembering one more id when full
// forgets the oldest one (FIFO eviction). An id taken out (its order arrived) leaves
// the FIFO at once, so the FIFO holds only live ids and a snapshot lists exactly them.
//
// Storage is allocated on first use, so books that never see a race cost nothing.
// Thread-safety: none; owned by one book.
#pragma once

#include <cstdint>
#include <vector>

#include "bourse/matching/id_index.h"

namespace bourse::matching {

class PendingCancels {
 public:
  // REQUIRES: 1 <= capacity <= limits::kMaxPendingCancelsPerBook.
  explicit PendingCancels(std::uint32_t capacity);

  std::uint32_t capacity() const noexcept { return capacity_; }
  std::size_t size() const noexcept { return index_.size(); }
  bool contains(std::int64_t order_id) const noexcept {
    return index_.find(order_id) != IdIndex::kNotFound;
  }

  // Remembers `order_id` (no-op if already remembered; keeps its FIFO position).
  // Evicts the oldest id when full. REQUIRES: order_id > 0.
  void remember(std::int64_t order_id);
  // Forgets `order_id`; returns whether it was remembered.
  bool take(std::int64_t order_id);

  // Remembered ids, oldest first.
  std::vector<std::int64_t> oldest_first() const;
  std::size_t memory_bytes() const noexcept {
    return index_.memory_bytes() + entries_.capacity() * sizeof(Entry);
  }

 private:
  static constexpr std::uint32_t kNil = 0xFFFF'FFFFu;
  struct Entry {
    std::int64_t order_id = 0;
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;  // also the free-list link
  };
  void unlink(std::uint32_t slot);

  std::uint32_t capacity_;
  std::vector<Entry> entries_;  // grows up to capacity_, then slots are reused
  IdIndex index_;               // order id -> entry slot
  std::uint32_t oldest_ = kNil;
  std::uint32_t newest_ = kNil;
  std::uint32_t free_ = kNil;
};

}  // namespace bourse::matching
