#include "bourse/matching/id_index.h"

#include <bit>

namespace bourse::matching {

namespace {
// Smallest table ever allocated: 16 slots = 256 bytes.
constexpr std::size_t kMinCapacity = 16;
}  // namespace

void IdIndex::reserve(std::size_t count) {
  std::size_t wanted = std::bit_ceil(count * 2 < kMinCapacity ? kMinCapacity : count * 2);
  if (wanted > slots_.size()) rehash(wanted);
}

void IdIndex::insert(std::int64_t key, std::uint32_t value) {
  BOURSE_ASSERT(key > 0, "IdIndex keys are positive ids");
  if ((size_ + 1) * 2 > slots_.size()) {
    rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
  }
  for (std::size_t i = home(key);; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    BOURSE_ASSERT(slot.key != key, "IdIndex::insert of a present key");
    if (slot.key == 0) {
      slot.key = key;
      slot.value = value;
      ++size_;
      return;
    }
  }
}

bool IdIndex::erase(std::int64_t key) noexcept {
  if (slots_.empty()) return false;
  std::size_t i = home(key);
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].key == key) break;
    if (slots_[i].key == 0) return false;
  }
  // Backward-shift deletion: pull later members of the probe run into the hole when
  // the hole lies between their home and their current slot (cyclically).
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask_;; j = (j + 1) & mask_) {
    const Slot& candidate = slots_[j];
    if (candidate.key == 0) break;
    const std::size_t candidate_home = home(candidate.key);
    const std::size_t distance_to_hole = (hole - candidate_home) & mask_;
    const std::size_t distance_to_current = (j - candidate_home) & mask_;
    if (distance_to_hole < distance_to_current) {
      slots_[hole] = candidate;
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
  return true;
}

void IdIndex::rehash(std::size_t new_capacity) {
  BOURSE_ASSERT(std::has_single_bit(new_capacity), "IdIndex capacity is a power of two");
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(new_capacity, Slot{});
  mask_ = new_capacity - 1;
  shift_ = 64u - static_cast<unsigned>(std::countr_zero(new_capacity));
  size_ = 0;
  for (const Slot& slot : old) {
    if (slot.key != 0) insert(slot.key, slot.value);
  }
}

}  // namespace bourse::matching
