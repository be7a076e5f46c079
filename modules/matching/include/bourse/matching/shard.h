// Shard: one single-writer thread that owns an Engine (the books of one partition).
//
// Input arrives through a bounded lock-free SPSC ring (SpscRing<Command>); the shard
// thread drains it in batches and applies each command in arrival order, so the
// events of the shard come out in one total order through the listener, called on
// the shard thread. No mutex on the hot path: producer and consumer share only the
// ring's two indices. When the ring is full, try_submit returns false and submit
// waits (spin, then yield) until there is room: back-pressure, never unbounded
// memory. When idle, the shard thread spins, then yields, then naps for
// kIdleSleep, so an idle shard costs little CPU and still notices stop().
//
// Life cycle: construct -> (restore books through engine()) -> start() -> submit...
// -> stop() -> (inspect or snapshot books through engine()). stop() processes every
// command already accepted, then joins the thread. The destructor stops.
//
// Thread-safety: one producer thread calls try_submit/submit (asserted); start/stop
// from the owning thread, and stop() only once the producer is done submitting.
// engine() only while the shard thread is not running.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "bourse/matching/engine.h"
#include "bourse/matching/event_listener.h"
#include "bourse/matching/matching_limits.h"
#include "bourse/matching/spsc_ring.h"

namespace bourse::matching {

struct ShardOptions {
  std::uint32_t symbol_count = 1;
  // REQUIRES: power of two, 2..limits::kMaxShardRingCapacity.
  std::size_t ring_capacity = limits::kDefaultShardRingCapacity;
  BookOptions book_options;
};

class Shard {
 public:
  // Commands applied per ring batch before the consumer frees their slots: small
  // enough that the producer sees room again quickly, large enough to amortise the
  // index exchange.
  static constexpr std::size_t kMaxBatch = 256;
  // Idle back-off of the shard thread: busy-poll, then yield, then nap. The nap bounds
  // the extra latency of the first command after an idle spell.
  static constexpr int kIdleSpins = 1'000;
  static constexpr int kIdleYields = 100;
  static constexpr std::chrono::microseconds kIdleSleep{50};

  // REQUIRES: `listener` outlives the shard; it is called on the shard thread.
  Shard(ShardOptions options, EventListener& listener);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // REQUIRES: not running (before start() or after stop()).
  Engine& engine();

  // REQUIRES: not started before.
  void start();
  // Producer thread only. False when the ring is full or the shard is not running.
  bool try_submit(const Command& command);
  // Producer thread only. Waits while the ring is full; false if the shard is not
  // running (the command was not accepted).
  bool submit(const Command& command);
  // Applies every accepted command, then joins the shard thread. Idempotent.
  // REQUIRES: no concurrent try_submit/submit.
  void stop();

  bool running() const noexcept { return running_.load(std::memory_order_acquire); }
  // Commands applied so far (monotonic; readable from any thread).
  std::uint64_t applied_count() const noexcept {
    return applied_.load(std::memory_order_acquire);
  }

 private:
  void run();
  void check_producer();

  Engine engine_;
  SpscRing<Command> ring_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::thread::id> producer_{};
  bool started_ = false;
};

}  // namespace bourse::matching
