#include "bourse/matching/shard.h"

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace bourse::matching {

namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spin, then yield, then sleep: shared by the idle shard thread and a producer
// waiting for room.
void back_off(int& idle_rounds) {
  if (idle_rounds < Shard::kIdleSpins) {
    cpu_relax();
  } else if (idle_rounds < Shard::kIdleSpins + Shard::kIdleYields) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(Shard::kIdleSleep);
  }
  if (idle_rounds < Shard::kIdleSpins + Shard::kIdleYields) ++idle_rounds;
}

}  // namespace

Shard::Shard(ShardOptions options, EventListener& listener)
    : engine_(options.symbol_count, listener, options.book_options), ring_(options.ring_capacity) {
  BOURSE_ASSERT(options.ring_capacity <= limits::kMaxShardRingCapacity, "ring capacity too large");
}

Shard::~Shard() { stop(); }

Engine& Shard::engine() {
  BOURSE_ASSERT(!running(), "engine() REQUIRES a stopped shard");
  return engine_;
}

void Shard::start() {
  BOURSE_ASSERT(!started_, "a shard starts once");
  started_ = true;
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this] {
    set_current_thread_name("match-shard");
    run();
  });
}

void Shard::check_producer() {
  const std::thread::id self = std::this_thread::get_id();
  std::thread::id expected{};
  if (producer_.load(std::memory_order_relaxed) == self) return;
  const bool first = producer_.compare_exchange_strong(expected, self, std::memory_order_relaxed);
  BOURSE_ASSERT(first, "Shard input is single-producer: submit from one thread only");
}

bool Shard::try_submit(const Command& command) {
  check_producer();
  if (!running_.load(std::memory_order_acquire)) return false;
  return ring_.try_push(command);
}

bool Shard::submit(const Command& command) {
  check_producer();
  int idle_rounds = 0;
  while (running_.load(std::memory_order_acquire)) {
    if (ring_.try_push(command)) return true;
    back_off(idle_rounds);
  }
  return false;
}

void Shard::stop() {
  if (!thread_.joinable()) return;
  stop_requested_.store(true, std::memory_order_release);
  thread_.join();
  running_.store(false, std::memory_order_release);
}

void Shard::run() {
  const auto apply = [this](const Command& command) { engine_.apply(command); };
  int idle_rounds = 0;
  for (;;) {
    const std::size_t applied = ring_.consume(apply, kMaxBatch);
    if (applied > 0) {
      applied_.fetch_add(applied, std::memory_order_release);
      idle_rounds = 0;
      continue;
    }
    if (stop_requested_.load(std::memory_order_acquire)) {
      // The producer is done (stop() REQUIRES it): one last drain sees everything.
      std::size_t drained;
      while ((drained = ring_.consume(apply, kMaxBatch)) > 0) {
        applied_.fetch_add(drained, std::memory_order_release);
      }
      return;
    }
    back_off(idle_rounds);
  }
}

}  // namespace bourse::matching
