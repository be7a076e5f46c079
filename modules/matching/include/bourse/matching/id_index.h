// IdIndex: open-addressing hash map from a positive int64 id to a uint32 slot index.
//
// Used by the book to find an order by id for cancels (O(1) expected) and by the
// pending-cancel memory. Linear probing over one flat array (16-byte slots, no node
// allocation), load factor <= 1/2, backward-shift deletion (no tombstones, so probe
// lengths do not degrade under churn). The table doubles when full, which is an
// amortised allocation, never a per-insert one; reserve() sizes it up front.
//
// Determinism: nothing iterates the table, so its layout never reaches any output.
// Invariants: key 0 marks an empty slot (ids are > 0); size() <= capacity() / 2.
// Thread-safety: none; owned by one book, used by its single writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bourse/common/assert.h"

namespace bourse::matching {

class IdIndex {
 public:
  static constexpr std::uint32_t kNotFound = 0xFFFF'FFFFu;

  IdIndex() = default;
  // Room for `count` ids without growing.
  void reserve(std::size_t count);

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return slots_.size(); }
  std::size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(Slot); }

  // The value stored for `key`, or kNotFound.
  std::uint32_t find(std::int64_t key) const noexcept {
    if (slots_.empty()) return kNotFound;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.key == key) return slot.value;
      if (slot.key == 0) return kNotFound;
    }
  }

  // Prefetch hint for the slot where a lookup of `key` starts (no state change).
  void prefetch(std::int64_t key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(key)]);
  }

  // REQUIRES: key > 0 and not present.
  void insert(std::int64_t key, std::uint32_t value);

  // Removes `key`; returns false if it was absent.
  bool erase(std::int64_t key) noexcept;

 private:
  struct Slot {
    std::int64_t key = 0;
    std::uint32_t value = 0;
  };

  std::size_t home(std::int64_t key) const noexcept {
    // Fibonacci hashing: consecutive ids (the common case) spread over the table.
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >>
                                    shift_);
  }
  void rehash(std::size_t new_capacity);

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace bourse::matching
