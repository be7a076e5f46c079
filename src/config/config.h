// The process configuration, layered: defaults < TOML file < BOURSE_* environment <
// command-line `--set key=value`.
//
// Every setting has one dotted key ("http.port", "db.password"); its environment
// variable is BOURSE_ + the key upper-cased with '.' -> '_' (BOURSE_HTTP_PORT). The
// TOML file uses the same keys as tables ([http] port = 8080). Each value is parsed and
// range-checked when it is applied, so a bad value fails start-up with a message
// naming the key and the layer it came from. Unknown keys in the file or on the
// command line are errors (typos must not be silently ignored); unknown BOURSE_*
// variables are ignored because tests and scripts use that prefix for their own.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/instrument.h"
#include "bourse/db/db_config.h"

namespace bourse::config {

struct HttpSettings {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  std::size_t max_body_bytes = limits::kMaxHttpBodyBytes;
  std::chrono::milliseconds read_timeout = limits::kHttpReadTimeout;
  std::chrono::milliseconds idle_timeout = limits::kHttpIdleTimeout;
  int max_connections = 1'000;
  // How long SIGTERM waits for in-flight requests before closing connections.
  std::chrono::milliseconds shutdown_grace{10'000};
};

struct BlockingSettings {
  int threads = 16;
  std::size_t queue_depth = 1'024;
};

// Upper bound of kafka.consumer_batch_wait_ms and kafka.matching_batch_wait_ms: the
// consumers' and the matching service's own kMaxBatchWait (static_assert in src/app/serve.cc).
inline constexpr std::chrono::milliseconds kMaxConsumerBatchWait{1'000};
// Upper bound of kafka.matching_batch_wait_per_commit: the matching service's
// kMaxBatchWaitPerCommit (static_assert in src/app/serve.cc).
inline constexpr int kMaxMatchingBatchWaitPerCommit = 16;

struct KafkaSettings {
  std::string brokers = "127.0.0.1:9092";
  std::string client_id = "bourse";
  std::string topic_prefix = "bourse.";
  int partitions = 1;  // of each topic, at creation; bourse.toml says why 1
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // How long each exactly-once consumer (settlement, order status) keeps gathering a
  // batch (of every partition's messages) after its oldest message
  // (kafka.consumer_batch_wait_ms, [0, 1000]). While a batch's transaction runs the next
  // one fills anyway, so a short wait still makes big batches under load: 10 ms took
  // trade->settled p50 from ~70 to ~35 ms at 1,000 orders/s without costing the front
  // door (docs/PERFORMANCE.md, "2 Dec, 13:30-15:30").
  std::chrono::milliseconds consumer_batch_wait{10};
  // The same for the matching service (kafka.matching_batch_wait_ms, [0, 1000]). Its
  // batches are the input of the order->trade hop; a shorter wait made more, smaller
  // matching transactions that slowed the order groups on a 2-core machine.
  std::chrono::milliseconds matching_batch_wait{50};
  // 0: every matching batch gathers for matching_batch_wait. N > 0: for N times the
  // previous batch transaction's duration, at most matching_batch_wait
  // (kafka.matching_batch_wait_per_commit, [0, 16]; see the matching service's
  // gather_wait.h).
  int matching_batch_wait_per_commit = 0;
};

// Bounds of outbox.relay_idle_poll_max_ms: the relay's own kMinRelayPollInterval and
// kMaxRelayPollInterval (static_assert in src/app/event_pipeline.cc).
inline constexpr std::chrono::milliseconds kMinRelayIdlePollMax{1};
inline constexpr std::chrono::milliseconds kMaxRelayIdlePollMax{10'000};

// The outbox relays (modules/outbox, relay_options.h).
struct OutboxSettings {
  // Longest wait of an idle relay (outbox.relay_idle_poll_max_ms, [1, 10000]): after
  // fetches that found nothing the 20 ms poll doubles up to this. Rows this instance
  // commits wake its relays at once; rows committed by OTHER instances wait at most this
  // long after an idle spell. 20 or less: no back-off (the relays poll every 20 ms).
  std::chrono::milliseconds relay_idle_poll_max{160};
};

// Fault injection for the chaos suite; empty = off (the default). Never set in
// production: the process dies on purpose.
struct FaultSettings {
  // An outbox table name: the first time that table's relay has produced a batch, the
  // process exits at once (as kill -9 would), before the relay advances the outbox's
  // "published up to" id past those rows.
  std::string relay_exit_after_produce;
};

// The saga timeout scheduler and its pruning (modules/scheduler, saga_scheduler.h).
struct SchedulerSettings {
  bool enabled = true;                                  // scheduler.enabled
  std::chrono::milliseconds interval{3'000};            // scheduler.interval_ms
  std::chrono::milliseconds saga_timeout{30'000};       // scheduler.saga_timeout_ms
  std::chrono::hours processed_events_retention{24 * 14};  // scheduler.processed_events_retention_h
  std::chrono::hours idempotency_key_retention{24 * 7};    // scheduler.idempotency_key_retention_h
  std::chrono::hours dead_letter_retention{24 * 30};       // scheduler.dead_letter_retention_h
  std::chrono::hours snapshot_retention{24};               // scheduler.snapshot_retention_h
};

// The virtual reference prices (modules/market_data/README.md): the GBM generator that
// one instance runs under the "price_generator" lease, and every instance's view.
// enabled = false: no generator and no view; the configured reference prices stay.
struct PriceSettings {
  bool enabled = true;
  std::chrono::milliseconds interval{1'000};  // one model step per interval
  double drift = 0.0;                         // annualised
  double volatility = 0.3;                    // annualised
  double pull = 0.01;                         // per step, toward the last trade, 0..1
  std::int32_t max_step_bps = 500;            // per-step move bound
  std::int64_t seed = 1;
  std::chrono::milliseconds refresh{500};     // every instance re-reads the table
};

// The periodic reconciliation (modules/scheduler, reconciliation_job.h); the defaults are
// scheduler::kDefaultReconciliationInterval and kDefaultKeptReconciliationRuns.
struct ReconciliationSettings {
  std::chrono::milliseconds interval{60'000};  // between two runs of the lease holder
  std::size_t keep_runs = 1'440;               // reports kept in reconciliation_runs
  int db_share_pct = 20;  // scheduler::kDefaultReconciliationDbSharePct (reconciler.h, "Pace")
};

// The live streams (src/streams, docs/STREAMS.md).
struct StreamSettings {
  int max_subscribers = 2'000;                   // open streams per instance
  std::chrono::milliseconds heartbeat{15'000};   // ": hb" comment period
  int queue_events = 256;                        // per subscriber; full + stalled -> dropped
  std::chrono::milliseconds window{600'000};     // how far back the ring starts and keeps
  int ring_events = 100'000;                     // the ring's count bound
};

// Order entry (modules/order, order_service.h).
struct OrderSettings {
  // order.committer_lanes, [1, order::limits::kMaxCommitterLanes]: committer threads, a
  // user's orders always in the same one (each lane holds a database session).
  std::size_t committer_lanes = 1;
};

// What this instance runs besides the HTTP API, order entry, the outbox relays, the
// reconciliation job and the saga scheduler (those always run; leases pick one active
// instance where only one may act). An instance with both false is an order gateway:
// it reserves and commits orders and relays them to Kafka; other instances match and
// settle. Every deployment needs at least one instance with each role, or orders stay
// PENDING (nothing is lost: they wait in Kafka).
struct RoleSettings {
  bool matching = true;         // roles.matching: the matching service (its consumer group)
  bool event_consumers = true;  // roles.event_consumers: the wiring table's subscriptions
                                // (settlement, order status follower)
};

// Thread priorities (include/bourse/common/thread_priority.h).
struct ThreadSettings {
  // threads.background_nice, [0, 19]: the nice value of every thread behind the front
  // door (matching, relays, consumers, their Kafka clients, the saga scheduler, the
  // reconciliation job, the price generator). 0 (the default): the same priority as
  // order entry. Measured without a proven gain on the benchmark machine (MariaDB's
  // threads serve both halves at one priority), so off unless a deployment asks.
  int background_nice = 0;
};

struct Config {
  HttpSettings http;
  RoleSettings roles;
  OrderSettings order;
  ThreadSettings threads;
  StreamSettings stream;
  db::DbConfig db;
  KafkaSettings kafka;
  OutboxSettings outbox;
  BlockingSettings blocking;
  SchedulerSettings scheduler;
  PriceSettings prices;
  ReconciliationSettings reconciliation;
  std::string log_level = "info";
  std::string migrations_dir = "migrations";
  FaultSettings faults;
  // The symbol table: [symbols.AAPL] tick_size = "0.01", lot_size = 1,
  // max_order_quantity = 1000000, reference_price = "150", price_band_bps = 1000.
  // Keys symbols.<SYMBOL>.<field> work in every layer (BOURSE_SYMBOLS_... does not:
  // environment names cannot keep the symbol's case and dots).
  std::map<std::string, Instrument> symbols;
};

// Where a layer's values came from, for error messages.
struct Source {
  std::string config_file;                               // empty: no file
  std::map<std::string, std::string> environment;        // usually from environ
  std::vector<std::string> overrides;                    // "key=value" from --set
};

// Applies the layers in order and validates the result.
Result<Config> load(const Source& source);

// The environment of this process (BOURSE_* variables only).
std::map<std::string, std::string> process_environment();

// key -> value for every setting, secrets replaced by "***": for the start-up log.
std::map<std::string, std::string> effective(const Config& config);

// Every known key, in a stable order (for docs and `bourse serve --help`).
std::vector<std::string> known_keys();

}  // namespace bourse::config
