// shard_replay_bench: the restore + replay cost of the matching service's pure part
// (ShardState): what a new owner of a partition pays before it is live again.
//
// Flow: the exchange-core-like workload of matching_workload.h on 10 symbols (~1,000
// resting orders each, 10,000 users), translated to ShardState inputs (symbols SYM00..SYM09
// with a 0.01 tick, users "u<n>", prices and cash caps as Amounts). A ShardState is built
// by applying the warm-up placements (and, in the "steady" scenario, a prelude of 600,000
// operations that fills the duplicate-id memories the way a long-running shard has them),
// then encoded. Measured, best of R runs:
//   - encode(): the snapshot a running shard writes, and its size;
//   - decode(): the restore;
//   - replay: apply() of the next 100,000 inputs (outputs collected in a vector, as the
//     adapter does), then decode + replay together;
//   - for comparison, the bare Engine applying the same 100,000 commands (no strings, no
//     wire events, no duplicate memory).
// Determinism: the outputs' fold and the final encode() must match across runs.
//
// Usage: shard_replay_bench [--ops N] [--runs R]   (defaults: 100,000 inputs, 5 runs)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bourse/matching/engine.h"
#include "bourse/matching/shard_state.h"
#include "matching_workload.h"

namespace bourse::matching::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kSymbols = 10;
constexpr std::int64_t kTickUnits = 100;  // 0.01

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string symbol_name(SymbolHandle handle) {
  char name[8];
  std::snprintf(name, sizeof name, "SYM%02u", handle);
  return name;
}

std::vector<Instrument> instruments() {
  std::vector<Instrument> out;
  for (SymbolHandle handle = 0; handle < kSymbols; ++handle) {
    Instrument instrument;
    instrument.symbol = symbol_name(handle);
    instrument.tick_size = Amount::from_units(kTickUnits);
    instrument.reference_price = Amount::from_units(100'000 * kTickUnits);
    instrument.max_order_quantity = 1'000'000;
    out.push_back(instrument);
  }
  return out;
}

ShardInput to_input(const Command& command) {
  if (command.kind == Command::Kind::kCancel) {
    return CancelInput{command.order.order_id, "u0", symbol_name(command.symbol)};
  }
  const NewOrder& order = command.order;
  PlaceInput place;
  place.order_id = order.order_id;
  place.user_id = "u" + std::to_string(order.user);
  place.symbol = symbol_name(command.symbol);
  place.side = order.side;
  place.type = order.type;
  place.time_in_force = order.time_in_force;
  place.quantity = Quantity::of(order.quantity);
  if (order.type == OrderType::kLimit)
    place.price = Amount::from_units(order.price_ticks * kTickUnits);
  if (order.type == OrderType::kMarket && order.side == Side::kBuy) {
    place.cash_cap = Amount::from_units(order.cash_cap_ticks * kTickUnits);
  }
  return place;
}

// Folds outputs into a checksum (offset, index, kind, order/trade id, quantity).
std::uint64_t fold(const std::vector<ShardOutput>& outputs) {
  std::uint64_t hash = 1469598103934665603ull;
  const auto mix = [&hash](std::uint64_t value) { hash = (hash ^ value) * 1099511628211ull; };
  for (const ShardOutput& output : outputs) {
    mix(static_cast<std::uint64_t>(output.input_offset));
    mix(output.index);
    mix(output.event.index());
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, events::TradeExecuted>) {
            mix(static_cast<std::uint64_t>(e.trade_id.value()));
            mix(static_cast<std::uint64_t>(e.quantity.value()));
            mix(static_cast<std::uint64_t>(e.price.units()));
          } else {
            mix(static_cast<std::uint64_t>(e.order_id.value()));
          }
        },
        output.event);
  }
  return hash;
}

struct Figures {
  std::size_t resting_orders = 0;
  std::size_t snapshot_bytes = 0;
  double encode_ms = 0;
  double decode_ms = 0;
  double replay_ms = 0;
  double restore_and_replay_ms = 0;
  double engine_only_ms = 0;
  std::size_t inputs = 0;
  std::size_t outputs = 0;
  bool deterministic = true;
};

Figures run_scenario(const char* name, std::uint64_t prelude, std::uint64_t measured, int runs) {
  std::printf("\n== %s: %u symbols, prelude %llu operations, %llu measured inputs ==\n", name,
              kSymbols, static_cast<unsigned long long>(prelude),
              static_cast<unsigned long long>(measured));
  const auto generation_start = Clock::now();
  const Workload workload =
      generate_workload(WorkloadOptions{kSymbols, 1'000, prelude + measured, 42});
  std::vector<ShardInput> setup;
  setup.reserve(workload.warmup.size() + prelude);
  for (const Command& command : workload.warmup) setup.push_back(to_input(command));
  for (std::uint64_t i = 0; i < prelude; ++i) setup.push_back(to_input(workload.measured[i]));
  std::vector<ShardInput> timed;
  timed.reserve(measured);
  for (std::uint64_t i = prelude; i < prelude + measured; ++i) {
    timed.push_back(to_input(workload.measured[i]));
  }
  std::printf("workload generated in %.1f s\n", ms_since(generation_start) / 1e3);

  const std::vector<Instrument> config = instruments();
  ShardState state(0, config, 0);
  std::vector<ShardOutput> scratch;
  std::int64_t offset = 0;
  for (const ShardInput& input : setup) {
    scratch.clear();
    state.apply(offset++, input, scratch);
  }
  const std::int64_t first_timed_offset = offset;

  Figures f;
  f.resting_orders = state.resting_orders();
  f.inputs = timed.size();
  std::string blob;
  f.encode_ms = 1e30;
  for (int run = 0; run < runs; ++run) {
    const auto start = Clock::now();
    std::string encoded = state.encode();
    f.encode_ms = std::min(f.encode_ms, ms_since(start));
    if (run > 0 && encoded != blob) f.deterministic = false;
    blob = std::move(encoded);
  }
  f.snapshot_bytes = blob.size();

  f.decode_ms = f.replay_ms = f.restore_and_replay_ms = 1e30;
  std::uint64_t first_fold = 0;
  std::string first_final;
  std::vector<ShardOutput> outputs;
  outputs.reserve(timed.size() * 3);
  for (int run = 0; run < runs; ++run) {
    outputs.clear();
    const auto start = Clock::now();
    auto decoded = ShardState::decode(blob, 0, config);
    const double decode_ms = ms_since(start);
    if (!decoded) {
      std::fprintf(stderr, "decode failed: %s\n", decoded.error().message.c_str());
      std::exit(1);
    }
    ShardState restored = std::move(decoded).value();
    const auto replay_start = Clock::now();
    std::int64_t replay_offset = first_timed_offset;
    for (const ShardInput& input : timed) restored.apply(replay_offset++, input, outputs);
    const double replay_ms = ms_since(replay_start);
    f.decode_ms = std::min(f.decode_ms, decode_ms);
    f.replay_ms = std::min(f.replay_ms, replay_ms);
    f.restore_and_replay_ms = std::min(f.restore_and_replay_ms, decode_ms + replay_ms);
    const std::uint64_t folded = fold(outputs);
    std::string final_blob = restored.encode();
    if (run == 0) {
      first_fold = folded;
      first_final = std::move(final_blob);
    } else if (folded != first_fold || final_blob != first_final) {
      f.deterministic = false;
    }
    std::printf("run %d: decode %.2f ms, replay %.2f ms (%zu outputs)\n", run, decode_ms, replay_ms,
                outputs.size());
  }
  f.outputs = outputs.size();

  // The bare engine on the same commands, from the same book (rebuilt untimed each run).
  f.engine_only_ms = 1e30;
  const std::span<const Command> engine_timed(workload.measured.data() + prelude, measured);
  for (int run = 0; run < runs; ++run) {
    CountingListener listener;
    Engine engine(kSymbols, listener);
    for (const Command& command : workload.warmup) engine.apply(command);
    for (std::uint64_t i = 0; i < prelude; ++i) engine.apply(workload.measured[i]);
    const auto start = Clock::now();
    for (const Command& command : engine_timed) engine.apply(command);
    f.engine_only_ms = std::min(f.engine_only_ms, ms_since(start));
  }

  std::printf("book: %zu resting orders over %u symbols\n", f.resting_orders, kSymbols);
  std::printf(
      "snapshot: %zu bytes (%.1f bytes per resting order, id memories included); "
      "encode %.2f ms\n",
      f.snapshot_bytes,
      static_cast<double>(f.snapshot_bytes) / static_cast<double>(f.resting_orders), f.encode_ms);
  std::printf(
      "decode %.2f ms; replay of %zu inputs %.2f ms (%.0f inputs/s, %.0f events/s); "
      "decode + replay %.2f ms\n",
      f.decode_ms, f.inputs, f.replay_ms, static_cast<double>(f.inputs) / (f.replay_ms / 1e3),
      static_cast<double>(f.outputs) / (f.replay_ms / 1e3), f.restore_and_replay_ms);
  std::printf(
      "bare engine on the same commands: %.2f ms (%.0f commands/s): ShardState costs "
      "%.1fx\n",
      f.engine_only_ms, static_cast<double>(f.inputs) / (f.engine_only_ms / 1e3),
      f.replay_ms / f.engine_only_ms);
  std::printf("deterministic across runs: %s\n", f.deterministic ? "yes" : "NO");
  return f;
}

}  // namespace
}  // namespace bourse::matching::bench

int main(int argc, char** argv) {
  using namespace bourse::matching::bench;
  std::uint64_t measured = 100'000;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ops") == 0) measured = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
  }
  if (measured < 1'000 || runs < 1) {
    std::fprintf(stderr, "usage: shard_replay_bench [--ops N>=1000] [--runs R>=1]\n");
    return 2;
  }
  const Figures fresh = run_scenario("fresh (after the warm-up)", 0, measured, runs);
  const Figures steady = run_scenario("steady (id memories full)", 600'000, measured, runs);
  const auto per_s = [](const Figures& f, std::size_t n) {
    return static_cast<double>(n) / (f.replay_ms / 1e3);
  };
  std::printf(
      "{\"bench\":\"shard_replay\", \"symbols\":%u, \"resting_orders\":%zu, \"inputs\":%zu, "
      "\"snapshot_bytes\":%zu, \"encode_ms\":%.2f, \"decode_ms\":%.2f, \"replay_ms\":%.2f, "
      "\"restore_and_replay_ms\":%.2f, \"inputs_per_s\":%.0f, \"events_per_s\":%.0f, "
      "\"engine_only_ms\":%.2f, \"steady_snapshot_bytes\":%zu, \"steady_encode_ms\":%.2f, "
      "\"steady_decode_ms\":%.2f, \"steady_replay_ms\":%.2f, "
      "\"steady_restore_and_replay_ms\":%.2f, "
      "\"steady_inputs_per_s\":%.0f, \"steady_events_per_s\":%.0f, \"deterministic\":%s}\n",
      kSymbols, fresh.resting_orders, fresh.inputs, fresh.snapshot_bytes, fresh.encode_ms,
      fresh.decode_ms, fresh.replay_ms, fresh.restore_and_replay_ms, per_s(fresh, fresh.inputs),
      per_s(fresh, fresh.outputs), fresh.engine_only_ms, steady.snapshot_bytes, steady.encode_ms,
      steady.decode_ms, steady.replay_ms, steady.restore_and_replay_ms,
      per_s(steady, steady.inputs), per_s(steady, steady.outputs),
      fresh.deterministic && steady.deterministic ? "true" : "false");
  return 0;
}
