// The relay: a built-in CDC poller that forwards one outbox table's rows to Kafka.
//
// This is the read half of the transactional outbox (outbox_writer.h is the write half).
// One Relay per outbox table per process; any number of processes may run one for the
// same table, and exactly one of them is active at a time:
//
//   Lease. The active relay holds the MySQL named lock "bourse_relay_<table>@<database>"
//   (GET_LOCK(name, 0)) on a dedicated session that is never returned to the pool. The
//   others retry every lease_retry_interval. MySQL releases the lock when the holder's
//   session dies, so takeover after a crash is automatic. Every batch starts with one
//   round trip on that session that checks IS_USED_LOCK(name) = CONNECTION_ID(),
//   fetches the batch and writes (the previous batch's progress, or the durability
//   barrier, below); if the session broke or the lock is gone the holder stops publishing and
//   competes for the lease again.
//
//   Selection. Ids are dense and in commit order (outbox_writer.h, "Ids": a sequence
//   row bumped under its row lock in the writer's transaction), so the relay keeps one
//   id: every row up to published_up_to (outbox_relay_barriers) is published. Each batch
//   is "WHERE id > <acknowledged up to> ORDER BY id LIMIT batch_size", a primary-key
//   range, and only the run of ids that follows without a hole is produced: a missing id
//   is a commit not visible yet, waited for (poll_interval) and skipped, with an error
//   log and bourse_outbox_gaps_skipped_total, only after kRelayGapSkipAfter (then it was
//   deleted by hand or written around the sequence: no writer can hold an id that long
//   while later ones commit). The id is read from the database when the lease is taken.
//
//   Publication. Each row goes out through the idempotent producer (topic = row.topic,
//   key = message_key, value = payload, headers event_type and event_id). Once the whole
//   batch is queued it is sent at once (kafka::Producer::send_now), not after linger.ms:
//   nothing else would join it, as the relay waits for the reports before its next batch.
//   The relay waits for every delivery report, then records the acknowledged PREFIX of the batch:
//   published_up_to = its last id (GREATEST, so it never moves back). After the first
//   failed row nothing is recorded, so a row never counts as published while an earlier
//   row (possibly of the same key) does not. The failed rest is retried after a
//   back-off. The relay thread sends a good batch's progress with its NEXT fetch (which
//   starts after those ids and comes right away, without the idle wait): one round trip
//   per batch. run_once() and a failed batch record at once; stop() records what the
//   thread left.
//
//   Durability. Without a binary log, InnoDB makes a transaction's commit visible to
//   other sessions before its redo log is flushed, and a crash in between loses it. A
//   relay that published such a row would send a phantom event (seen in the chaos suite:
//   OrderCreated of orders that a MariaDB kill then lost, whose ids were given to other
//   orders after the restart, so matching traded ids that now named other users). So
//   before producing a fetched batch the relay makes sure one write committed AFTER the
//   fetch: that commit's flush covers every transaction the fetch saw. The write is the
//   one sent with the fetch: the previous batch's progress, or, with none to record, a
//   write to outbox_relay_barriers that happens only when the fetch found rows
//   (FOUND_ROWS() > 0, so an idle poll writes nothing). If that write changed no row (a
//   progress another holder had already passed), a barrier of its own follows.
//
//   At-least-once. A crash (or lease loss, or a failed write) between the broker's
//   acknowledgement and the record leaves acknowledged rows above published_up_to; they
//   are produced again, with the same event_id, by whichever relay runs next. Consumers
//   MUST deduplicate by event_id (platform/consumer does). Every copy of a row comes from
//   a producer that keeps per-partition order, so the FIRST copies of one key's events
//   are always in id order; later copies are duplicates to drop.
//
//   Cleanup. The lease holder deletes published rows (id <= published_up_to) created
//   more than `retention` ago every cleanup_interval, in chunks of
//   kRelayCleanupChunkRows, oldest first.
//
//   Metrics (label outbox="<table>"): bourse_outbox_pending_rows,
//   bourse_outbox_oldest_unpublished_age_seconds (re-read by every instance, holder or
//   not, at the start of its first iteration after kRelayMetricsRefreshInterval has
//   passed, and after a failed delivery; NOT after a successful batch, so right after a
//   publish they may still show the rows just published, for up to that interval),
//   bourse_outbox_published_total (rows the broker acknowledged),
//   bourse_outbox_publish_failures_total (failed iterations: Kafka, database or lease
//   trouble), bourse_outbox_lease_held (0/1), bourse_outbox_empty_polls_total,
//   bourse_outbox_relay_delay_seconds (histogram: a row's insert, database clock, to its
//   acknowledgement), bourse_outbox_holes_waited_total, bourse_outbox_gaps_skipped_total,
//   bourse_outbox_batch_rows (histogram: rows per produced batch).
//
// Threads: start() runs the relay on one thread of its own until stop(). run_once()
// runs one iteration on the caller's thread (for tests and tools). Both are serialised
// by an internal mutex, so all public member functions are thread-safe. Nothing throws
// out of the relay thread: errors are logged (bourse::log), counted, and retried with a
// back-off from kRelayInitialBackoff doubling to kRelayMaxBackoff.
//
// Resources: one dedicated database session for the lease, the fetch and the write
// sent with it (outside the pool), pool sessions for the progress read at lease time,
// run_once()'s record, a fallback barrier and the cleanup (one at a time), one kafka::Producer (recreated after a fatal
// error or a delivery timeout).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/kafka/config.h"
#include "bourse/metrics/registry.h"
#include "bourse/outbox/relay_options.h"

namespace bourse::outbox {

inline constexpr std::string_view kMetricPendingRows = "bourse_outbox_pending_rows";
inline constexpr std::string_view kMetricOldestUnpublishedAge =
    "bourse_outbox_oldest_unpublished_age_seconds";
inline constexpr std::string_view kMetricPublishedTotal = "bourse_outbox_published_total";
inline constexpr std::string_view kMetricPublishFailuresTotal =
    "bourse_outbox_publish_failures_total";
inline constexpr std::string_view kMetricLeaseHeld = "bourse_outbox_lease_held";
inline constexpr std::string_view kMetricEmptyPollsTotal = "bourse_outbox_empty_polls_total";
inline constexpr std::string_view kMetricDelaySeconds = "bourse_outbox_relay_delay_seconds";
inline constexpr std::string_view kMetricGapsSkippedTotal = "bourse_outbox_gaps_skipped_total";
inline constexpr std::string_view kMetricHolesWaitedTotal = "bourse_outbox_holes_waited_total";
inline constexpr std::string_view kMetricBatchRows = "bourse_outbox_batch_rows";

// The delay histogram's bucket upper bounds (seconds): 1 ms to 30 s.
std::vector<double> relay_delay_buckets_seconds();

// Error reasons of run_once().
// kConflict: another instance holds the lease; this one is a standby (not a failure).
inline constexpr const char* kLeaseNotHeldReason = "outbox_relay_lease_not_held";
// kUnavailable: the lease session broke or the lock was lost; publishing stopped.
inline constexpr const char* kLeaseLostReason = "outbox_relay_lease_lost";
// kUnavailable: crash_after_produce_for_testing fired.
inline constexpr const char* kSimulatedCrashReason = "outbox_relay_simulated_crash";

class Relay {
 public:
  // Validates `options` and the Kafka config; connects to nothing yet.
  // Errors: kInvalidArgument.
  // REQUIRES: pool, registry and clock outlive the Relay.
  static Result<std::unique_ptr<Relay>> create(db::ConnectionPool& pool,
                                               kafka::KafkaConfig kafka_config,
                                               metrics::Registry& registry, const Clock& clock,
                                               RelayOptions options);

  // stop(), then releases the lease and the producer.
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Starts the relay thread. kConflict if it is already running.
  Status start();

  // Asks the thread to stop, waits for it to finish the current batch (at most
  // delivery_timeout plus one database round trip), joins it and releases the lease so
  // a standby takes over at its next retry. Idempotent.
  void stop();

  // One iteration on the caller's thread: take the lease if not held (one attempt),
  // refresh the pending metrics if due, check the lease, publish one batch, record the
  // acknowledged prefix before returning, clean up if due. Returns the rows published
  // (0: nothing to do, or rows waiting behind a missing id).
  // Errors: kConflict/kLeaseNotHeldReason (standby), kUnavailable/kLeaseLostReason,
  // kUnavailable/kTimeout from the database or Kafka (nothing after the first failed
  // row is recorded), kUnavailable/kSimulatedCrashReason (test hook).
  Result<std::size_t> run_once();

  // Ends the current idle wait at once (the process just committed rows to this relay's
  // outbox): the next batch starts without waiting for poll_interval. A wake during the
  // iteration makes the next idle wait return at once too. Lease retries and back-offs
  // are not shortened. Cheap, never blocks on I/O: callable from any thread, e.g. right
  // after a COMMIT. The poll stays the safety net for rows other instances commit.
  void wake() noexcept;

  // True while this relay holds the lease (as of its last check).
  bool lease_held() const noexcept;
  bool running() const noexcept;
  const RelayOptions& options() const noexcept;

 private:
  struct State;
  explicit Relay(std::unique_ptr<State> state);
  void run_loop();
  std::unique_ptr<State> state_;
};

}  // namespace bourse::outbox
