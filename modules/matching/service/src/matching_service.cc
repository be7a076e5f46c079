#include "bourse/matching/service/matching_service.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/common/timestamp.h"
#include "bourse/db/sql_error.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/consumer.h"
#include "bourse/kafka/held_messages.h"
#include "bourse/log/log.h"
#include "bourse/market_data/market_view.h"
#include "bourse/market_data/market_view_store.h"
#include "bourse/matching/events.h"
#include "bourse/matching/shard_state.h"
#include "bourse/outbox/outbox_writer.h"
#include "gather_wait.h"
#include "input_decoding.h"
#include "matching_store.h"
#include "output_rows.h"

namespace bourse::matching::service {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often lag gauges and idle snapshots are checked (cheap: cached watermarks).
constexpr milliseconds kHousekeepingInterval{1'000};
// Back-off before retrying a restore that failed (database or broker down), and before
// recreating a consumer whose assignment failed.
constexpr milliseconds kRestoreRetryInterval{1'000};

std::string describe(const Error& error) {
  std::string text = to_string(error.code);
  if (!error.reason.empty()) text += "/" + error.reason;
  return text + ": " + error.message;
}

market_data::MarketView to_market_view(const SymbolView& view) {
  market_data::MarketView out;
  out.symbol = view.symbol;
  const auto convert = [](const std::vector<PriceLevelView>& levels) {
    std::vector<market_data::PriceLevel> converted;
    converted.reserve(levels.size());
    for (const PriceLevelView& level : levels) {
      converted.push_back({level.price, level.quantity, level.orders});
    }
    return converted;
  };
  out.bids = convert(view.bids);
  out.asks = convert(view.asks);
  out.last_trade_price = view.last_trade_price;
  out.last_trade_quantity = view.last_trade_quantity;
  return out;
}

// One assigned partition: its shard and where its replay and commits stand.
struct Partition {
  std::int32_t id = 0;
  std::optional<ShardState> shard;  // empty while refused or awaiting a restore
  bool refused = false;             // retention lost inputs it needs: never processed
  bool needs_restore = false;       // state dropped (fencing, commit budget): restore first
  SteadyClock::time_point next_restore_attempt{};
  std::optional<std::int64_t> committed;  // matching_offsets.next_offset as last seen
  std::int64_t replay_until = 0;          // inputs below it are replayed, not emitted
  std::int64_t position = 0;              // next offset expected from Kafka
  bool live = false;
  SteadyClock::time_point restore_started{};
  std::int64_t replayed = 0;
  std::int64_t inputs_since_snapshot = 0;
  SteadyClock::time_point last_snapshot{};
  metrics::Gauge* lag_gauge = nullptr;
};

// A dead-lettered live input, written with its batch.
struct DeadInput {
  std::int64_t offset = 0;
  std::string payload;
  std::string error;
};

enum class CommitResult { kPending, kCommitted, kFenced, kFailed };

// One partition's share of a batch transaction: what its run produced, and (filled when
// the transaction is prepared) what it writes.
struct PartitionCommit {
  Partition* partition = nullptr;
  std::vector<ShardOutput> outputs;
  std::vector<DeadInput> dead;
  std::optional<std::int64_t> next_offset;  // past the run's last live input; none: snapshot only
  std::int64_t batch_inputs = 0;            // live inputs applied
  bool force_snapshot = false;
  std::vector<market_data::MarketView> views;
  std::int64_t uncovered = 0;  // inputs the newest snapshot will not cover
  std::optional<detail::StoredSnapshot> snapshot;
  std::vector<outbox::OutboxEvent> rows;
  bool fenced = false;
  std::optional<std::int64_t> fenced_by;  // the stored offset that fenced it off
  CommitResult result = CommitResult::kPending;
};

}  // namespace

struct MatchingService::Impl final : kafka::AssignmentListener {
  Impl(db::ConnectionPool& pool_in, kafka::KafkaConfig kafka_config_in, metrics::Registry& registry,
       const Clock& clock_in, std::vector<Instrument> instruments_in,
       MatchingServiceOptions options_in)
      : pool(pool_in),
        kafka_config(std::move(kafka_config_in)),
        clock(clock_in),
        instruments(std::move(instruments_in)),
        options(std::move(options_in)),
        inputs_applied(registry
                           .counter("bourse_matching_inputs_applied_total",
                                    "Live inputs applied and committed by the matching service")
                           .with({})),
        outputs_committed(registry
                              .counter("bourse_matching_outputs_committed_total",
                                       "Matching events committed to matching_outbox")
                              .with({})),
        batches_committed(
            registry
                .counter("bourse_matching_batches_committed_total", "Batch transactions committed")
                .with({})),
        commit_retries(registry
                           .counter("bourse_matching_commit_retries_total",
                                    "Batch transactions retried after a failed commit")
                           .with({})),
        snapshots_taken(
            registry.counter("bourse_matching_snapshots_taken_total", "Shard snapshots stored")
                .with({})),
        snapshots_skipped(registry
                              .counter("bourse_matching_snapshots_skipped_total",
                                       "Snapshots not stored: the state exceeds kMaxSnapshotBytes")
                              .with({})),
        dead_letters(registry
                         .counter("bourse_matching_dead_letters_total",
                                  "Inputs that do not decode, written to dead_letters and skipped")
                         .with({})),
        fencing_refusals(registry
                             .counter("bourse_matching_fencing_refusals_total",
                                      "Batches that wrote nothing because another owner moved "
                                      "the partition's committed offset")
                             .with({})),
        events_replayed(registry
                            .counter("bourse_matching_events_replayed_total",
                                     "Inputs replayed without emitting during restores")
                            .with({})),
        inputs_per_batch(registry
                         .histogram("bourse_matching_batch_inputs",
                                    "Live inputs per committed batch transaction", {},
                                    {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000})
                         .with({})),
        commit_seconds(registry
                           .histogram("bourse_matching_batch_commit_seconds",
                                      "One batch transaction, from BEGIN to COMMIT (retries "
                                      "included)",
                                      {}, {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2, 10})
                           .with({})),
        restore_seconds(registry
                            .histogram("bourse_matching_restore_seconds",
                                       "Restore + replay of a partition, until it is live", {},
                                       {0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300})
                            .with({})),
        partitions_refused(registry
                               .gauge("bourse_matching_partitions_refused",
                                      "Assigned partitions refused: inputs their restore needs "
                                      "are no longer in the log")
                               .with({})),
        lag_family(registry.gauge("bourse_matching_lag_messages",
                                  "Inputs of an assigned partition not committed yet",
                                  {"partition"})) {}

  db::ConnectionPool& pool;
  const kafka::KafkaConfig kafka_config;
  const Clock& clock;
  const std::vector<Instrument> instruments;
  const MatchingServiceOptions options;

  metrics::Counter& inputs_applied;
  metrics::Counter& outputs_committed;
  metrics::Counter& batches_committed;
  metrics::Counter& commit_retries;
  metrics::Counter& snapshots_taken;
  metrics::Counter& snapshots_skipped;
  metrics::Counter& dead_letters;
  metrics::Counter& fencing_refusals;
  metrics::Counter& events_replayed;
  metrics::Histogram& inputs_per_batch;
  metrics::Histogram& commit_seconds;
  metrics::Histogram& restore_seconds;
  // The last batch transaction's duration: the adaptive gathering's measure of how busy
  // the database is (gather_wait.h).
  std::chrono::microseconds last_commit{0};
  metrics::Gauge& partitions_refused;
  metrics::GaugeFamily& lag_family;

  std::unique_ptr<kafka::Consumer> kafka;
  std::map<std::int32_t, Partition> partitions;
  // Polled but not processed yet: inputs of other partitions that arrived while a batch
  // was gathered, and the first input of a new assignment (librdkafka interleaves
  // partitions; see kafka::HeldMessages). Cleared on every assignment change; a
  // partition's are dropped when it is sought. At most kMaxHeldInputBatches * max_batch.
  kafka::HeldMessages held;
  std::uint64_t assignment_epoch = 0;
  SteadyClock::time_point last_housekeeping{};
  SteadyClock::time_point consumer_retry_at{};

  std::thread worker;
  std::atomic<bool> stopping{false};
  std::mutex wake_mutex;
  std::condition_variable wake;

  // --- AssignmentListener (on the driving thread, inside poll() or close()) ----------

  Result<std::vector<kafka::TopicPartitionOffset>> on_assigned(
      const std::vector<kafka::TopicPartition>& assigned) override {
    ++assignment_epoch;
    held.clear();
    std::vector<kafka::TopicPartitionOffset> starts;
    for (const kafka::TopicPartition& tp : assigned) {
      BOURSE_ASSERT(tp.topic == options.input_topic, "only the input topic is subscribed");
      if (tp.partition >= events::kMaxPartitions) {
        return Error::invalid("input partition " + std::to_string(tp.partition) +
                              " beyond events::kMaxPartitions");
      }
      Partition& partition = partitions[tp.partition];
      partition = Partition{};
      partition.id = tp.partition;
      partition.lag_gauge = &lag_family.with({std::to_string(tp.partition)});
      Result<std::int64_t> start = restore(partition);
      if (!start) {
        partitions.clear();
        update_refused_gauge();
        return start.error();
      }
      starts.push_back({tp.topic, tp.partition, *start});
    }
    update_refused_gauge();
    return starts;
  }

  void on_revoked(const std::vector<kafka::TopicPartition>& revoked) override {
    // Batches run between polls: every revoked partition's last batch committed or wrote
    // nothing. The states are dropped; the next owner restores from the database.
    ++assignment_epoch;
    held.clear();
    for (const kafka::TopicPartition& tp : revoked) {
      if (auto it = partitions.find(tp.partition); it != partitions.end()) {
        if (it->second.lag_gauge != nullptr) it->second.lag_gauge->set(0);
        partitions.erase(it);
      }
    }
    update_refused_gauge();
    log::info("matching: partitions revoked",
              {{"group", options.group_id}, {"count", static_cast<std::int64_t>(revoked.size())}});
  }

  void update_refused_gauge() {
    std::int64_t refused = 0;
    for (const auto& [id, partition] : partitions) refused += partition.refused ? 1 : 0;
    partitions_refused.set(static_cast<double>(refused));
  }

  // --- restore ---------------------------------------------------------------------

  // Rebuilds `partition` from the database: the newest snapshot that decodes (or a fresh
  // shard at offset 0) and the committed offset, checked against the log's watermarks.
  // Returns the offset to consume from. A refused partition returns its committed offset
  // (nothing of it is processed). Errors: database or broker trouble (nothing changed).
  Result<std::int64_t> restore(Partition& partition) {
    partition.restore_started = SteadyClock::now();
    std::optional<ShardState> shard;
    std::optional<std::int64_t> committed;
    const Status loaded = pool.with_session([&](soci::session& session) {
      shard.reset();
      committed = detail::load_committed_offset(session, options.input_topic, partition.id,
                                                /*for_update=*/false);
      for (const std::int64_t offset :
           detail::snapshot_offsets(session, options.input_topic, partition.id)) {
        std::optional<detail::StoredSnapshot> stored =
            detail::load_snapshot(session, options.input_topic, partition.id, offset);
        if (!stored) continue;
        Result<ShardState> decoded = ShardState::decode(stored->bytes, partition.id, instruments);
        if (decoded) {
          shard.emplace(std::move(decoded).value());
          break;
        }
        log::error("matching: snapshot does not decode, trying an older one",
                   {{"partition", static_cast<std::int64_t>(partition.id)},
                    {"snapshot_next_offset", offset},
                    {"error", describe(decoded.error())}});
      }
    });
    if (!loaded) return loaded.error();
    if (!shard) shard.emplace(partition.id, instruments, 0);
    const std::int64_t start = shard->next_offset();

    Result<kafka::Watermarks> watermarks =
        kafka ? kafka->query_watermarks({options.input_topic, partition.id}, kWatermarkQueryTimeout)
              : Result<kafka::Watermarks>(Error::unavailable("no consumer"));
    if (!watermarks) return watermarks.error();

    std::string refusal;
    if (committed && start > *committed) {
      refusal = "the newest snapshot is ahead of the committed offset";
    } else if (watermarks->low > start) {
      refusal = "the log starts after the snapshot's offset (retention deleted inputs it needs)";
    } else if (committed && watermarks->high < *committed) {
      refusal = "the log ends before the committed offset (topic recreated or truncated)";
    }
    partition.committed = committed;
    if (!refusal.empty()) {
      log::error("matching: partition refused, not going live",
                 {{"group", options.group_id},
                  {"partition", static_cast<std::int64_t>(partition.id)},
                  {"reason", refusal},
                  {"snapshot_next_offset", start},
                  {"committed_next_offset", committed.value_or(-1)},
                  {"log_start_offset", watermarks->low},
                  {"log_end_offset", watermarks->high}});
      partition.refused = true;
      partition.shard.reset();
      partition.needs_restore = false;
      return committed.value_or(watermarks->low);
    }
    partition.refused = false;
    partition.needs_restore = false;
    partition.shard = std::move(shard);
    partition.replay_until = committed.value_or(start);
    partition.position = start;
    partition.live = false;
    partition.replayed = 0;
    partition.inputs_since_snapshot = 0;
    partition.last_snapshot = SteadyClock::now();
    log::info("matching: partition restored",
              {{"group", options.group_id},
               {"partition", static_cast<std::int64_t>(partition.id)},
               {"snapshot_next_offset", start},
               {"committed_next_offset", committed.value_or(-1)},
               {"to_replay", partition.replay_until - start}});
    if (start >= partition.replay_until) go_live(partition);
    return start;
  }

  void go_live(Partition& partition) {
    if (partition.live) return;
    partition.live = true;
    (void)partition.shard->take_changed_symbols();  // their views were committed already
    const double seconds =
        std::chrono::duration<double>(SteadyClock::now() - partition.restore_started).count();
    restore_seconds.observe(seconds);
    log::info("matching: partition live",
              {{"group", options.group_id},
               {"partition", static_cast<std::int64_t>(partition.id)},
               {"replayed", partition.replayed},
               {"next_offset", partition.replay_until},
               {"restore_ms", static_cast<std::int64_t>(seconds * 1000)}});
  }

  // Drops the partition's state and restores it now (or later if that fails), seeking the
  // consumer to the restored start.
  void drop_and_restore(Partition& partition) {
    partition.shard.reset();
    partition.live = false;
    partition.needs_restore = true;
    partition.next_restore_attempt = SteadyClock::now();
    retry_restore(partition);
  }

  void retry_restore(Partition& partition) {
    if (!partition.needs_restore || SteadyClock::now() < partition.next_restore_attempt) return;
    Result<std::int64_t> start = restore(partition);
    if (!start) {
      partition.needs_restore = true;
      partition.next_restore_attempt = SteadyClock::now() + kRestoreRetryInterval;
      log::warn("matching: restore failed, retrying",
                {{"partition", static_cast<std::int64_t>(partition.id)},
                 {"error", describe(start.error())}});
      return;
    }
    update_refused_gauge();
    // Held-back inputs of this partition are re-fetched after the seek; those of other
    // partitions are kept (their fetch positions are already past them).
    held.drop({options.input_topic, partition.id});
    const Status sought = kafka->seek({options.input_topic, partition.id}, *start);
    if (!sought) {
      // The fetch position stays where it was: restore again later (messages are dropped
      // meanwhile since needs_restore is set).
      partition.shard.reset();
      partition.live = false;
      partition.needs_restore = true;
      partition.next_restore_attempt = SteadyClock::now() + kRestoreRetryInterval;
      log::warn("matching: seek after restore failed, retrying",
                {{"partition", static_cast<std::int64_t>(partition.id)},
                 {"error", describe(sought.error())}});
    }
  }

  // --- driving ---------------------------------------------------------------------

  Status ensure_kafka() {
    if (kafka && !kafka->failed()) return Status::success();
    if (kafka) {
      (void)kafka->close();
      kafka.reset();
      forget_partitions();
      consumer_retry_at = SteadyClock::now() + kRestoreRetryInterval;
    }
    if (SteadyClock::now() < consumer_retry_at) {
      return Error::unavailable("matching consumer failed; recreating it shortly");
    }
    kafka::ConsumerOptions consumer_options;
    consumer_options.group_id = options.group_id;
    consumer_options.topics = {options.input_topic};
    consumer_options.session_timeout = options.session_timeout;
    consumer_options.heartbeat_interval = options.heartbeat_interval;
    consumer_options.max_poll_interval = options.max_poll_interval;
    auto created = kafka::Consumer::create(kafka_config, consumer_options, *this);
    if (!created) return created.error();
    kafka = std::move(created).value();
    return Status::success();
  }

  void forget_partitions() {
    for (auto& [id, partition] : partitions) {
      if (partition.lag_gauge != nullptr) partition.lag_gauge->set(0);
    }
    partitions.clear();
    held.clear();
    update_refused_gauge();
  }

  void close_kafka() {
    if (!kafka) return;
    if (const Status closed = kafka->close(); !closed) {
      log::warn("matching: consumer close failed", {{"error", describe(closed.error())}});
    }
    kafka.reset();
    forget_partitions();
  }

  // One batch: inputs of one or more partitions (each partition's in offset order), at
  // most max_batch in all, gathered until batch_wait after its oldest input was polled,
  // committed in one transaction. Held inputs (what did not fit the last batch, the first
  // input of a new assignment) go first, oldest partition first; a partition with inputs
  // still held gets its newer ones held behind them.
  Result<std::size_t> poll_once(milliseconds timeout) {
    if (Status status = ensure_kafka(); !status) return status.error();
    for (auto& [id, partition] : partitions) retry_restore(partition);
    housekeeping();
    std::map<std::int32_t, std::vector<kafka::Message>> runs;
    std::size_t total = 0;
    // batch_wait counts from when the batch's oldest input was polled (see HeldMessages).
    SteadyClock::time_point first_polled = SteadyClock::now();
    if (const std::optional<kafka::TopicPartition> oldest = held.oldest()) {
      first_polled = held.front_held_at(*oldest);
      for (const kafka::TopicPartition& tp : held.by_age()) {
        if (total == options.max_batch) break;
        std::vector<kafka::Message>& run = runs[tp.partition];
        held.take(tp, options.max_batch - total, run);
        total += run.size();
      }
    } else {
      auto first = kafka->poll(timeout);
      if (!first) {
        log::warn("matching: poll failed", {{"error", describe(first.error())}});
        if (kafka && kafka->failed()) {
          (void)kafka->close();
          kafka.reset();
          forget_partitions();
          consumer_retry_at = SteadyClock::now() + kRestoreRetryInterval;
        }
        return first.error();
      }
      if (!first->has_value()) return std::size_t{0};
      runs[(*first)->partition].push_back(std::move(**first));
      total = 1;
    }
    const std::uint64_t epoch = assignment_epoch;
    const auto deadline =
        first_polled + gather_wait(options.batch_wait, options.batch_wait_per_commit, last_commit);
    while (total < options.max_batch && held.size() < kMaxHeldInputBatches * options.max_batch) {
      const auto remaining = std::max(
          milliseconds{0}, std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()));
      auto more = kafka->poll(remaining);
      if (assignment_epoch != epoch) {
        // A rebalance ran inside this poll: `runs` belong to the revoked assignment and
        // are dropped (their partitions restart from the database wherever they are
        // assigned). A message this poll returned belongs to the new assignment: keep it.
        if (more && more->has_value()) held.hold(std::move(**more), SteadyClock::now());
        return std::size_t{0};
      }
      if (!more || !more->has_value()) break;
      if (held.holds({(*more)->topic, (*more)->partition})) {
        held.hold(std::move(**more), SteadyClock::now());
      } else {
        runs[(*more)->partition].push_back(std::move(**more));
        ++total;
      }
    }
    return process(runs);
  }

  // Lag gauges and idle snapshots, at most every kHousekeepingInterval.
  void housekeeping() {
    const auto now = SteadyClock::now();
    if (!kafka || now - last_housekeeping < kHousekeepingInterval) return;
    last_housekeeping = now;
    for (auto& [id, partition] : partitions) {
      if (partition.lag_gauge != nullptr && partition.committed) {
        if (auto cached = kafka->cached_watermarks({options.input_topic, id}); cached && *cached) {
          partition.lag_gauge->set(static_cast<double>(
              std::max<std::int64_t>(0, (*cached)->high - *partition.committed)));
        }
      }
      if (partition.live && partition.shard && partition.inputs_since_snapshot > 0 &&
          now - partition.last_snapshot >= options.snapshot_interval) {
        std::vector<PartitionCommit> snapshot_only(1);
        snapshot_only.front().partition = &partition;
        snapshot_only.front().force_snapshot = true;
        commit(snapshot_only);
      }
    }
  }

  // Applies each partition's run to its shard, then commits every partition's outputs,
  // market views and offset in one transaction. Returns the live inputs committed.
  Result<std::size_t> process(const std::map<std::int32_t, std::vector<kafka::Message>>& runs) {
    std::vector<PartitionCommit> commits;
    for (const auto& [partition_id, run] : runs) {
      auto it = partitions.find(partition_id);
      if (it == partitions.end()) continue;  // not assigned here (any more)
      Partition& partition = it->second;
      if (partition.refused || partition.needs_restore || !partition.shard) continue;
      PartitionCommit work;
      work.partition = &partition;
      std::vector<ShardOutput> discarded;
      for (const kafka::Message& message : run) {
        if (message.offset < partition.position) continue;  // re-delivered: applied already
        Result<ShardInput> input = decode_input(message.value);
        if (message.offset < partition.replay_until) {
          if (input) {
            discarded.clear();
            partition.shard->apply(message.offset, *input, discarded);
            ++partition.replayed;
            events_replayed.inc();
          }
          partition.position = message.offset + 1;
          if (partition.position >= partition.replay_until) go_live(partition);
          continue;
        }
        if (!partition.live) go_live(partition);
        if (input) {
          partition.shard->apply(message.offset, *input, work.outputs);
          ++work.batch_inputs;
        } else {
          work.dead.push_back({message.offset, message.value, describe(input.error())});
        }
        partition.position = message.offset + 1;
        work.next_offset = message.offset + 1;
      }
      if (work.next_offset) commits.push_back(std::move(work));
    }
    if (commits.empty()) return std::size_t{0};
    commit(commits);
    std::size_t applied = 0;
    for (const PartitionCommit& work : commits) {
      if (work.result != CommitResult::kCommitted) continue;
      applied += static_cast<std::size_t>(work.batch_inputs);
      inputs_applied.inc(static_cast<std::uint64_t>(work.batch_inputs));
      outputs_committed.inc(work.outputs.size());
      dead_letters.inc(work.dead.size());
      for (const DeadInput& letter : work.dead) {
        log::error("matching: input does not decode, dead-lettered and skipped",
                   {{"group", options.group_id},
                    {"partition", static_cast<std::int64_t>(work.partition->id)},
                    {"offset", letter.offset},
                    {"error", letter.error}});
      }
    }
    return applied;
  }

  // Prepares the writes of one partition's share of a batch: its market views, its
  // snapshot if one is due, its outbox rows. False when there is nothing to write (no
  // input and no snapshot): the partition is then done.
  bool prepare(PartitionCommit& work, const std::string& executed_at) {
    Partition& partition = *work.partition;
    BOURSE_ASSERT(partition.shard.has_value(), "a commit has a shard");
    for (const std::string& symbol : partition.shard->take_changed_symbols()) {
      std::optional<SymbolView> view = partition.shard->view(symbol, market_data::kMaxStoredDepth);
      BOURSE_ASSERT(view.has_value(), "a changed symbol is configured");
      work.views.push_back(to_market_view(*view));
    }
    // Inputs the newest stored snapshot does not cover, once this batch commits.
    work.uncovered = partition.inputs_since_snapshot + work.batch_inputs;
    const bool snapshot_due =
        work.uncovered > 0 &&
        (work.force_snapshot || work.uncovered >= options.snapshot_every_inputs ||
         SteadyClock::now() - partition.last_snapshot >= options.snapshot_interval);
    if (snapshot_due) {
      std::string bytes = partition.shard->encode();
      if (bytes.size() > detail::kMaxSnapshotBytes) {
        snapshots_skipped.inc();
        log::error("matching: state too big to snapshot, restores replay longer",
                   {{"partition", static_cast<std::int64_t>(partition.id)},
                    {"bytes", static_cast<std::int64_t>(bytes.size())}});
        partition.last_snapshot = SteadyClock::now();
      } else {
        work.snapshot = detail::StoredSnapshot{partition.shard->next_offset(),
                                               static_cast<int>(kShardSnapshotFormat),
                                               std::move(bytes)};
      }
    }
    if (!work.next_offset && !work.snapshot) return false;
    work.rows.reserve(work.outputs.size());
    for (const ShardOutput& output : work.outputs) {
      work.rows.push_back(outbox_row(output, partition.id, options.output_topic, executed_at));
    }
    return true;
  }

  // One partition's writes inside the batch transaction (its offset row is locked and
  // matches partition.committed) but its outputs (the caller appends every partition's
  // together, last); the statements that need nothing back are appended to `last_writes`.
  Status write(soci::session& session, const PartitionCommit& work,
               db::ConnectionPool::LastWrites& last_writes) {
    const Partition& partition = *work.partition;
    for (const DeadInput& letter : work.dead) {
      detail::insert_dead_letter(session, options.group_id, options.input_topic, partition.id,
                                 letter.offset, letter.payload, letter.error);
    }
    if (work.snapshot) {
      detail::store_snapshot(session, options.input_topic, partition.id, *work.snapshot,
                             options.snapshots_kept);
    }
    const std::int64_t committed_after =
        work.next_offset.value_or(partition.committed.value_or(0));
    const std::span<const market_data::MarketView> all_views(work.views);
    for (std::size_t begin = 0; begin < all_views.size();
         begin += market_data::kMaxMarketViewsPerUpsert) {
      const std::size_t count =
          std::min(market_data::kMaxMarketViewsPerUpsert, all_views.size() - begin);
      last_writes.push_back(market_data::market_views_upsert(all_views.subspan(begin, count),
                                                             partition.id, committed_after));
    }
    return Status::success();
  }

  // The batch transaction of one or more partitions (a partition without next_offset
  // writes only its snapshot), retried as computed until it commits or the retry budget
  // runs out. A partition whose stored offset moved (another owner) is fenced off: nothing
  // of it is written and it is restored; the others commit. Sets each work.result.
  void commit(std::vector<PartitionCommit>& commits) {
    const std::string executed_at = format_rfc3339_utc(clock.now());
    std::vector<PartitionCommit*> pending;
    for (PartitionCommit& work : commits) {
      if (prepare(work, executed_at)) {
        pending.push_back(&work);
      } else {
        work.partition->inputs_since_snapshot = work.uncovered;
        work.result = CommitResult::kCommitted;
      }
    }
    if (pending.empty()) return;
    std::vector<std::int32_t> ids;
    for (const PartitionCommit* work : pending) ids.push_back(work->partition->id);

    const auto started = SteadyClock::now();
    const auto deadline = started + options.commit_retry_budget;
    milliseconds backoff = kInitialCommitBackoff;
    while (true) {
      // Two round trips in the common case: BEGIN with the fencing read of every
      // partition, then the outputs, the market views, the offsets and the COMMIT
      // together. Dead letters and snapshots (rare) are written on the way.
      const Status status = pool.in_transaction_ending_with(
          [&](soci::session& session) -> Result<db::ConnectionPool::LastWrites> {
            db::ConnectionPool::LastWrites last_writes;
            std::vector<std::pair<std::int32_t, std::int64_t>> offsets;
            const auto stored =
                detail::begin_and_lock_committed_offsets(session, options.input_topic, ids);
            for (PartitionCommit* work : pending) {
              work->fenced_by = stored.at(work->partition->id);
              work->fenced = work->fenced_by != work->partition->committed;
              if (work->fenced) continue;  // nothing of it written
              if (Status written = write(session, *work, last_writes); !written) {
                return written.error();
              }
              if (work->next_offset) offsets.emplace_back(work->partition->id, *work->next_offset);
            }
            if (!offsets.empty()) {
              last_writes.push_back(detail::committed_offsets_upsert(options.input_topic, offsets));
            }
            // Every written partition's outputs, in partition order, last: the outbox's
            // sequence row is held from its bump to the COMMIT (outbox_writer.h "Ids").
            std::vector<const outbox::OutboxEvent*> rows;
            for (const PartitionCommit* work : pending) {
              if (work->fenced) continue;
              for (const outbox::OutboxEvent& row : work->rows) rows.push_back(&row);
            }
            for (std::size_t begin = 0; begin < rows.size(); begin += outbox::kMaxAppendBatch) {
              const std::size_t count = std::min(outbox::kMaxAppendBatch, rows.size() - begin);
              auto prepared = outbox::prepare_append(
                  events::kOutboxTable,
                  std::span<const outbox::OutboxEvent* const>(rows.data() + begin, count), clock);
              if (!prepared) return prepared.error();
              for (db::SqlStatement& write : prepared->statements) {
                last_writes.push_back(std::move(write));
              }
            }
            return last_writes;
          },
          /*max_attempts=*/1, db::Isolation::kServerDefault, db::ConnectionPool::Begin::kByWork);
      if (status) {
        last_commit = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() -
                                                                            started);
        commit_seconds.observe(std::chrono::duration<double>(last_commit).count());
        bool published = false;
        std::int64_t inputs = 0;
        bool moved = false;  // any partition's offset moved: a batch, not a snapshot alone
        for (PartitionCommit* work : pending) {
          committed(*work, published);
          if (work->result == CommitResult::kCommitted && work->next_offset) {
            moved = true;
            inputs += work->batch_inputs;
          }
        }
        if (moved) {
          batches_committed.inc();
          inputs_per_batch.observe(static_cast<double>(inputs));
        }
        if (published && options.after_commit) options.after_commit();
        return;
      }
      if (stopping.load() || SteadyClock::now() + backoff > deadline) {
        for (PartitionCommit* work : pending) {
          log::error("matching: batch commit keeps failing; dropping the shard and restoring",
                     {{"group", options.group_id},
                      {"partition", static_cast<std::int64_t>(work->partition->id)},
                      {"error", describe(status.error())}});
          work->result = CommitResult::kFailed;
          drop_and_restore(*work->partition);
        }
        return;
      }
      commit_retries.inc();
      log::warn("matching: batch commit failed, retrying the same outputs",
                {{"partitions", static_cast<std::int64_t>(pending.size())},
                 {"first_partition", static_cast<std::int64_t>(ids.front())},
                 {"backoff_ms", static_cast<std::int64_t>(backoff.count())},
                 {"error", describe(status.error())}});
      sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxCommitBackoff);
    }
  }

  // After the batch's COMMIT: one partition's bookkeeping (or its restore, if fenced).
  void committed(PartitionCommit& work, bool& published) {
    Partition& partition = *work.partition;
    if (work.fenced) {
      fencing_refusals.inc();
      log::warn("matching: batch fenced off, another owner moved the partition; restoring",
                {{"group", options.group_id},
                 {"partition", static_cast<std::int64_t>(partition.id)},
                 {"expected_next_offset", partition.committed.value_or(-1)},
                 {"stored_next_offset", work.fenced_by.value_or(-1)}});
      work.result = CommitResult::kFenced;
      drop_and_restore(partition);
      return;
    }
    if (work.next_offset) partition.committed = work.next_offset;
    if (work.snapshot) {
      snapshots_taken.inc();
      partition.inputs_since_snapshot = 0;
      partition.last_snapshot = SteadyClock::now();
    } else {
      partition.inputs_since_snapshot = work.uncovered;
    }
    if (!work.rows.empty()) published = true;
    work.result = CommitResult::kCommitted;
  }

  void sleep_for(milliseconds duration) {
    std::unique_lock lock(wake_mutex);
    wake.wait_for(lock, duration, [&] { return stopping.load(); });
  }

  void run() {
    while (!stopping.load()) {
      auto result = poll_once(kWorkerPollTimeout);
      if (!result) sleep_for(kWorkerPollTimeout);
    }
    close_kafka();
  }
};

Result<std::unique_ptr<MatchingService>> MatchingService::create(
    db::ConnectionPool& pool, kafka::KafkaConfig kafka_config, metrics::Registry& registry,
    const Clock& clock, std::vector<Instrument> instruments, MatchingServiceOptions options) {
  if (Status valid = validate(options); !valid) return valid.error();
  if (Status valid = kafka::validate(kafka_config); !valid) return valid.error();
  if (instruments.empty()) return Error::invalid("the matching service needs instruments");
  for (const Instrument& instrument : instruments) {
    if (Status valid = validate_instrument(instrument); !valid) return valid.error();
  }
  return std::unique_ptr<MatchingService>(new MatchingService(std::make_unique<Impl>(
      pool, std::move(kafka_config), registry, clock, std::move(instruments), std::move(options))));
}

MatchingService::MatchingService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MatchingService::~MatchingService() {
  stop();
  impl_->close_kafka();
}

Status MatchingService::start() {
  if (impl_->worker.joinable())
    return Error{ErrorCode::kConflict, "matching service running", "already_running"};
  impl_->stopping = false;
  impl_->worker = std::thread([this] {
    set_current_thread_name("matching");
    impl_->run();
  });
  return Status::success();
}

void MatchingService::stop() {
  {
    std::lock_guard lock(impl_->wake_mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

Result<std::size_t> MatchingService::poll_once(std::chrono::milliseconds timeout) {
  return impl_->poll_once(timeout);
}

Status MatchingService::check_input_retention(std::chrono::milliseconds timeout) {
  auto admin = kafka::Admin::create(impl_->kafka_config);
  if (!admin) return admin.error();
  auto retention = (*admin)->topic_retention_ms(impl_->options.input_topic, timeout);
  if (!retention) return retention.error();
  const std::int64_t needed_ms =
      kMinRetentionSnapshotIntervals *
      std::chrono::duration_cast<milliseconds>(impl_->options.snapshot_interval).count();
  if (*retention != -1 && *retention < needed_ms) {
    log::error("matching: input topic retention too short for the snapshot interval",
               {{"topic", impl_->options.input_topic},
                {"retention_ms", *retention},
                {"needed_ms", needed_ms}});
    return Error::invalid(
        "input topic " + impl_->options.input_topic + " keeps messages " +
            std::to_string(*retention) + " ms; at least " + std::to_string(needed_ms) + " ms (" +
            std::to_string(kMinRetentionSnapshotIntervals) + " snapshot intervals) or -1 needed",
        kRetentionTooShortReason);
  }
  return Status::success();
}

std::optional<std::string> MatchingService::encoded_shard(std::int32_t partition) const {
  auto it = impl_->partitions.find(partition);
  if (it == impl_->partitions.end() || !it->second.shard) return std::nullopt;
  return it->second.shard->encode();
}

bool MatchingService::live(std::int32_t partition) const {
  auto it = impl_->partitions.find(partition);
  return it != impl_->partitions.end() && it->second.live;
}

std::vector<std::int32_t> MatchingService::assigned_partitions() const {
  std::vector<std::int32_t> out;
  for (const auto& [id, partition] : impl_->partitions) out.push_back(id);
  return out;
}

}  // namespace bourse::matching::service
