// matching_service_bench: the REAL matching service path for one partition, end to end
// inside the service: Kafka consume -> decode -> ShardState/engine -> one MySQL batch
// transaction (matching_outbox rows, market_view, matching_offsets, snapshots when due).
//
// Flow: the exchange-core-like workload of matching_workload.h on ONE symbol (AAPL, tick
// 0.01, ~1,000 resting orders, 10,000 users "u<n>"), the untimed warm-up placements
// followed by --orders measured operations, is turned into order::OrderCreated /
// order::CancelRequested envelopes (the ones the order relay publishes) and produced,
// untimed, to a fresh one-partition topic on the local Kafka. A fresh database gets the
// project's migrations. Then a MatchingService with the server's default options
// (max_batch 500, batch_wait 5 ms, snapshots every 100,000 inputs) is started and the
// clock runs from start() until matching_offsets.next_offset of the partition reaches the
// end of the topic (polled every --poll-ms). The first commit is also stamped: "startup"
// (consumer group join, assignment, restore of an empty shard) is before it, "steady"
// after it.
//
// In the same run, for the same input list (warm-up + measured, in topic order):
//   - the bare Engine (what matching_bench measures), best of 3;
//   - ShardState::apply (the service's pure part: strings, wire events, duplicate-id
//     memories), best of 3; its output count must equal the matching_outbox rows and its
//     trades the TradeExecuted rows (checked, printed; exit 1 if not).
//
// Usage: matching_service_bench [--orders N] [--poll-ms P] [--timeout S] [--migrations DIR]
//        (defaults: 100,000 measured operations, 2 ms, 600 s, <source>/migrations)
// Needs the stack's BOURSE_DB_* and BOURSE_KAFKA_BROKERS (environment or
// $BOURSE_SOURCE_DIR/.stack/env): benchmarks/run_matching_service_bench sets them up.
// Exit status: 0 fine, 1 outputs differ from the inline ShardState, 2 usage, 3 timeout or
// infrastructure error.
#include <soci/soci.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/producer.h"
#include "bourse/matching/engine.h"
#include "bourse/matching/service/matching_service.h"
#include "bourse/matching/shard_state.h"
#include "bourse/metrics/registry.h"
#include "bourse/order/events.h"
#include "matching_workload.h"
#include "stack_env.h"
#include "test_database.h"

#ifndef BOURSE_BENCH_SOURCE_DIR
#define BOURSE_BENCH_SOURCE_DIR "."
#endif

namespace bourse::matching::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kSymbol = "AAPL";
constexpr std::int64_t kTickUnits = 100;  // 0.01 in Amount units (4 decimals)
constexpr int kPureRuns = 3;
// Longest wait for the producer to deliver the whole input (on top of librdkafka's own
// delivery timeout per message).
constexpr auto kProduceFlushTimeout = 300s;

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "matching_service_bench: %s\n", what.c_str());
  std::exit(3);
}

std::vector<Instrument> instruments() {
  Instrument instrument;
  instrument.symbol = kSymbol;
  instrument.tick_size = Amount::from_units(kTickUnits);
  instrument.reference_price = Amount::from_units(100'000 * kTickUnits);  // 1000.00
  instrument.max_order_quantity = 1'000'000;
  return {instrument};
}

kafka::KafkaConfig kafka_config(const std::string& client) {
  kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = client;
  config.log_sink = [sink = kafka::stderr_json_sink()](const kafka::LogRecord& record) {
    if (record.level == kafka::LogLevel::kError) sink(record);
  };
  return config;
}

std::string user_name(UserHandle user) { return "u" + std::to_string(user); }

// The OrderCreated the order module would publish for this placement: reservation as at
// entry (limit buy: limit x quantity; market buy: the cash cap; sell: its shares).
order::OrderCreated to_created(const NewOrder& order) {
  order::OrderCreated created;
  created.order_id = order.order_id;
  created.user_id = user_name(order.user);
  created.symbol = kSymbol;
  created.side = order.side;
  created.type = order.type;
  created.time_in_force = order.time_in_force;
  created.quantity = Quantity::of(order.quantity);
  if (order.type == OrderType::kLimit) {
    created.price = Amount::from_units(order.price_ticks * kTickUnits);
  }
  if (order.side == Side::kSell) {
    created.reserved_quantity = created.quantity;
  } else if (order.type == OrderType::kLimit) {
    created.reserved_cash = Amount::from_units(order.price_ticks * kTickUnits * order.quantity);
  } else {
    created.reserved_cash = Amount::from_units(order.cash_cap_ticks * kTickUnits);
    created.cash_cap = created.reserved_cash;
  }
  return created;
}

template <typename Event>
std::string envelope_of(const Event& event, std::size_t offset) {
  return envelope::serialize(envelope::Envelope{
      "bench-" + std::to_string(offset), std::string(Event::kType), Event::kVersion,
      "2026-12-01T00:00:00.000000Z", std::string(Event::kAggregateType), event.aggregate_id(),
      event.to_json()});
}

struct Inputs {
  std::vector<Command> commands;    // warm-up + measured, in topic order
  std::vector<ShardInput> shard;    // the same, as the service decodes them
  std::vector<std::string> values;  // the same, as envelopes on the topic
  std::uint64_t warmup = 0;
  Workload workload;
};

Inputs build_inputs(std::uint64_t orders) {
  Inputs in;
  in.workload = generate_workload(WorkloadOptions{1, 1'000, orders, 42});
  in.warmup = in.workload.warmup.size();
  in.commands = in.workload.warmup;
  in.commands.insert(in.commands.end(), in.workload.measured.begin(), in.workload.measured.end());
  std::unordered_map<std::int64_t, UserHandle> owner;  // order id -> user, for cancels
  in.shard.reserve(in.commands.size());
  in.values.reserve(in.commands.size());
  for (const Command& command : in.commands) {
    const std::size_t offset = in.values.size();
    if (command.kind == Command::Kind::kCancel) {
      const OrderId id = command.order.order_id;
      const auto it = owner.find(id.value());
      const std::string user = user_name(it == owner.end() ? 0 : it->second);
      in.shard.push_back(CancelInput{id, user, kSymbol});
      in.values.push_back(envelope_of(order::CancelRequested{id, user, kSymbol}, offset));
      continue;
    }
    const NewOrder& order = command.order;
    owner[order.order_id.value()] = order.user;
    const order::OrderCreated created = to_created(order);
    PlaceInput place;
    place.order_id = created.order_id;
    place.user_id = created.user_id;
    place.symbol = created.symbol;
    place.side = created.side;
    place.type = created.type;
    place.time_in_force = created.time_in_force;
    place.quantity = created.quantity;
    place.price = created.price;
    place.cash_cap = created.cash_cap;
    in.shard.push_back(std::move(place));
    in.values.push_back(envelope_of(created, offset));
  }
  return in;
}

struct PureFigures {
  double engine_seconds = 1e30;
  double shard_seconds = 1e30;
  std::uint64_t engine_trades = 0;
  std::uint64_t engine_events = 0;
  std::size_t shard_outputs = 0;
  std::size_t shard_trades = 0;
};

PureFigures run_pure(const Inputs& in) {
  PureFigures f;
  const BookOptions book_options{.initial_order_capacity = 2'048,
                                 .max_resting_orders = limits::kMaxRestingOrdersPerBook,
                                 .max_pending_cancels = limits::kMaxPendingCancelsPerBook};
  for (int run = 0; run < kPureRuns; ++run) {
    CountingListener listener;
    Engine engine(1, listener, book_options);
    const auto start = SteadyClock::now();
    engine.apply(std::span<const Command>(in.commands));
    f.engine_seconds = std::min(f.engine_seconds, seconds_since(start));
    f.engine_trades = listener.trades;
    f.engine_events = listener.events;
  }
  const std::vector<Instrument> config = instruments();
  std::vector<ShardOutput> outputs;
  outputs.reserve(in.shard.size() * 2);
  for (int run = 0; run < kPureRuns; ++run) {
    outputs.clear();
    ShardState state(0, config, 0);
    const auto start = SteadyClock::now();
    std::int64_t offset = 0;
    for (const ShardInput& input : in.shard) state.apply(offset++, input, outputs);
    f.shard_seconds = std::min(f.shard_seconds, seconds_since(start));
  }
  f.shard_outputs = outputs.size();
  f.shard_trades = static_cast<std::size_t>(
      std::count_if(outputs.begin(), outputs.end(), [](const ShardOutput& output) {
        return std::holds_alternative<events::TradeExecuted>(output.event);
      }));
  return f;
}

std::string unique_suffix() {
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch() / 1ms);
}

std::string create_topic() {
  const std::string topic = "bourse-bench-order-events-" + unique_suffix();
  auto admin = kafka::Admin::create(kafka_config("matching-service-bench-admin"));
  if (!admin) die("kafka admin: " + admin.error().message);
  // Kept forever: the service's retention check refuses less than 100 snapshot intervals.
  const Status status = admin.value()->create_topics({{topic, 1, -1, -1}}, 30s);
  if (!status) die("create topic: " + status.error().message);
  return topic;
}

double produce_all(const std::string& topic, const std::vector<std::string>& values) {
  auto created = kafka::Producer::create(kafka_config("matching-service-bench-producer"));
  if (!created) die("kafka producer: " + created.error().message);
  auto producer = std::move(created).value();
  std::atomic<std::uint64_t> failed{0};
  const auto start = SteadyClock::now();
  for (const std::string& value : values) {
    Status queued = Status::success();
    do {
      // Keyed by the symbol like the relay; partition 0 is the topic's only partition.
      queued = producer->produce(kafka::OutgoingMessage{topic, kSymbol, value, {}, 0},
                                 [&failed](Result<kafka::DeliveryReport> report) {
                                   if (!report) ++failed;
                                 });
      if (!queued && queued.error().code == ErrorCode::kUnavailable) {
        std::this_thread::sleep_for(1ms);  // local queue full: let deliveries drain
      }
    } while (!queued && queued.error().code == ErrorCode::kUnavailable);
    if (!queued) die("produce: " + queued.error().message);
  }
  if (Status flushed = producer->flush(kProduceFlushTimeout); !flushed) {
    die("flush: " + flushed.error().message);
  }
  if (failed.load() != 0) die(std::to_string(failed.load()) + " messages not delivered");
  return seconds_since(start);
}

long long scalar(db::ConnectionPool& pool, const std::string& sql) {
  long long value = -1;
  soci::indicator indicator = soci::i_null;
  auto done = pool.with_session(
      [&](soci::session& session) { session << sql, soci::into(value, indicator); });
  if (!done) die("query failed: " + done.error().message + ": " + sql);
  return indicator == soci::i_ok ? value : -1;
}

double metric(const metrics::Registry& registry, const std::string& name) {
  const std::string text = registry.render_prometheus();
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + name.size() + 2));
}

}  // namespace
}  // namespace bourse::matching::bench

int main(int argc, char** argv) {
  using namespace bourse;
  using namespace bourse::matching::bench;
  std::uint64_t orders = 100'000;
  int poll_ms = 2;
  int timeout_s = 600;
  std::string migrations_dir = std::string(BOURSE_BENCH_SOURCE_DIR) + "/migrations";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--orders") == 0) orders = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--poll-ms") == 0) poll_ms = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--timeout") == 0) timeout_s = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--migrations") == 0) migrations_dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (orders < 1'000 || poll_ms < 1 || timeout_s < 1) {
    std::fprintf(stderr,
                 "usage: matching_service_bench [--orders N>=1000] [--poll-ms P>=1] "
                 "[--timeout S>=1] [--migrations DIR]\n");
    return 2;
  }

  // --- the input ------------------------------------------------------------------------
  const auto generation_start = SteadyClock::now();
  const Inputs in = build_inputs(orders);
  const std::size_t total = in.values.size();
  std::printf("workload: %llu warm-up placements + %llu measured operations = %zu inputs on %s "
              "(generated in %.1f s)\n",
              static_cast<unsigned long long>(in.warmup),
              static_cast<unsigned long long>(orders), total, kSymbol,
              seconds_since(generation_start));
  std::printf("mix (measured): placements %.1f%%, cancels %.1f%%, aggressive %.1f%%, trading "
              "%.1f%%; %.0f resting orders over %.0f levels (mean)\n",
              100 * in.workload.placement_fraction, 100 * in.workload.cancel_fraction,
              100 * in.workload.aggressive_fraction, 100 * in.workload.trading_fraction,
              in.workload.mean_resting_per_symbol, in.workload.mean_levels_per_symbol);

  // --- the pure figures, same inputs -----------------------------------------------------
  const PureFigures pure = run_pure(in);
  std::printf("pure engine: %.3f s (%.2f M inputs/s), %llu trades; ShardState: %.3f s "
              "(%.2f M inputs/s), %zu outputs\n",
              pure.engine_seconds, static_cast<double>(total) / pure.engine_seconds / 1e6,
              static_cast<unsigned long long>(pure.engine_trades), pure.shard_seconds,
              static_cast<double>(total) / pure.shard_seconds / 1e6, pure.shard_outputs);

  // --- topic, database ------------------------------------------------------------------
  bourse::testing::TestDatabase scratch;
  db::ConnectionPool pool(scratch.config());
  {
    auto migrations = db::load_migrations(migrations_dir);
    if (!migrations) die("migrations: " + migrations.error().message);
    auto applied = db::apply_migrations(pool, *migrations);
    if (!applied) die("migrations: " + applied.error().message);
  }
  const std::string topic = create_topic();
  const double produce_seconds = produce_all(topic, in.values);
  std::printf("produced %zu envelopes to %s in %.2f s (untimed)\n", total, topic.c_str(),
              produce_seconds);

  // --- the service ----------------------------------------------------------------------
  metrics::Registry registry;
  matching::service::MatchingServiceOptions options;  // the server's defaults
  options.group_id = "bourse-bench-matching-" + unique_suffix();
  options.input_topic = topic;
  options.output_topic = "bench.matching-events";
  auto created = matching::service::MatchingService::create(
      pool, kafka_config("matching-service-bench"), registry, SystemClock::instance(),
      instruments(), options);
  if (!created) die("create: " + created.error().message);
  auto service = std::move(created).value();
  if (Status retention = service->check_input_retention(10s); !retention) {
    die("retention check: " + retention.error().message);
  }
  const std::string offset_sql =
      "SELECT next_offset FROM matching_offsets WHERE topic = '" + topic +
      "' AND partition_id = 0";
  const double cpu_start = process_cpu_seconds();
  const auto start = SteadyClock::now();
  if (Status started = service->start(); !started) die("start: " + started.error().message);
  double first_commit_s = -1;
  long long first_commit_offset = 0;
  double end_s = -1;
  const auto deadline = start + std::chrono::seconds(timeout_s);
  while (SteadyClock::now() < deadline) {
    const long long committed = scalar(pool, offset_sql);
    if (committed > 0 && first_commit_s < 0) {
      first_commit_s = seconds_since(start);
      first_commit_offset = committed;
    }
    if (committed >= static_cast<long long>(total)) {
      end_s = seconds_since(start);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  const double cpu_seconds = process_cpu_seconds() - cpu_start;
  service->stop();
  if (end_s < 0) {
    std::fprintf(stderr, "timeout: committed %lld of %zu after %d s\n", scalar(pool, offset_sql),
                 total, timeout_s);
    return 3;
  }

  // --- what it wrote ----------------------------------------------------------------------
  const long long outbox_rows = scalar(pool, "SELECT COUNT(*) FROM matching_outbox");
  const long long trades =
      scalar(pool, "SELECT COUNT(*) FROM matching_outbox WHERE event_type = 'TradeExecuted'");
  const long long snapshots = scalar(pool, "SELECT COUNT(*) FROM matching_snapshots");
  const long long dead_letters = scalar(pool, "SELECT COUNT(*) FROM dead_letters");
  const double batches = metric(registry, "bourse_matching_batches_committed_total");
  const double snapshots_taken = metric(registry, "bourse_matching_snapshots_taken_total");
  const double retries = metric(registry, "bourse_matching_commit_retries_total");
  const bool same_outputs = outbox_rows == static_cast<long long>(pure.shard_outputs) &&
                            trades == static_cast<long long>(pure.shard_trades) &&
                            dead_letters == 0;

  const double service_rate = static_cast<double>(total) / end_s;
  const double steady_seconds = end_s - first_commit_s;
  const double steady_rate =
      steady_seconds > 0 ? static_cast<double>(static_cast<long long>(total) - first_commit_offset) /
                               steady_seconds
                         : 0;
  const double engine_rate = static_cast<double>(total) / pure.engine_seconds;
  const double shard_rate = static_cast<double>(total) / pure.shard_seconds;

  std::printf("\n| path | seconds | inputs/s | vs engine |\n|---|---|---|---|\n");
  std::printf("| pure engine (Engine::apply, best of %d) | %.3f | %.0f | 1 |\n", kPureRuns,
              pure.engine_seconds, engine_rate);
  std::printf("| ShardState::apply (best of %d) | %.3f | %.0f | 1/%.1f |\n", kPureRuns,
              pure.shard_seconds, shard_rate, engine_rate / shard_rate);
  std::printf("| service, start -> last commit | %.3f | %.0f | 1/%.0f |\n", end_s, service_rate,
              engine_rate / service_rate);
  std::printf("| service, first commit -> last (steady) | %.3f | %.0f | 1/%.0f |\n",
              steady_seconds, steady_rate, steady_rate > 0 ? engine_rate / steady_rate : 0);
  std::printf("\nstartup (start -> first commit at offset %lld): %.3f s\n", first_commit_offset,
              first_commit_s);
  std::printf("inputs %zu, trades %lld, outbox rows %lld (%.2f per input), batches %.0f (%.0f "
              "inputs per batch), snapshots %.0f taken / %lld kept, commit retries %.0f\n",
              total, trades, outbox_rows, static_cast<double>(outbox_rows) / total, batches,
              batches > 0 ? static_cast<double>(total) / batches : 0, snapshots_taken, snapshots,
              retries);
  std::printf("this process's CPU time over the service run: %.2f s (%.0f%% of one core; the "
              "rest is waiting for MariaDB and Kafka)\n",
              cpu_seconds, 100 * cpu_seconds / end_s);
  std::printf("outputs equal to the inline ShardState's (%zu rows, %zu trades, 0 dead letters): "
              "%s\n",
              pure.shard_outputs, pure.shard_trades, same_outputs ? "yes" : "NO");
  std::printf(
      "{\"bench\":\"matching_service_shard\", \"symbol\":\"%s\", \"inputs\":%zu, "
      "\"measured_operations\":%llu, \"orders_per_s\":%.0f, \"steady_orders_per_s\":%.0f, "
      "\"seconds\":%.3f, \"startup_seconds\":%.3f, \"trades\":%lld, \"outbox_rows\":%lld, "
      "\"batches\":%.0f, \"snapshots\":%.0f, \"commit_retries\":%.0f, \"cpu_seconds\":%.2f, "
      "\"engine_ops_per_s\":%.0f, \"shard_state_ops_per_s\":%.0f, "
      "\"engine_over_service\":%.1f, \"engine_over_service_steady\":%.1f, "
      "\"same_outputs\":%s}\n",
      kSymbol, total, static_cast<unsigned long long>(orders), service_rate, steady_rate, end_s,
      first_commit_s, trades, outbox_rows, batches, snapshots_taken, retries, cpu_seconds, engine_rate,
      shard_rate, engine_rate / service_rate, steady_rate > 0 ? engine_rate / steady_rate : 0,
      same_outputs ? "true" : "false");
  return same_outputs ? 0 : 1;
}
