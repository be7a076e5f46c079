// matching_shard_bench: throughput of the matching engine including the hand-off
// through a Shard's lock-free SPSC input ring from another thread, plus the raw ring
// capacity (consumer discards), on the 1-symbol flow of matching_bench.
//
// Usage: matching_shard_bench [--ops N] [--runs R]   (defaults: 5,000,000 ops, 3 runs)
// The main thread is the producer (it stands for the Kafka partition consumer); the
// shard thread applies commands and calls a counting listener. Timed from the first
// measured submit until stop() returns, i.e. until every command has been applied.
// On a 2-core machine producer and shard each get a core only if nothing else runs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "bourse/matching/shard.h"
#include "bourse/matching/spsc_ring.h"
#include "matching_workload.h"

namespace bourse::matching::bench {
namespace {

using Clock = std::chrono::steady_clock;

double shard_run(const Workload& workload, std::uint64_t& checksum) {
  CountingListener listener;
  Shard shard(ShardOptions{.symbol_count = 1,
                           .ring_capacity = limits::kDefaultShardRingCapacity,
                           .book_options = {.initial_order_capacity = 2'048}},
              listener);
  shard.start();
  for (const Command& command : workload.warmup) {
    if (!shard.submit(command)) std::abort();
  }
  while (shard.applied_count() < workload.warmup.size()) std::this_thread::yield();
  const auto start = Clock::now();
  for (const Command& command : workload.measured) {
    if (!shard.submit(command)) std::abort();
  }
  shard.stop();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  checksum = listener.checksum;
  return static_cast<double>(workload.measured.size()) / seconds;
}

double ring_only_run(const Workload& workload) {
  SpscRing<Command> ring(limits::kDefaultShardRingCapacity);
  std::atomic<std::uint64_t> sink{0};
  const std::size_t total = workload.measured.size();
  std::thread consumer([&] {
    std::size_t seen = 0;
    std::uint64_t sum = 0;
    while (seen < total) {
      const std::size_t n = ring.consume(
          [&](const Command& c) { sum += static_cast<std::uint64_t>(c.order.order_id.value()); },
          Shard::kMaxBatch);
      if (n == 0) {
        std::this_thread::yield();
      }
      seen += n;
    }
    sink.store(sum);
  });
  const auto start = Clock::now();
  for (const Command& command : workload.measured) {
    while (!ring.try_push(command)) std::this_thread::yield();
  }
  consumer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(total) / seconds;
}

}  // namespace
}  // namespace bourse::matching::bench

int main(int argc, char** argv) {
  using namespace bourse::matching;
  using namespace bourse::matching::bench;
  std::uint64_t operations = 5'000'000;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ops") == 0) operations = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  if (operations < 1'000 || runs < 1) {
    std::fprintf(stderr, "usage: matching_shard_bench [--ops N>=1000] [--runs R>=1]\n");
    return 2;
  }
  const Workload workload = generate_workload(WorkloadOptions{1, 1'000, operations, 42});
  std::printf("flow: 1 symbol, %zu measured operations (mix as in matching_bench), ring of %zu "
              "commands of %zu bytes\n",
              workload.measured.size(), limits::kDefaultShardRingCapacity, sizeof(Command));
  double best_shard = 0;
  double best_ring = 0;
  std::uint64_t first_checksum = 0;
  bool deterministic = true;
  for (int run = 0; run < runs; ++run) {
    std::uint64_t checksum = 0;
    const double shard_ops = shard_run(workload, checksum);
    if (run == 0) first_checksum = checksum;
    deterministic = deterministic && checksum == first_checksum;
    const double ring_ops = ring_only_run(workload);
    std::printf("run %d: shard (ring + engine) %.2f M ops/s; ring alone %.2f M commands/s\n",
                run + 1, shard_ops / 1e6, ring_ops / 1e6);
    best_shard = std::max(best_shard, shard_ops);
    best_ring = std::max(best_ring, ring_ops);
  }
  std::printf("best of %d: shard %.2f M ops/s including the hand-off; ring alone %.2f M/s; "
              "deterministic: %s\n",
              runs, best_shard / 1e6, best_ring / 1e6, deterministic ? "yes" : "NO");
  std::printf("{\"bench\":\"matching_shard\", \"ops_per_s\":%.0f, \"ring_only_per_s\":%.0f}\n",
              best_shard, best_ring);
  return 0;
}
