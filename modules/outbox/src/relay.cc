#include "bourse/outbox/relay.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "batch_publisher.h"
#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/kafka/producer.h"
#include "bourse/log/log.h"
#include "outbox_store.h"
#include "relay_lease.h"
#include "relay_metrics.h"

namespace bourse::outbox {
namespace {

// The relay's producer: publish_batch sends each batch at once with send_now() (a relay
// batch is already a batch; linger.ms only applies if that request were lost) and a
// recreated producer gives up on leftovers quickly (they are republished anyway).
kafka::ProducerOptions relay_producer_options() {
  kafka::ProducerOptions options;
  options.linger = std::chrono::milliseconds(5);
  options.close_timeout = std::chrono::milliseconds(2'000);
  return options;
}

// With the idempotent producer, any error that could leave a gap in a partition's
// sequence becomes fatal instead of letting later messages through (librdkafka's
// enable.gapless.guarantee), so a failed row is not overtaken by a later row of its key
// within one producer. Left alone if the configuration sets it explicitly.
kafka::KafkaConfig relay_kafka_config(kafka::KafkaConfig config) {
  config.properties.try_emplace("enable.gapless.guarantee", "true");
  return config;
}

std::int64_t as_int64(std::size_t value) { return static_cast<std::int64_t>(value); }

}  // namespace

struct Relay::State {
  State(db::ConnectionPool& pool_in, kafka::KafkaConfig kafka_in, metrics::Registry& registry,
        const Clock& clock_in, RelayOptions options_in)
      : pool(pool_in),
        kafka_config(std::move(kafka_in)),
        clock(clock_in),
        options(std::move(options_in)),
        store(pool_in, options.table),
        lease(pool_in.config(), relay_lease_name(pool_in.config().database, options.table)),
        metrics(registry, options.table),
        last_cleanup(clock_in.steady_now()) {}

  db::ConnectionPool& pool;
  const kafka::KafkaConfig kafka_config;
  const Clock& clock;
  const RelayOptions options;

  // Serialises run_once() callers and the relay thread; guards everything below
  // down to `thread`.
  std::mutex work_mutex;
  OutboxStore store;
  db::SessionLease lease;
  RelayMetrics metrics;
  std::unique_ptr<kafka::Producer> producer;
  std::chrono::steady_clock::time_point last_cleanup;
  std::optional<std::chrono::steady_clock::time_point> last_metrics_refresh;
  // Progress while the lease is ours (read when it is taken): every row up to
  // `published_up_to` is recorded as published; rows up to `acked_up_to` were acknowledged
  // by the broker, and the relay thread's next fetch round trip records them
  // (fetch_under_lease). Equal between run_once() calls.
  std::int64_t published_up_to = 0;
  std::int64_t acked_up_to = 0;
  // Since when the next id (acked_up_to + 1) is missing while later ones are visible.
  std::optional<std::chrono::steady_clock::time_point> gap_since;

  // Thread control.
  std::mutex control_mutex;
  std::condition_variable wake;
  bool stop_requested = false;  // guarded by control_mutex
  bool woken = false;           // guarded by control_mutex: wake() since the last idle wait
  std::thread thread;           // guarded by control_mutex (start/stop)
  std::atomic<bool> running{false};
  std::atomic<bool> lease_held{false};

  // --- Everything below runs with work_mutex held. ---

  void set_lease_held(bool held) {
    lease_held.store(held);
    metrics.lease_held.set(held ? 1.0 : 0.0);
  }

  void drop_lease() {
    lease.release();
    set_lease_held(false);
  }

  Error fail(Error error, std::string_view what) {
    metrics.publish_failures_total.inc();
    log::warn("outbox relay iteration failed", {{"outbox", options.table},
                                                {"instance", options.instance_id},
                                                {"step", what},
                                                {"code", to_string(error.code)},
                                                {"reason", error.reason},
                                                {"error", error.message}});
    return error;
  }

  // Re-reads pending_rows / oldest_unpublished_age_seconds when kRelayMetricsRefreshInterval
  // has passed since the last read (or always with `force`, used only after a failed
  // delivery). One COUNT(*) query; a failed read leaves the gauges as they were.
  void refresh_pending_metrics(bool force) {
    const auto now = clock.steady_now();
    if (!force && last_metrics_refresh.has_value() &&
        now - *last_metrics_refresh < kRelayMetricsRefreshInterval) {
      return;
    }
    auto stats = store.pending_stats();
    if (!stats) {
      log::debug("outbox relay: pending stats unavailable",
                 {{"outbox", options.table}, {"error", stats.error().message}});
      return;
    }
    metrics.pending_rows.set(static_cast<double>(stats->rows));
    metrics.oldest_unpublished_age_seconds.set(stats->oldest_age_seconds);
    last_metrics_refresh = now;
  }

  struct Fetched {
    std::vector<OutboxRow> rows;  // a contiguous run of ids from acked_up_to + 1
    // The round trip's write (the progress, or else the barrier) changed a row: its
    // commit flushed the redo log past everything the fetch saw.
    bool durable = false;
    bool held_back = false;  // rows were visible past a missing id: wait for it
    std::chrono::steady_clock::time_point fetched_at;
  };

  // Keeps the run of `rows` whose ids follow acked_up_to without a hole. Ids are dense
  // and in commit order (outbox_writer.h, "Ids"), so a missing id is a transaction that
  // InnoDB has not made visible yet, and waiting a moment finds it. A hole that outlives
  // kRelayGapSkipAfter cannot be that (the writer holding the id would also hold the
  // sequence row, and no later id could exist); it is a row deleted by hand or written
  // around the sequence: skipped, loudly.
  void keep_contiguous(Fetched& fetched) {
    std::vector<OutboxRow>& rows = fetched.rows;
    if (rows.empty()) {
      gap_since.reset();
      return;
    }
    if (rows.front().id != acked_up_to + 1) {
      metrics.holes_waited_total.inc();
      const auto now = clock.steady_now();
      if (!gap_since) gap_since = now;
      if (now - *gap_since < kRelayGapSkipAfter) {
        rows.clear();
        fetched.held_back = true;
        return;
      }
      metrics.gaps_skipped_total.inc();
      log::error("outbox relay: skipping missing ids (deleted or written around the sequence)",
                 {{"outbox", options.table},
                  {"instance", options.instance_id},
                  {"first_missing", acked_up_to + 1},
                  {"next_present", rows.front().id}});
    }
    gap_since.reset();
    std::size_t run = 1;
    while (run < rows.size() && rows[run].id == rows[run - 1].id + 1) ++run;
    if (run < rows.size()) {
      metrics.holes_waited_total.inc();
      rows.resize(run);
      fetched.held_back = true;  // the next fetch starts at the hole
    }
  }

  // Checks the lease, fetches the next batch and then writes, in ONE round trip on the
  // lease's session (db::SessionLease::still_held_running): the progress up to
  // acked_up_to if it moved, else the barrier that writes only when the fetch found rows.
  // Either write, coming after the fetch, is the fetch's durability barrier.
  // Rows come back only from a fetch made while the lease was ours; the write runs
  // either way (recording acknowledged rows and a barrier are harmless without it).
  // REQUIRES: lease.held().
  Result<Fetched> fetch_under_lease() {
    const bool recording = acked_up_to > published_up_to;
    const std::vector<db::SqlStatement> statements{
        store.rows_after_query(acked_up_to, options.batch_size),
        recording ? store.progress_statement(acked_up_to) : store.barrier_after_fetch()};
    auto outcomes = lease.still_held_running(statements);
    if (outcomes && outcomes->has_value()) {
      const std::vector<db::StatementOutcome>& done = **outcomes;
      BOURSE_ASSERT(done.size() == 2, "the fetch and its write");
      const long long written = done[1].affected_rows;
      BOURSE_ASSERT(written >= 0, "a write reports what it changed");
      // Recorded (or someone recorded further: GREATEST left it alone).
      if (recording) published_up_to = acked_up_to;
      Fetched fetched{OutboxStore::rows_after(done[0].rows, acked_up_to, options.batch_size),
                      written > 0, false, clock.steady_now()};
      keep_contiguous(fetched);
      return fetched;
    }
    set_lease_held(false);
    const std::string why = outcomes ? "the lock is no longer ours" : outcomes.error().message;
    log::warn("outbox relay lost its lease", {{"outbox", options.table},
                                              {"instance", options.instance_id},
                                              {"lease", lease.name()},
                                              {"error", why}});
    return Error{ErrorCode::kUnavailable, "relay lease lost: " + why, kLeaseLostReason};
  }

  // Records acked_up_to now, on a pool session (a failed batch, run_once(), and stop():
  // no next fetch will carry it). A failure leaves the rows to be published again
  // (at-least-once).
  Status record_progress_now() {
    if (acked_up_to <= published_up_to) return Status::success();
    if (Status recorded = store.record_progress(acked_up_to); !recorded) {
      return fail(recorded.error(), "record_progress");
    }
    published_up_to = acked_up_to;
    return Status::success();
  }

  // Takes the lease; ok when this relay may publish.
  Status take_lease() {
    BOURSE_ASSERT(!lease.held(), "the lease is taken once");
    auto acquired = lease.try_acquire();
    if (!acquired) {
      set_lease_held(false);
      return acquired.error();
    }
    if (!*acquired) {
      set_lease_held(false);
      return Error{ErrorCode::kConflict, "another instance holds " + lease.name(),
                   kLeaseNotHeldReason};
    }
    // Where the last holder got to (its acknowledged but unrecorded rows go out again).
    auto recorded = store.published_up_to();
    if (!recorded) {
      drop_lease();
      return recorded.error();
    }
    published_up_to = acked_up_to = *recorded;
    gap_since.reset();
    set_lease_held(true);
    last_cleanup = clock.steady_now();
    log::info(
        "outbox relay acquired its lease",
        {{"outbox", options.table}, {"instance", options.instance_id}, {"lease", lease.name()}});
    return Status::success();
  }

  Status ensure_producer() {
    if (producer != nullptr && !producer->fatal()) return Status::success();
    if (producer != nullptr) {
      log::warn("outbox relay: recreating the Kafka producer after a fatal error",
                {{"outbox", options.table}, {"instance", options.instance_id}});
      producer.reset();
    }
    auto created =
        kafka::Producer::create(relay_kafka_config(kafka_config), relay_producer_options());
    if (!created) return created.error();
    producer = std::move(created).value();
    return Status::success();
  }

  void cleanup_if_due() {
    const auto now = clock.steady_now();
    if (now - last_cleanup < options.cleanup_interval) return;
    last_cleanup = now;
    std::size_t deleted_total = 0;
    for (int chunk = 0; chunk < kMaxRelayCleanupChunksPerRound; ++chunk) {
      auto deleted = store.delete_published_before(options.retention, published_up_to);
      if (!deleted) {
        (void)fail(deleted.error(), "cleanup");
        break;
      }
      deleted_total += *deleted;
      if (*deleted < kRelayCleanupChunkRows) break;
    }
    if (deleted_total > 0) {
      log::info("outbox relay deleted expired published rows",
                {{"outbox", options.table}, {"rows", as_int64(deleted_total)}});
    }
  }

  struct Iteration {
    std::size_t fetched = 0;       // rows read (and, when ok, all produced and acknowledged)
    bool progress_pending = false;  // acknowledged rows wait for the next fetch to record
    bool held_back = false;         // rows wait behind a missing id (keep_contiguous)
  };

  // One batch. With `defer_progress` (the relay thread) the acknowledged rows are recorded
  // by the next iteration's fetch round trip instead of a round trip of their own.
  Result<Iteration> iterate(bool defer_progress) {
    refresh_pending_metrics(/*force=*/false);
    if (!lease.held()) {
      if (Status taken = take_lease(); !taken) {
        if (taken.error().reason == kLeaseNotHeldReason) return taken.error();  // standby
        return fail(taken.error(), "lease");
      }
    }
    if (Status status = ensure_producer(); !status) return fail(status.error(), "producer");
    auto fetched = fetch_under_lease();  // a lost lease (or a broken lease session) is its error
    if (!fetched) return fail(fetched.error(), "lease");
    const std::vector<OutboxRow>& rows = fetched->rows;
    Iteration done{rows.size(), false, fetched->held_back};
    if (rows.empty() && !fetched->held_back) metrics.empty_polls_total.inc();

    if (!rows.empty()) {
      // Only durable rows leave: a row visible to the fetch may belong to a transaction
      // whose redo is not flushed yet (relay.h, "Durability"). The fetch's own write
      // usually was the barrier; when it changed nothing, one of its own.
      if (!fetched->durable) {
        if (Status durable = store.durability_barrier(); !durable) {
          return fail(durable.error(), "durability_barrier");
        }
      }
      metrics.batch_rows.observe(static_cast<double>(rows.size()));
      const BatchOutcome outcome = publish_batch(*producer, rows, options.delivery_timeout);
      if (options.exit_process_after_produce_for_testing && outcome.acknowledged > 0) {
        log::error("outbox relay: exiting the process after produce, before recording (chaos hook)",
                   {{"outbox", options.table}, {"acknowledged", as_int64(outcome.acknowledged)}});
        std::_Exit(137);
      }
      if (options.crash_after_produce_for_testing) {
        log::warn("outbox relay: simulated crash after produce, before recording (test hook)",
                  {{"outbox", options.table},
                   {"instance", options.instance_id},
                   {"acknowledged", as_int64(outcome.acknowledged)}});
        drop_lease();  // a dead process's session goes away with it
        return Error{ErrorCode::kUnavailable, "simulated crash after produce, before recording",
                     kSimulatedCrashReason};
      }
      // Acknowledged but not (yet) recorded: if the process dies first they are published
      // again (at-least-once). A failed batch records its prefix at once: it backs off next.
      if (outcome.acknowledged > 0) {
        const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(
            clock.steady_now() - fetched->fetched_at);
        for (std::size_t i = 0; i < outcome.acknowledged; ++i) {
          metrics.delay_seconds.observe(
              std::chrono::duration<double>(rows[i].age_at_fetch + waited).count());
        }
        metrics.published_total.inc(outcome.acknowledged);
        acked_up_to = rows[outcome.acknowledged - 1].id;
      }
      if (!defer_progress || outcome.first_error.has_value()) {
        if (Status recorded = record_progress_now(); !recorded) return recorded.error();
      }
      done.progress_pending = acked_up_to > published_up_to;
      if (outcome.first_error.has_value()) {
        const OutboxRow& failed = rows[outcome.acknowledged];
        log::warn("outbox relay: delivery failed; the rest of the batch will be retried",
                  {{"outbox", options.table},
                   {"instance", options.instance_id},
                   {"row_id", failed.id},
                   {"event_id", failed.event_id},
                   {"topic", failed.topic},
                   {"acknowledged", as_int64(outcome.acknowledged)},
                   {"batch", as_int64(rows.size())}});
        if (outcome.timed_out || producer->fatal()) {
          // Reports still owed: start over with a fresh producer (its destructor purges
          // what is left; those rows stay unpublished and are produced again).
          producer.reset();
        }
        refresh_pending_metrics(/*force=*/true);
        return fail(*outcome.first_error, "deliver");
      }
    }
    cleanup_if_due();
    // No refresh after a successful batch: the gauges follow on the interval (at the
    // start of an iteration), which keeps the COUNT(*) off the hot path.
    return done;
  }
};

Result<std::unique_ptr<Relay>> Relay::create(db::ConnectionPool& pool,
                                             kafka::KafkaConfig kafka_config,
                                             metrics::Registry& registry, const Clock& clock,
                                             RelayOptions options) {
  if (Status valid = validate(options); !valid) return valid.error();
  if (Status valid = kafka::validate(kafka_config); !valid) return valid.error();
  auto state =
      std::make_unique<State>(pool, std::move(kafka_config), registry, clock, std::move(options));
  state->metrics.lease_held.set(0.0);
  // Creating the producer contacts no broker; doing it here reports a bad property
  // (KafkaConfig::properties) at start-up instead of on every iteration.
  if (Status producer = state->ensure_producer(); !producer) return producer.error();
  return std::unique_ptr<Relay>(new Relay(std::move(state)));
}

Relay::Relay(std::unique_ptr<State> state) : state_(std::move(state)) {}

Relay::~Relay() {
  stop();
  std::lock_guard work(state_->work_mutex);
  state_->drop_lease();
  state_->producer.reset();
}

Status Relay::start() {
  std::lock_guard lock(state_->control_mutex);
  if (state_->thread.joinable()) {
    return Error{ErrorCode::kConflict, "relay already running", "relay_running"};
  }
  state_->stop_requested = false;
  state_->running.store(true);
  state_->thread = std::thread([this] {
    // "relay-order", "relay-matching", "relay-account".
    std::string_view table = state_->options.table;
    if (table.ends_with("_outbox")) table.remove_suffix(std::string_view("_outbox").size());
    set_current_thread_name("relay-" + std::string(table));
    run_loop();
  });
  return Status::success();
}

void Relay::stop() {
  std::thread thread;
  {
    std::lock_guard lock(state_->control_mutex);
    state_->stop_requested = true;
    thread = std::move(state_->thread);
  }
  state_->wake.notify_all();
  if (thread.joinable()) thread.join();
  state_->running.store(false);
  std::lock_guard work(state_->work_mutex);
  // The thread's last batch; no next fetch will record it. A failure is logged and
  // counted; the rows are published again by the next holder of the lease.
  if (state_->lease.held()) (void)state_->record_progress_now();
  if (state_->lease.held()) {
    state_->drop_lease();
    log::info("outbox relay stopped and released its lease",
              {{"outbox", state_->options.table}, {"instance", state_->options.instance_id}});
  }
}

Result<std::size_t> Relay::run_once() {
  std::lock_guard work(state_->work_mutex);
  auto done = state_->iterate(/*defer_progress=*/false);
  if (!done) return done.error();
  BOURSE_ASSERT(!done->progress_pending, "run_once records before it returns");
  return done->fetched;
}

void Relay::run_loop() {
  State& state = *state_;
  log::info("outbox relay started",
            {{"outbox", state.options.table}, {"instance", state.options.instance_id}});
  std::chrono::milliseconds backoff = kRelayInitialBackoff;
  std::uint64_t empty_polls = 0;  // consecutive polls that found no row (idle back-off)
  for (;;) {
    {
      std::lock_guard lock(state.control_mutex);
      if (state.stop_requested) break;
    }
    std::chrono::milliseconds wait{0};
    bool idle = false;  // waiting for new rows (wake() ends it), not backing off
    try {
      Result<State::Iteration> result = [&] {
        std::lock_guard work(state.work_mutex);
        return state.iterate(/*defer_progress=*/true);
      }();
      if (result) {
        backoff = kRelayInitialBackoff;
        empty_polls = result->fetched == 0 && !result->held_back ? empty_polls + 1 : 0;
        // A full batch means more is probably waiting, and a produced batch's progress
        // rides on the next fetch: go again at once (unless rows wait behind a missing id:
        // then a short wait). Otherwise wait, longer the longer idle.
        if (result->held_back && result->fetched == 0) {
          wait = state.options.poll_interval;
          idle = true;
        } else if (result->fetched < state.options.batch_size && !result->progress_pending &&
                   !result->held_back) {
          wait = idle_poll_wait(state.options, empty_polls);
          idle = true;
        }
      } else if (result.error().reason == kLeaseNotHeldReason) {
        backoff = kRelayInitialBackoff;
        wait = state.options.lease_retry_interval;
      } else {
        wait = backoff;
        backoff = std::min(backoff * 2, kRelayMaxBackoff);
      }
    } catch (const std::exception& error) {
      // Nothing may escape the thread; an unexpected exception is a failed iteration.
      state.metrics.publish_failures_total.inc();
      log::error("outbox relay: unexpected exception",
                 {{"outbox", state.options.table}, {"error", std::string(error.what())}});
      wait = backoff;
      backoff = std::min(backoff * 2, kRelayMaxBackoff);
    } catch (...) {
      state.metrics.publish_failures_total.inc();
      log::error("outbox relay: unexpected exception", {{"outbox", state.options.table}});
      wait = backoff;
      backoff = std::min(backoff * 2, kRelayMaxBackoff);
    }
    if (wait.count() > 0) {
      std::unique_lock lock(state.control_mutex);
      state.wake.wait_for(lock, wait,
                          [&] { return state.stop_requested || (idle && state.woken); });
      if (idle) state.woken = false;
    }
  }
  log::info("outbox relay stopping",
            {{"outbox", state.options.table}, {"instance", state.options.instance_id}});
}

void Relay::wake() noexcept {
  {
    std::lock_guard lock(state_->control_mutex);
    state_->woken = true;
  }
  state_->wake.notify_all();
}

bool Relay::lease_held() const noexcept { return state_->lease_held.load(); }
bool Relay::running() const noexcept { return state_->running.load(); }
const RelayOptions& Relay::options() const noexcept { return state_->options; }

}  // namespace bourse::outbox
