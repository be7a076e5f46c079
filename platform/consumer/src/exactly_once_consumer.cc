#include "bourse/consumer/exactly_once_consumer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/db/sql_error.h"
#include "bourse/kafka/consumer.h"
#include "bourse/kafka/errors.h"
#include "bourse/kafka/held_messages.h"
#include "bourse/log/log.h"
#include "consumer_tables.h"
#include "partition_progress.h"

namespace bourse::consumer {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long the worker thread waits for a message before checking for stop().
constexpr milliseconds kWorkerPollTimeout{100};
// How often the lag and stall check runs (on the driving thread, from poll_once): it reads
// librdkafka's cached watermarks of every assigned partition, which is cheap.
constexpr milliseconds kProgressCheckInterval{1'000};
// Longest a check blocks on a broker query for the watermarks of a partition whose cached
// high watermark has not grown for stall_timeout (at most one query per check).
constexpr milliseconds kWatermarkQueryTimeout{500};

// Failures that say nothing about the message: they are retried for as long as they last
// and never count towards max_attempts.
bool is_transient(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTimeout ||
         db::is_retryable(error);
}

std::string describe(const Error& error) {
  std::string text = to_string(error.code);
  if (!error.reason.empty()) text += "/" + error.reason;
  return text + ": " + error.message;
}

// Per assigned partition: where the failure handling stands.
struct PartitionState {
  int consecutive_failures = 0;  // batches failed in a row (drives the back-off)
  // After a failed batch, offsets up to here are applied one message per transaction.
  std::int64_t one_by_one_until = -1;
  std::int64_t failing_offset = -1;  // the single message whose attempts are counted
  int attempts = 0;                  // counted (non-transient) failures of failing_offset
  std::optional<std::int64_t> committed_next_offset;  // last DB-committed, for the hint
  bool hint_pending = false;
  // The last batch refused for starting past the expected offset (a gap): the offset the
  // partition was sought back to, and the refused batch's first offset. If the re-fetch
  // from gap_expected starts at gap_first again, the log holds no record in between
  // (retention, compaction, transaction markers) and the batch is applied.
  std::int64_t gap_expected = -1;
  std::int64_t gap_first = -1;
  // Lag and stall tracking (set on assignment) and the partition's lag gauge.
  std::optional<detail::PartitionProgress> progress;
  metrics::Gauge* lag_gauge = nullptr;
};

// One partition's share of a batch: its consecutive messages, in offset order.
// A batch is one or more of them, keyed (and locked) in partition order.
using Runs = std::map<kafka::TopicPartition, std::vector<kafka::Message>>;

// What one batch transaction did for one of its partitions; reset at the start of each
// attempt.
struct RunOutcome {
  std::size_t applied = 0;
  std::size_t duplicates = 0;
  std::size_t ignored = 0;  // of a type the handler does not handle: not claimed
  std::optional<std::int64_t> fenced_next_offset;   // another member was ahead: skip to it
  std::optional<std::int64_t> gap_expected_offset;  // the run started past it: refused
  bool confirmed_log_gap = false;  // started past it again after a re-fetch: no records there
  std::vector<detail::DeadLetter> malformed;  // dead-lettered inside the batch
};

// What one batch transaction did; reset at the start of each attempt.
struct BatchOutcome {
  std::map<kafka::TopicPartition, RunOutcome> runs;
  // The message parsed, then the first one handed over: a failure is logged against it.
  std::optional<kafka::TopicPartition> current_partition;
  std::int64_t current_offset = -1;
};

std::size_t message_count(const Runs& runs) {
  std::size_t count = 0;
  for (const auto& [tp, run] : runs) count += run.size();
  return count;
}

}  // namespace

struct ExactlyOnceConsumer::Impl final : kafka::AssignmentListener {
  Impl(db::ConnectionPool& pool_in, kafka::KafkaConfig kafka_config_in, ConsumerOptions options_in,
       EventHandler& handler_in, metrics::Registry& registry)
      : pool(pool_in),
        kafka_config(std::move(kafka_config_in)),
        options(std::move(options_in)),
        handler(handler_in),
        applied_family(registry.counter("bourse_consumer_events_applied_total",
                                        "Events applied by exactly-once consumers",
                                        {"group", "topic"})),
        duplicates_family(registry.counter("bourse_consumer_duplicates_skipped_total",
                                           "Events skipped because their event_id was applied",
                                           {"group", "topic"})),
        ignored_family(registry.counter(
            "bourse_consumer_events_ignored_total",
            "Events of types the group's handler does not handle (passed over, not claimed)",
            {"group", "topic"})),
        batch_failures(registry
                           .counter("bourse_consumer_batch_failures_total",
                                    "Batch transactions rolled back and retried", {"group"})
                           .with({options.group_id})),
        dead_letters(registry
                         .counter("bourse_consumer_dead_letters_total",
                                  "Messages given up on and written to dead_letters", {"group"})
                         .with({options.group_id})),
        out_of_order(registry
                         .counter("bourse_consumer_out_of_order_total",
                                  "Gathered batches dropped unapplied because a message of their "
                                  "partition arrived at or below the batch's last offset (the "
                                  "partition was re-read from its stored offset)",
                                  {"group"})
                         .with({options.group_id})),
        gaps_refused(registry
                         .counter("bourse_consumer_offset_gaps_refused_total",
                                  "Batches refused because they started past the partition's "
                                  "stored next offset (the partition was sought back)",
                                  {"group"})
                         .with({options.group_id})),
        log_gaps(registry
                     .counter("bourse_consumer_log_gaps_skipped_total",
                              "Offset ranges without records (retention, compaction, transaction "
                              "markers) skipped after a re-fetch confirmed them",
                              {"group"})
                     .with({options.group_id})),
        lag_family(registry.gauge("bourse_consumer_lag_messages",
                                  "Records of an assigned partition not applied yet: high "
                                  "watermark minus the stored next offset (0 when not assigned "
                                  "to this member)",
                                  {"group", "topic", "partition"})),
        stalled_partitions(registry
                               .gauge("bourse_consumer_stalled_partitions",
                                      "Assigned partitions with a lag whose stored offset has "
                                      "not moved for stall_timeout",
                                      {"group"})
                               .with({options.group_id})),
        stalls(registry
                   .counter("bourse_consumer_partition_stalls_total",
                            "Times an assigned partition became stalled", {"group"})
                   .with({options.group_id})),
        batch_messages(registry
                           .histogram("bourse_consumer_batch_messages",
                                      "Messages per batch transaction (committed or not)",
                                      {"group"}, {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000})
                           .with({options.group_id})),
        batch_seconds(registry
                          .histogram("bourse_consumer_batch_seconds",
                                     "Time of one batch transaction, handler and commit included",
                                     {"group"})
                          .with({options.group_id})) {}

  // --- AssignmentListener (runs on the driving thread, inside poll() or close()) -------

  Result<std::vector<kafka::TopicPartitionOffset>> on_assigned(
      const std::vector<kafka::TopicPartition>& assigned) override {
    ++assignment_epoch;
    held.clear();
    std::vector<kafka::TopicPartitionOffset> starts;
    starts.reserve(assigned.size());
    const Status status = pool.with_session([&](soci::session& session) {
      starts.clear();
      for (const auto& tp : assigned) {
        starts.push_back({tp.topic, tp.partition,
                          detail::load_next_offset(session, options.group_id, tp.topic,
                                                   tp.partition, /*for_update=*/false)});
      }
    });
    if (!status) {
      log::warn("consumer: cannot read stored offsets on assignment",
                {{"group", options.group_id}, {"error", describe(status.error())}});
      return status.error();
    }
    for (const auto& start : starts) {
      PartitionState& state = partitions[{start.topic, start.partition}];
      state = PartitionState{};
      state.committed_next_offset = start.next_offset;
      state.progress.emplace(options.stall_timeout, Clock::now(), start.next_offset);
      state.lag_gauge =
          &lag_family.with({options.group_id, start.topic, std::to_string(start.partition)});
      log::info("consumer: partition assigned",
                {{"group", options.group_id},
                 {"topic", start.topic},
                 {"partition", static_cast<std::int64_t>(start.partition)},
                 {"next_offset", start.next_offset ? *start.next_offset : std::int64_t{-1}}});
    }
    return starts;
  }

  void on_revoked(const std::vector<kafka::TopicPartition>& revoked) override {
    // Nothing is in flight here: batches are applied between polls, so the revoked
    // partitions' work is either committed (offsets stored) or was never started.
    ++assignment_epoch;
    held.clear();
    for (const auto& tp : revoked) {
      if (const auto it = partitions.find(tp); it != partitions.end()) {
        if (it->second.lag_gauge != nullptr) it->second.lag_gauge->set(0);
        partitions.erase(it);
      }
    }
    update_stalled_gauge();
    log::info("consumer: partitions revoked",
              {{"group", options.group_id}, {"count", static_cast<std::int64_t>(revoked.size())}});
  }

  // --- driving -----------------------------------------------------------------------

  Status ensure_kafka() {
    if (kafka && !kafka->failed()) return Status::success();
    if (kafka) {
      // The listener failed (database down during an assignment): rejoin with a new
      // consumer, which asks on_assigned again.
      (void)kafka->close();
      kafka.reset();
      forget_partitions();
      held.clear();
    }
    kafka::ConsumerOptions kafka_options;
    kafka_options.group_id = options.group_id;
    kafka_options.topics = options.topics;
    kafka_options.session_timeout = options.session_timeout;
    kafka_options.heartbeat_interval = options.heartbeat_interval;
    kafka_options.max_poll_interval = options.max_poll_interval;
    auto created = kafka::Consumer::create(kafka_config, kafka_options, *this);
    if (!created) return created.error();
    kafka = std::move(created).value();
    return Status::success();
  }

  void close_kafka() {
    if (!kafka) return;
    commit_hint(/*force=*/true);
    const Status status = kafka->close();
    if (!status) {
      log::warn("consumer: close failed",
                {{"group", options.group_id}, {"error", describe(status.error())}});
    }
    kafka.reset();
    forget_partitions();
    held.clear();
  }

  // Drops the assignment's bookkeeping (the consumer is being closed or recreated): its lag
  // gauges read 0 again, as for any partition not assigned here.
  void forget_partitions() {
    for (auto& [tp, state] : partitions) {
      if (state.lag_gauge != nullptr) state.lag_gauge->set(0);
    }
    partitions.clear();
    update_stalled_gauge();
  }

  void update_stalled_gauge() {
    std::int64_t stalled = 0;
    for (const auto& [tp, state] : partitions) {
      if (state.progress && state.progress->stalled()) ++stalled;
    }
    stalled_partitions.set(static_cast<double>(stalled));
  }

  // Lag gauges and the stall signal, at most every kProgressCheckInterval. The high
  // watermarks come from librdkafka's cache; a partition whose cached high watermark has not
  // grown for stall_timeout is asked from the broker (one query per check at most, bounded
  // by kWatermarkQueryTimeout), so a partition whose fetching stopped is still measured.
  void check_progress() {
    const auto now = Clock::now();
    if (!kafka || now - last_progress_check < kProgressCheckInterval) return;
    last_progress_check = now;
    bool queried = false;
    for (auto& [tp, state] : partitions) {
      if (!state.progress) continue;
      detail::PartitionProgress& progress = *state.progress;
      if (auto cached = kafka->cached_watermarks(tp); cached && *cached) {
        progress.watermarks_seen(now, **cached);
      }
      if (!queried && progress.wants_query(now)) {
        queried = true;
        progress.queried(now);
        if (auto asked = kafka->query_watermarks(tp, kWatermarkQueryTimeout); asked) {
          progress.watermarks_seen(now, *asked);
        } else {
          log::debug("consumer: cannot query watermarks",
                     {{"group", options.group_id},
                      {"topic", tp.topic},
                      {"partition", static_cast<std::int64_t>(tp.partition)},
                      {"error", describe(asked.error())}});
        }
      }
      const milliseconds idle = progress.idle(now);  // before observe() may reset it
      const auto change = progress.observe(now, state.committed_next_offset);
      if (progress.lag() && state.lag_gauge != nullptr) {
        state.lag_gauge->set(static_cast<double>(*progress.lag()));
      }
      if (change == detail::PartitionProgress::Change::kNone) continue;
      if (change == detail::PartitionProgress::Change::kStalled) stalls.inc();
      const std::initializer_list<log::Field> fields = {
          {"group", options.group_id},
          {"topic", tp.topic},
          {"partition", static_cast<std::int64_t>(tp.partition)},
          {"lag", progress.lag().value_or(0)},
          {"next_offset", state.committed_next_offset.value_or(-1)},
          {"seconds", static_cast<std::int64_t>(idle.count() / 1000)}};
      if (change == detail::PartitionProgress::Change::kRecovered) {
        log::info("consumer: partition progressing again", fields);
      } else {
        log::error("consumer: no progress on an assigned partition with a lag", fields);
      }
    }
    update_stalled_gauge();
  }

  bool held_full() const { return held.size() >= kMaxHeldBatches * options.max_batch; }

  // Whether the message at `offset` of `tp` must be applied alone: it is in the range of a
  // failed batch being retried one message per transaction.
  bool one_by_one(const kafka::TopicPartition& tp, std::int64_t offset) const {
    const auto it = partitions.find(tp);
    return it != partitions.end() && offset <= it->second.one_by_one_until;
  }

  // Whether `tp`'s last batch failed: its next batches hold none of the other partitions'
  // messages until one commits, so that a partition whose events fail (a transient error
  // for as long as it lasts) never holds the others back.
  bool troubled(const kafka::TopicPartition& tp) const {
    const auto it = partitions.find(tp);
    return it != partitions.end() && it->second.consecutive_failures > 0;
  }

  // Gathers one batch and applies it: consecutive messages of one or more partitions, at
  // most max_batch in all, gathered until batch_wait after its oldest message was polled,
  // in one transaction. A message being retried alone (one_by_one) is a batch of its own;
  // a troubled partition's messages make batches of their own partition only.
  Result<std::size_t> poll_once(milliseconds timeout) {
    if (Status status = ensure_kafka(); !status) return status.error();
    check_progress();
    const std::uint64_t epoch = assignment_epoch;
    Runs runs;
    std::size_t total = 0;
    std::optional<kafka::TopicPartition> only;  // a batch of this partition alone
    // batch_wait counts from when the batch's oldest message was polled: held messages
    // waited while the last batch was applied, so a message waits about one batch_wait.
    Clock::time_point first_polled = Clock::now();
    if (const std::optional<kafka::TopicPartition> oldest = held.oldest()) {
      first_polled = held.front_held_at(*oldest);
      if (one_by_one(*oldest, held.front_offset(*oldest))) {
        held.take(*oldest, 1, runs[*oldest]);
        return apply(std::move(runs));
      }
      if (troubled(*oldest)) only = *oldest;
      // The held messages, oldest partition first, up to a full batch. A partition retried
      // one by one or troubled waits for its own turn (it becomes the oldest).
      for (const kafka::TopicPartition& tp : held.by_age()) {
        if (total == options.max_batch) break;
        if (partitions.find(tp) == partitions.end()) {
          drop_unassigned(tp);
          continue;
        }
        if (only ? tp != *only : one_by_one(tp, held.front_offset(tp)) || troubled(tp)) continue;
        std::vector<kafka::Message>& run = runs[tp];
        held.take(tp, options.max_batch - total, run);
        total += run.size();
      }
    } else {
      auto first = kafka->poll(timeout);
      if (!first) return poll_failed(first.error());
      if (assignment_epoch != epoch) {
        // A rebalance ran inside this poll; the message (if any) is the new assignment's.
        if (first->has_value()) hold_back(std::move(**first));
        return std::size_t{0};
      }
      if (!first->has_value()) {
        commit_hint(/*force=*/false);
        return std::size_t{0};
      }
      kafka::Message& message = **first;
      const kafka::TopicPartition tp{message.topic, message.partition};
      if (partitions.find(tp) == partitions.end()) {
        drop_unassigned(tp);
        return std::size_t{0};
      }
      const bool alone = one_by_one(tp, message.offset);
      if (troubled(tp)) only = tp;
      runs[tp].push_back(std::move(message));
      total = 1;
      if (alone) return apply(std::move(runs));
    }

    // Gather more until the batch is full or batch_wait has passed. A partition with
    // messages still held (beyond a full batch, or retried one by one) has its newer
    // messages held behind them, so a partition's messages are applied in offset order.
    const auto deadline = first_polled + options.batch_wait;
    while (total < options.max_batch && !held_full()) {
      const auto remaining = std::max(
          milliseconds{0}, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
      auto more = kafka->poll(remaining);
      if (assignment_epoch != epoch) {
        // A rebalance ran inside this poll. `runs` belong to the revoked assignment and are
        // dropped unapplied: whoever owns their partitions now (this member included)
        // starts from the stored offsets. But a message this poll returned comes from the
        // NEW assignment, and librdkafka's fetch position is already past it: dropping it
        // would lose it (the partition's next batch would start one offset later). It is
        // held for the next batch instead.
        if (more && more->has_value()) hold_back(std::move(**more));
        return std::size_t{0};
      }
      if (!more || !more->has_value()) break;  // Kafka trouble or quiet: apply what we have
      kafka::Message& message = **more;
      const kafka::TopicPartition tp{message.topic, message.partition};
      const bool elsewhere = only ? tp != *only : troubled(tp);
      if (elsewhere || held.holds(tp) || one_by_one(tp, message.offset) ||
          partitions.find(tp) == partitions.end()) {
        hold_back(std::move(message));  // drops it with a warning if not assigned here
        continue;
      }
      const auto run = runs.find(tp);
      if (run != runs.end() && message.offset <= run->second.back().offset) {
        // One of the two is stale: this partition's run is dropped, the others go on.
        out_of_order_run(tp, run->second, message);
        total -= run->second.size();
        runs.erase(run);
        if (!kafka) return std::size_t{0};  // rejoined: every partition restarts from the DB
        continue;
      }
      runs[tp].push_back(std::move(message));
      ++total;
    }
    if (runs.empty()) return std::size_t{0};
    return apply(std::move(runs));
  }

  // librdkafka only delivers assigned partitions, so this should not happen. Dropping the
  // messages is safe: a partition not assigned here starts from its stored offset wherever
  // it is assigned next (and the gap check refuses a batch that starts past it).
  void drop_unassigned(const kafka::TopicPartition& tp) {
    log::warn("consumer: message of a partition not assigned here, dropped",
              {{"group", options.group_id},
               {"topic", tp.topic},
               {"partition", static_cast<std::int64_t>(tp.partition)}});
    held.drop(tp);
  }

  // A message of a run's partition at or below the run's last offset. librdkafka delivers
  // a partition in offset order, so one of the two is stale: seen once in CI, in the test
  // where members join and leave in a loop (librdkafka 2.0.2; most likely a message
  // fetched for the previous assignment and handed out after the rebalance, which was then
  // held as the new assignment's first). Which one cannot be told here, so the run is
  // dropped unapplied and the partition re-read from its stored offset (or the group
  // rejoined when nothing is stored): nothing of it was applied, and the database offsets
  // decide where it starts, as after any rebalance.
  void out_of_order_run(const kafka::TopicPartition& tp, const std::vector<kafka::Message>& run,
                        const kafka::Message& message) {
    out_of_order.inc();
    const auto state = partitions.find(tp);
    std::int64_t stored = -1;  // -1: nothing stored (or the partition is gone)
    if (state != partitions.end() && state->second.committed_next_offset) {
      stored = *state->second.committed_next_offset;
    }
    log::error("consumer: a message arrived out of offset order; batch dropped unapplied, "
               "partition re-read from its stored offset",
               {{"group", options.group_id},
                {"topic", tp.topic},
                {"partition", static_cast<std::int64_t>(tp.partition)},
                {"batch_first_offset", run.front().offset},
                {"batch_last_offset", run.back().offset},
                {"message_offset", message.offset},
                {"stored_next_offset", stored}});
    if (stored >= 0) {
      seek_or_rejoin(tp, stored);
    } else {
      close_kafka();  // rejoin: every partition restarts from the database
    }
  }

  // Keeps a polled message for a later batch of its partition (see `held`).
  void hold_back(kafka::Message message) {
    const kafka::TopicPartition tp{message.topic, message.partition};
    if (partitions.find(tp) == partitions.end()) {
      log::warn("consumer: message of a partition not assigned here, dropped",
                {{"group", options.group_id},
                 {"topic", message.topic},
                 {"partition", static_cast<std::int64_t>(message.partition)},
                 {"offset", message.offset}});
      return;
    }
    held.hold(std::move(message), Clock::now());
  }

  Result<std::size_t> poll_failed(const Error& error) {
    log::warn("consumer: poll failed", {{"group", options.group_id}, {"error", describe(error)}});
    if (kafka && kafka->failed()) {
      (void)kafka->close();
      kafka.reset();
      forget_partitions();
      held.clear();
    }
    sleep_for(options.initial_backoff);
    return error;
  }

  // Applies one batch (one or more partitions' runs) in one transaction and handles its
  // outcome.
  Result<std::size_t> apply(Runs runs) {
    BOURSE_ASSERT(!runs.empty(), "a batch has messages");
    // Where each log starts, for a partition without a stored offset (it starts there).
    std::map<kafka::TopicPartition, std::int64_t> log_starts;
    for (const auto& [tp, run] : runs) {
      BOURSE_ASSERT(!run.empty() && partitions.count(tp) == 1,
                    "a batch has messages of assigned partitions only");
      if (auto watermarks = kafka->cached_watermarks(tp); watermarks && *watermarks) {
        log_starts.emplace(tp, (*watermarks)->low);
      }
    }
    BatchOutcome outcome;
    const auto started = Clock::now();
    const Status status = pool.in_transaction_ending_with(
        [&](soci::session& session) -> Result<db::ConnectionPool::LastWrites> {
          outcome = BatchOutcome{};
          return apply_in_transaction(session, runs, log_starts, outcome);
        },
        /*max_attempts=*/1, db::Isolation::kServerDefault, db::ConnectionPool::Begin::kByWork);
    batch_messages.observe(static_cast<double>(message_count(runs)));
    batch_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
    if (status) {
      std::size_t applied = 0;
      for (const auto& [tp, run_outcome] : outcome.runs) applied += run_outcome.applied;
      if (applied > 0 && options.after_commit) options.after_commit();
      for (const auto& [tp, run] : runs) committed(tp, run, outcome.runs[tp]);
      commit_hint(/*force=*/false);
      return applied;
    }
    return failed(runs, outcome, status.error());
  }

  // The batch's reads and writes; opens the transaction with its first round trip (BEGIN,
  // the locking read of every partition's offset and the read of which events the group
  // already processed: detail::begin_batch) and returns its last writes (the handler's,
  // the claims of its new events, then the partitions' next offsets), which go to the
  // server with the COMMIT in one round trip. A run that is fenced off or starts past its
  // expected offset is left out (nothing of it written); the others go on.
  Result<db::ConnectionPool::LastWrites> apply_in_transaction(
      soci::session& session, const Runs& runs,
      const std::map<kafka::TopicPartition, std::int64_t>& log_starts, BatchOutcome& outcome) {
    db::ConnectionPool::LastWrites last_writes;
    // Parse every message first (the ids are read with the offsets), then hand the new
    // events of the included runs to the handler in one call (in partition, then offset
    // order), so that it can aggregate across the batch. Events of a type the handler does
    // not handle are passed over unclaimed: applying them is a no-op, so a second copy of
    // one is harmless and needs no processed_events row. Events of a type the handler
    // deduplicates itself are handed over unclaimed, every copy.
    std::vector<kafka::TopicPartition> tps;
    tps.reserve(runs.size());
    std::vector<std::vector<Result<envelope::Envelope>>> envelopes;  // per run, per message
    envelopes.reserve(runs.size());
    std::vector<std::string> asked;  // claimable ids of every run, included or not
    for (const auto& [tp, run] : runs) {
      tps.push_back(tp);
      auto& run_envelopes = envelopes.emplace_back();
      run_envelopes.reserve(run.size());
      for (const kafka::Message& message : run) {
        const Result<envelope::Envelope>& envelope =
            run_envelopes.emplace_back(envelope::parse(message.value));
        if (envelope && handler.handles(envelope->event_type) &&
            !handler.deduplicates(envelope->event_type)) {
          asked.push_back(envelope->event_id);
        }
      }
    }
    static_assert(kMaxBatchMessages <= detail::kMaxClaimedEventsPerBatch,
                  "a whole batch's ids are read in its first round trip");
    const detail::BatchStart start = detail::begin_batch(session, options.group_id, tps, asked);
    std::vector<envelope::Envelope> parsed;  // complete before `fresh` points into it
    std::vector<const kafka::Message*> parsed_messages;
    std::vector<RunOutcome*> parsed_runs;
    std::vector<bool> self_deduplicated;  // per parsed event: no claim
    std::vector<std::string> event_ids;   // of the claimable ones, in parsed order
    std::vector<std::pair<kafka::TopicPartition, std::int64_t>> next_offsets;
    parsed.reserve(message_count(runs));
    std::size_t run_index = 0;
    for (const auto& [tp, run] : runs) {
      std::vector<Result<envelope::Envelope>>& run_envelopes = envelopes[run_index++];
      RunOutcome& run_outcome = outcome.runs[tp];
      const std::int64_t first = run.front().offset;
      const std::optional<std::int64_t> stored_next = start.next_offsets.at(tp);
      if (stored_next && *stored_next > first) {
        // Another member applied past this run's start since we were assigned: we lost
        // the partition without being told. Apply nothing of it.
        run_outcome.fenced_next_offset = *stored_next;
        continue;
      }
      // The offset this run must start at: the stored next offset, or with nothing stored
      // yet the start of the log (as of the last fetch). A run that starts later would
      // skip the messages in between (e.g. one polled and not applied): refuse it, unless
      // a re-fetch from there already started at the same offset (no records in between).
      std::optional<std::int64_t> expected = stored_next;
      if (!expected) {
        if (const auto log_start = log_starts.find(tp); log_start != log_starts.end()) {
          expected = log_start->second;
        }
      }
      if (expected && *expected < first) {
        const PartitionState& state = partitions.at(tp);
        if (state.gap_expected != *expected || state.gap_first != first) {
          run_outcome.gap_expected_offset = *expected;
          continue;
        }
        run_outcome.confirmed_log_gap = true;
      }
      next_offsets.emplace_back(tp, run.back().offset + 1);
      outcome.current_partition = tp;
      for (std::size_t m = 0; m < run.size(); ++m) {
        const kafka::Message& message = run[m];
        Result<envelope::Envelope>& envelope = run_envelopes[m];
        outcome.current_offset = message.offset;
        if (!envelope) {
          detail::DeadLetter letter = dead_letter_of(message, envelope.error(), /*attempts=*/1);
          detail::insert_dead_letter(session, letter);
          run_outcome.malformed.push_back(std::move(letter));
          continue;
        }
        if (!handler.handles(envelope->event_type)) {
          ++run_outcome.ignored;
          continue;
        }
        const bool unclaimed = handler.deduplicates(envelope->event_type);
        if (!unclaimed) event_ids.push_back(envelope->event_id);
        self_deduplicated.push_back(unclaimed);
        parsed.push_back(std::move(*envelope));
        parsed_messages.push_back(&message);
        parsed_runs.push_back(&run_outcome);
      }
    }
    const std::vector<bool> is_new = detail::new_events(event_ids, start.processed);
    std::vector<DeliveredEvent> fresh;
    std::vector<RunOutcome*> fresh_runs;
    std::vector<std::string> claims;  // the new claimable ones, written with the COMMIT
    std::size_t claimable = 0;
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      const bool claimed = !self_deduplicated[i] && is_new[claimable++];
      if (self_deduplicated[i] || claimed) {
        if (claimed) claims.push_back(parsed[i].event_id);
        fresh.push_back(DeliveredEvent{parsed[i], *parsed_messages[i]});
        fresh_runs.push_back(parsed_runs[i]);
      } else {
        ++parsed_runs[i]->duplicates;
      }
    }
    BOURSE_ASSERT(claimable == is_new.size(), "every claimable event was looked at once");
    if (!fresh.empty()) {
      // A failure is reported against the batch's first new event; a failed batch of
      // several messages is retried one by one anyway, which names the culprit.
      outcome.current_partition =
          kafka::TopicPartition{fresh.front().message.topic, fresh.front().message.partition};
      outcome.current_offset = fresh.front().message.offset;
      if (Status handled = handler.handle_batch_ending_with(session, fresh, last_writes);
          !handled) {
        return handled.error();
      }
      for (RunOutcome* run_outcome : fresh_runs) ++run_outcome->applied;
    }
    for (db::SqlStatement& claim : detail::claims_insert(options.group_id, claims)) {
      last_writes.push_back(std::move(claim));
    }
    if (!next_offsets.empty()) {
      last_writes.push_back(detail::next_offsets_upsert(options.group_id, next_offsets));
    }
    return last_writes;
  }

  // After the batch's COMMIT: one partition's run, as committed.
  void committed(const kafka::TopicPartition& tp, const std::vector<kafka::Message>& run,
                 const RunOutcome& outcome) {
    const auto state_it = partitions.find(tp);
    if (state_it == partitions.end()) return;  // an earlier run's seek failed: rejoining
    PartitionState& state = state_it->second;
    if (outcome.fenced_next_offset) {
      log::warn("consumer: batch fenced off, another member is ahead on the partition",
                {{"group", options.group_id},
                 {"topic", tp.topic},
                 {"partition", static_cast<std::int64_t>(tp.partition)},
                 {"batch_first_offset", run.front().offset},
                 {"stored_next_offset", *outcome.fenced_next_offset}});
      state.committed_next_offset = *outcome.fenced_next_offset;  // what the DB holds
      seek_or_rejoin(tp, *outcome.fenced_next_offset);            // may drop `state` (rejoin)
      return;
    }
    if (outcome.gap_expected_offset) {
      gaps_refused.inc();
      log::error(
          "consumer: batch refused, it starts past the partition's next offset; seeking back",
          {{"group", options.group_id},
           {"topic", tp.topic},
           {"partition", static_cast<std::int64_t>(tp.partition)},
           {"expected_next_offset", *outcome.gap_expected_offset},
           {"batch_first_offset", run.front().offset},
           {"missing", run.front().offset - *outcome.gap_expected_offset}});
      state.gap_expected = *outcome.gap_expected_offset;
      state.gap_first = run.front().offset;
      seek_or_rejoin(tp, *outcome.gap_expected_offset);  // may drop `state` (rejoin)
      return;
    }
    if (outcome.confirmed_log_gap) {
      log_gaps.inc();
      log::warn("consumer: offsets without records skipped (a re-fetch started past them too)",
                {{"group", options.group_id},
                 {"topic", tp.topic},
                 {"partition", static_cast<std::int64_t>(tp.partition)},
                 {"from_offset", state.gap_expected},
                 {"to_offset", state.gap_first}});
    }
    state.gap_expected = -1;
    state.gap_first = -1;
    if (outcome.applied > 0) applied_family.with({options.group_id, tp.topic}).inc(outcome.applied);
    if (outcome.duplicates > 0) {
      duplicates_family.with({options.group_id, tp.topic}).inc(outcome.duplicates);
    }
    if (outcome.ignored > 0) ignored_family.with({options.group_id, tp.topic}).inc(outcome.ignored);
    for (const auto& letter : outcome.malformed) log_dead_letter(letter);
    dead_letters.inc(outcome.malformed.size());
    state.consecutive_failures = 0;
    if (run.back().offset >= state.one_by_one_until) state.one_by_one_until = -1;
    if (run.back().offset >= state.failing_offset) {
      state.failing_offset = -1;
      state.attempts = 0;
    }
    state.committed_next_offset = run.back().offset + 1;
    state.hint_pending = true;
  }

  // After a rolled-back batch: every partition of it is sought back to its run's start.
  // A non-transient failure of several messages sends each partition's run to be retried
  // one message per transaction (which isolates the culprit); of a single message, it
  // counts as one of that message's attempts, and at max_attempts it is dead-lettered.
  Result<std::size_t> failed(const Runs& runs, const BatchOutcome& outcome, const Error& error) {
    batch_failures.inc();
    const bool transient = is_transient(error);
    const std::size_t messages = message_count(runs);
    milliseconds delay{0};
    for (const auto& [tp, run] : runs) {
      const auto state_it = partitions.find(tp);
      if (state_it == partitions.end()) continue;  // an earlier seek failed: rejoining
      PartitionState& state = state_it->second;
      bool give_up = false;
      if (!transient) {
        if (messages > 1) {
          state.one_by_one_until = std::max(state.one_by_one_until, run.back().offset);
        } else {
          const std::int64_t offset = run.front().offset;
          if (state.failing_offset != offset) {
            state.failing_offset = offset;
            state.attempts = 0;
          }
          ++state.attempts;
          give_up = state.attempts >= options.max_attempts;
        }
      }
      const bool culprit = outcome.current_partition == tp;
      log::warn("consumer: batch failed, rolled back",
                {{"group", options.group_id},
                 {"topic", tp.topic},
                 {"partition", static_cast<std::int64_t>(tp.partition)},
                 {"first_offset", run.front().offset},
                 {"messages", static_cast<std::int64_t>(run.size())},
                 {"batch_messages", static_cast<std::int64_t>(messages)},
                 {"failed_offset", culprit ? outcome.current_offset : std::int64_t{-1}},
                 {"transient", transient},
                 {"attempts", state.attempts},
                 {"error", describe(error)}});
      if (give_up && dead_letter(tp, run.front(), error, state.attempts)) {
        const std::int64_t next_offset = run.front().offset + 1;
        state.failing_offset = -1;
        state.attempts = 0;
        state.consecutive_failures = 0;
        state.committed_next_offset = next_offset;
        state.hint_pending = true;
        seek_or_rejoin(tp, next_offset);  // may drop `state` (rejoin): not used after this
        continue;
      }
      delay = std::max(delay, backoff(++state.consecutive_failures));
      seek_or_rejoin(tp, run.front().offset);  // may drop `state` (rejoin): not used after
    }
    sleep_for(delay);
    return error;
  }

  // Writes the message to dead_letters with its processed_events row and the advanced
  // offset, in one transaction. False if that transaction failed (retried later).
  bool dead_letter(const kafka::TopicPartition& tp, const kafka::Message& message,
                   const Error& error, int attempts) {
    detail::DeadLetter letter = dead_letter_of(message, error, attempts);
    bool fenced = false;
    const Status status = pool.in_transaction(
        [&](soci::session& session) -> Status {
          const auto stored = detail::load_next_offset(session, options.group_id, tp.topic,
                                                       tp.partition, /*for_update=*/true);
          fenced = stored && *stored > message.offset;
          if (fenced) return Status::success();
          if (letter.event_id)
            (void)detail::claim_event(session, options.group_id, *letter.event_id);
          detail::insert_dead_letter(session, letter);
          detail::store_next_offset(session, options.group_id, tp.topic, tp.partition,
                                    message.offset + 1);
          return Status::success();
        },
        /*max_attempts=*/3);
    if (!status) {
      log::warn("consumer: cannot write dead letter, will retry the message",
                {{"group", options.group_id}, {"error", describe(status.error())}});
      return false;
    }
    if (!fenced) {
      dead_letters.inc();
      log_dead_letter(letter);
    }
    return true;
  }

  detail::DeadLetter dead_letter_of(const kafka::Message& message, const Error& error,
                                    int attempts) const {
    detail::DeadLetter letter;
    letter.group = options.group_id;
    letter.topic = message.topic;
    letter.partition = message.partition;
    letter.offset = message.offset;
    letter.payload = message.value;
    letter.error = describe(error);
    letter.attempts = attempts;
    if (Result<envelope::Envelope> envelope = envelope::parse(message.value); envelope) {
      letter.event_id = envelope->event_id;
      letter.event_type = envelope->event_type;
    } else {
      // event_id stays NULL: an id we could not parse is never claimed in
      // processed_events. The event_type header is kept (untrusted: only if it looks like
      // an identifier) to help the operator.
      if (auto type = message.header(kafka::kHeaderEventType)) {
        letter.event_type = detail::sanitize_identifier(*type, envelope::kMaxEventTypeLength);
      }
    }
    return letter;
  }

  void log_dead_letter(const detail::DeadLetter& letter) const {
    log::error("consumer: message dead-lettered",
               {{"group", letter.group},
                {"topic", letter.topic},
                {"partition", static_cast<std::int64_t>(letter.partition)},
                {"offset", letter.offset},
                {"event_id", letter.event_id.value_or("")},
                {"event_type", letter.event_type.value_or("")},
                {"attempts", letter.attempts},
                {"error", detail::sanitize_error_text(letter.error)}});
  }

  // Points the partition at `offset`. If the seek fails the consumer could go on with
  // later messages and skip some: instead, leave the group and rejoin, which restarts
  // every partition from the database.
  void seek_or_rejoin(const kafka::TopicPartition& tp, std::int64_t offset) {
    held.drop(tp);  // fetched again from `offset`
    if (!kafka || partitions.find(tp) == partitions.end()) return;
    const Status status = kafka->seek(tp, offset);
    if (status) return;
    log::warn("consumer: seek failed, rejoining the group",
              {{"group", options.group_id},
               {"topic", tp.topic},
               {"partition", static_cast<std::int64_t>(tp.partition)},
               {"error", describe(status.error())}});
    close_kafka();
  }

  // Kafka commit of the DB-committed offsets, for monitoring only, at most every
  // kafka_commit_hint_interval. Failures are harmless (nothing reads them).
  void commit_hint(bool force) {
    if (!kafka || options.kafka_commit_hint_interval.count() == 0) return;
    const auto now = Clock::now();
    if (!force && now - last_hint < options.kafka_commit_hint_interval) return;
    std::vector<kafka::TopicPartitionOffset> offsets;
    for (auto& [tp, state] : partitions) {
      if (!state.hint_pending || !state.committed_next_offset) continue;
      offsets.push_back({tp.topic, tp.partition, state.committed_next_offset});
      state.hint_pending = false;
    }
    last_hint = now;
    if (offsets.empty()) return;
    if (const Status status = kafka->commit(offsets); !status) {
      log::debug("consumer: Kafka offset hint not committed",
                 {{"group", options.group_id}, {"error", describe(status.error())}});
    }
  }

  milliseconds backoff(int consecutive_failures) const {
    milliseconds delay = options.initial_backoff;
    for (int i = 1; i < consecutive_failures && delay < options.max_backoff; ++i) delay *= 2;
    return std::min(delay, options.max_backoff);
  }

  // Sleeps, but returns early when stop() is called.
  void sleep_for(milliseconds delay) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, delay, [&] { return stopping; });
  }

  void run() {
    while (true) {
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
      }
      (void)poll_once(kWorkerPollTimeout);  // failures are logged and backed off inside
    }
    close_kafka();
  }

  db::ConnectionPool& pool;
  const kafka::KafkaConfig kafka_config;
  const ConsumerOptions options;
  EventHandler& handler;
  metrics::CounterFamily& applied_family;
  metrics::CounterFamily& duplicates_family;
  metrics::CounterFamily& ignored_family;
  metrics::Counter& batch_failures;
  metrics::Counter& dead_letters;
  metrics::Counter& out_of_order;
  metrics::Counter& gaps_refused;
  metrics::Counter& log_gaps;
  metrics::GaugeFamily& lag_family;
  metrics::Gauge& stalled_partitions;
  metrics::Counter& stalls;
  metrics::Histogram& batch_messages;
  metrics::Histogram& batch_seconds;

  // Owned by the driving thread.
  std::unique_ptr<kafka::Consumer> kafka;
  // Polled but not applied yet: messages of other partitions that arrived while a batch
  // was gathered, what did not fit a full batch, and the first message of a new
  // assignment. Per partition in offset order (consecutive: the partition's next batch
  // starts with them); the partition whose oldest message came first is served first.
  // Never dropped while its partition is assigned here and not sought (librdkafka's
  // fetch position is already past them). At most kMaxHeldBatches * max_batch messages
  // in all (held_full() stops polling more into a batch).
  kafka::HeldMessages held;
  std::map<kafka::TopicPartition, PartitionState> partitions;  // the current assignment
  std::uint64_t assignment_epoch = 0;  // bumped by every assignment and revocation
  Clock::time_point last_hint{};
  Clock::time_point last_progress_check{};

  // Start / stop.
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;  // guarded by mutex
  bool driven = false;    // start() or poll_once() was called
  bool threaded = false;
  std::thread worker;
};

Result<std::unique_ptr<ExactlyOnceConsumer>> ExactlyOnceConsumer::create(
    db::ConnectionPool& pool, kafka::KafkaConfig kafka_config, ConsumerOptions options,
    EventHandler& handler, metrics::Registry& registry) {
  if (Status status = validate(options); !status) return status.error();
  if (Status status = kafka::validate(kafka_config); !status) return status.error();
  return std::unique_ptr<ExactlyOnceConsumer>(new ExactlyOnceConsumer(std::make_unique<Impl>(
      pool, std::move(kafka_config), std::move(options), handler, registry)));
}

ExactlyOnceConsumer::ExactlyOnceConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ExactlyOnceConsumer::~ExactlyOnceConsumer() { stop(); }

void ExactlyOnceConsumer::start() {
  BOURSE_ASSERT(!impl_->driven, "start() after start() or poll_once()");
  impl_->driven = true;
  impl_->threaded = true;
  impl_->worker = std::thread([impl = impl_.get()] {
    // "c:" and the group without its topic prefix: "c:account-settlement".
    const std::string& group = impl->options.group_id;
    set_current_thread_name("c:" + group.substr(group.find_last_of('.') + 1));
    impl->run();
  });
}

void ExactlyOnceConsumer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->threaded) {
    if (impl_->worker.joinable()) impl_->worker.join();
  } else {
    impl_->close_kafka();  // poll_once mode: this is the driving thread
  }
}

Result<std::size_t> ExactlyOnceConsumer::poll_once(std::chrono::milliseconds timeout) {
  BOURSE_ASSERT(!impl_->threaded, "poll_once() on a consumer driven by start()");
  impl_->driven = true;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping)
      return Error{ErrorCode::kUnavailable, "consumer stopped", "consumer_stopped"};
  }
  return impl_->poll_once(timeout);
}

}  // namespace bourse::consumer
