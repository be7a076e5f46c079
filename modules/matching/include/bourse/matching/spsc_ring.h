// SpscRing<T>: bounded lock-free single-producer / single-consumer ring buffer.
//
// The hand-off between the thread that reads a shard's input (one Kafka partition
// consumer) and the shard's single writer thread. No mutex, no allocation after
// construction: each side owns one index (on its own cache line) and keeps a cached
// copy of the other side's index, so the shared line is read only when the cached
// view says full (producer) or empty (consumer). Full means try_push fails: the
// caller applies back-pressure; nothing is dropped or overwritten.
//
// Memory ordering: the producer writes the slot, then publishes tail_ with release;
// the consumer reads tail_ with acquire, reads the slots, then releases head_ with
// release so the producer (acquire) never overwrites a slot still being read.
//
// Thread-safety: exactly one producer thread calls try_push; exactly one consumer
// thread calls try_pop/consume. size_approx() may be called from anywhere.
// REQUIRES: T trivially copyable (commands are plain values).
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

#include "bourse/common/assert.h"

namespace bourse::matching {

// 64 bytes is the cache line on every x86-64 and most ARM64 parts; hard-coded because
// std::hardware_destructive_interference_size warns (-Winterference-size) on GCC 12.
inline constexpr std::size_t kCacheLineBytes = 64;

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied as plain values");

 public:
  // REQUIRES: capacity is a power of two >= 2.
  explicit SpscRing(std::size_t capacity)
      : capacity_(capacity), mask_(capacity - 1), slots_(new T[capacity]) {
    BOURSE_ASSERT(capacity >= 2 && std::has_single_bit(capacity),
                  "ring capacity is a power of two >= 2");
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  std::size_t capacity() const noexcept { return capacity_; }

  // Producer only. False when full (nothing written).
  bool try_push(const T& value) noexcept {
    const std::size_t tail = producer_.tail.load(std::memory_order_relaxed);
    if (tail - producer_.cached_head == capacity_) {
      producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
      if (tail - producer_.cached_head == capacity_) return false;
    }
    slots_[tail & mask_] = value;
    producer_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. False when empty.
  bool try_pop(T& out) noexcept {
    return consume([&out](const T& value) { out = value; }, 1) == 1;
  }

  // Consumer only: calls `handle(const T&)` on up to `max_items` items in FIFO order,
  // reading them in place, then frees their slots at once (one release store per
  // batch). Returns how many were handled.
  template <typename Handler>
  std::size_t consume(Handler&& handle, std::size_t max_items) {
    const std::size_t head = consumer_.head.load(std::memory_order_relaxed);
    std::size_t available = consumer_.cached_tail - head;
    if (available < max_items) {
      // The cached view may be stale: look at the producer's index once per batch.
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      available = consumer_.cached_tail - head;
      if (available == 0) return 0;
    }
    if (available > max_items) available = max_items;
    for (std::size_t i = 0; i < available; ++i) handle(slots_[(head + i) & mask_]);
    consumer_.head.store(head + available, std::memory_order_release);
    return available;
  }

  std::size_t size_approx() const noexcept {
    const std::size_t head = consumer_.head.load(std::memory_order_acquire);
    const std::size_t tail = producer_.tail.load(std::memory_order_acquire);
    return tail >= head ? tail - head : 0;
  }

 private:
  struct alignas(kCacheLineBytes) ProducerSide {
    std::atomic<std::size_t> tail{0};
    std::size_t cached_head = 0;
  };
  struct alignas(kCacheLineBytes) ConsumerSide {
    std::atomic<std::size_t> head{0};
    std::size_t cached_tail = 0;
  };

  const std::size_t capacity_;
  const std::size_t mask_;
  std::unique_ptr<T[]> slots_;
  ProducerSide producer_;
  ConsumerSide consumer_;
};

}  // namespace bourse::matching
