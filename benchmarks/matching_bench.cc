// matching_bench: single-thread throughput and per-operation latency of the matching
// engine on an exchange-core-like flow (see matching_workload.h for the mix), on 1
// symbol and on 1,000 symbols (~1,000 resting orders per symbol in both cases).
//
// Usage: matching_bench [--ops N] [--runs R] [--only 1000]
//        (defaults: 5,000,000 ops, 3 runs, both scenarios; --only 1000 skips 1 symbol)
// Throughput: best of R timed replays (fresh engine each, warm-up untimed, no per-op
// timer). Latency: one separate replay timing each operation with rdtsc (lfence;
// rdtsc), calibrated against steady_clock; the timer's own cost is printed too.
// Memory: heap growth (mallinfo2) while building and filling the books, divided by the
// peak number of resting orders.
#include <malloc.h>
#include <time.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "bourse/matching/engine.h"
#include "matching_workload.h"

namespace bourse::matching::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline std::uint64_t ticks() {
  _mm_lfence();
  const std::uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

double ticks_per_ns() {
  const auto t0 = Clock::now();
  const std::uint64_t c0 = ticks();
  while (Clock::now() - t0 < std::chrono::milliseconds(200)) {
  }
  const std::uint64_t c1 = ticks();
  const auto ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  return static_cast<double>(c1 - c0) / ns;
}

struct Result {
  double ops_per_s = 0;
  double cpu_ops_per_s = 0;  // operations per second of this thread's CPU time
  double p50_ns = 0, p99_ns = 0, p999_ns = 0, p9999_ns = 0, max_ns = 0, mean_ns = 0;
  double timer_overhead_ns = 0;
  double heap_bytes_per_order = 0;
  double engine_bytes_per_order = 0;
  std::size_t resting_orders = 0;
  std::uint64_t events = 0, trades = 0, rejects = 0;
  bool deterministic = true;
};

Result run_scenario(const char* name, std::uint32_t symbols, std::uint64_t operations, int runs) {
  std::printf("\n== %s: %u symbol(s), %llu measured operations ==\n", name, symbols,
              static_cast<unsigned long long>(operations));
  const auto generation_start = Clock::now();
  const Workload workload = generate_workload(WorkloadOptions{symbols, 1'000, operations, 42});
  std::printf("workload generated in %.1f s: %zu warm-up placements\n",
              std::chrono::duration<double>(Clock::now() - generation_start).count(),
              workload.warmup.size());
  std::printf("mix: placements %.1f%%, cancels %.1f%% (moves count as cancel + placement), "
              "aggressive IOC/market/crossing %.1f%%; operations that trade %.1f%%\n",
              100 * workload.placement_fraction, 100 * workload.cancel_fraction,
              100 * workload.aggressive_fraction, 100 * workload.trading_fraction);
  std::printf("book shape: %.0f resting orders over %.0f price levels per symbol (mean)\n",
              workload.mean_resting_per_symbol, workload.mean_levels_per_symbol);

  Result result;
  const BookOptions book_options{.initial_order_capacity = 2'048,
                                 .max_resting_orders = limits::kMaxRestingOrdersPerBook,
                                 .max_pending_cancels = limits::kMaxPendingCancelsPerBook};
  std::uint64_t reference_checksum = 0;
  double best_seconds = 1e100;
  double best_cpu_seconds = 1e100;
  for (int run = 0; run < runs; ++run) {
    CountingListener listener;
    const std::size_t heap_before = heap_in_use();
    Engine engine(symbols, listener, book_options);
    for (const Command& command : workload.warmup) engine.apply(command);
    std::size_t peak_resting = engine.resting_order_count();
    const auto start = Clock::now();
    const double cpu_start = thread_cpu_seconds();
    engine.apply(std::span<const Command>(workload.measured));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu_seconds = thread_cpu_seconds() - cpu_start;
    best_cpu_seconds = std::min(best_cpu_seconds, cpu_seconds);
    peak_resting = std::max(peak_resting, engine.resting_order_count());
    const std::size_t heap_after = heap_in_use();
    best_seconds = std::min(best_seconds, seconds);
    std::printf("run %d: %.3f s, %.2f M ops/s (thread CPU time %.3f s: %.2f M ops/s), %llu events, "
                "checksum %016llx\n",
                run + 1, seconds, static_cast<double>(operations) / seconds / 1e6, cpu_seconds,
                static_cast<double>(operations) / cpu_seconds / 1e6,
                static_cast<unsigned long long>(listener.events),
                static_cast<unsigned long long>(listener.checksum));
    if (run == 0) {
      reference_checksum = listener.checksum;
      result.events = listener.events;
      result.trades = listener.trades;
      result.rejects = listener.rejects;
      result.resting_orders = engine.resting_order_count();
      result.heap_bytes_per_order =
          static_cast<double>(heap_after - heap_before) / static_cast<double>(peak_resting);
      result.engine_bytes_per_order =
          static_cast<double>(engine.memory_bytes()) / static_cast<double>(peak_resting);
    } else if (listener.checksum != reference_checksum) {
      result.deterministic = false;
    }
  }
  result.ops_per_s = static_cast<double>(operations) / best_seconds;
  result.cpu_ops_per_s = static_cast<double>(operations) / best_cpu_seconds;

  // Latency replay.
  const double tpn = ticks_per_ns();
  {
    std::vector<std::uint32_t> overhead(100'000);
    for (auto& o : overhead) {
      const std::uint64_t t0 = ticks();
      o = static_cast<std::uint32_t>(ticks() - t0);
    }
    std::sort(overhead.begin(), overhead.end());
    result.timer_overhead_ns = overhead[overhead.size() / 2] / tpn;
  }
  CountingListener listener;
  Engine engine(symbols, listener, book_options);
  for (const Command& command : workload.warmup) engine.apply(command);
  std::vector<std::uint64_t> samples(workload.measured.size());
  const std::span<const Command> measured(workload.measured);
  for (std::size_t i = 0; i < measured.size(); ++i) {
    const std::uint64_t t0 = ticks();
    engine.apply_with_lookahead(measured, i);
    samples[i] = ticks() - t0;
  }
  if (listener.checksum != reference_checksum) result.deterministic = false;
  double sum = 0;
  for (const auto s : samples) sum += static_cast<double>(s);
  std::sort(samples.begin(), samples.end());
  const auto percentile = [&](double p) {
    const auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
    return static_cast<double>(samples[index]) / tpn;
  };
  result.p50_ns = percentile(0.50);
  result.p99_ns = percentile(0.99);
  result.p999_ns = percentile(0.999);
  result.p9999_ns = percentile(0.9999);
  result.max_ns = static_cast<double>(samples.back()) / tpn;
  result.mean_ns = sum / static_cast<double>(samples.size()) / tpn;

  std::printf("throughput (best of %d): %.2f M ops/s (%.1f ns/op); per thread CPU second %.2f M "
              "ops/s (excludes time other processes held the core)\n",
              runs, result.ops_per_s / 1e6, 1e9 / result.ops_per_s, result.cpu_ops_per_s / 1e6);
  std::printf("latency per op (rdtsc, includes ~%.0f ns timer cost): p50 %.0f ns, p99 %.0f ns, "
              "p99.9 %.0f ns, p99.99 %.0f ns, max %.0f ns, mean %.0f ns\n",
              result.timer_overhead_ns, result.p50_ns, result.p99_ns, result.p999_ns,
              result.p9999_ns, result.max_ns, result.mean_ns);
  std::printf("memory: %.1f heap bytes per resting order (mallinfo2 growth / peak resting), "
              "%.1f bytes by the engine's own accounting; %zu resting at the end\n",
              result.heap_bytes_per_order, result.engine_bytes_per_order, result.resting_orders);
  std::printf("events %llu (trades %llu, rejects %llu); deterministic across runs: %s\n",
              static_cast<unsigned long long>(result.events),
              static_cast<unsigned long long>(result.trades),
              static_cast<unsigned long long>(result.rejects), result.deterministic ? "yes" : "NO");
  return result;
}

}  // namespace
}  // namespace bourse::matching::bench

int main(int argc, char** argv) {
  using namespace bourse::matching::bench;
  std::uint64_t operations = 5'000'000;
  int runs = 3;
  bool only_many = false;  // --only 1000: skip the 1-symbol scenario
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ops") == 0) operations = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--only") == 0) only_many = std::strcmp(argv[i + 1], "1000") == 0;
  }
  if (operations < 1'000 || runs < 1) {
    std::fprintf(stderr, "usage: matching_bench [--ops N>=1000] [--runs R>=1]\n");
    return 2;
  }
  const Result one = only_many ? Result{} : run_scenario("1 symbol", 1, operations, runs);
  const Result many = run_scenario("1,000 symbols", 1'000, operations, runs);
  std::printf(
      "{\"bench\":\"matching\", \"ops_per_s\":%.0f, \"p50_ns\":%.0f, \"p99_ns\":%.0f, "
      "\"p999_ns\":%.0f, \"p9999_ns\":%.0f, \"max_ns\":%.0f, \"bytes_per_resting_order\":%.1f, "
      "\"symbols_1000_ops_per_s\":%.0f, \"symbols_1000_p50_ns\":%.0f, \"symbols_1000_p99_ns\":%.0f, "
      "\"symbols_1000_p999_ns\":%.0f, \"symbols_1000_bytes_per_resting_order\":%.1f, "
      "\"deterministic\":%s}\n",
      one.ops_per_s, one.p50_ns, one.p99_ns, one.p999_ns, one.p9999_ns, one.max_ns,
      one.heap_bytes_per_order, many.ops_per_s, many.p50_ns, many.p99_ns, many.p999_ns,
      many.heap_bytes_per_order, one.deterministic && many.deterministic ? "true" : "false");
  return 0;
}
