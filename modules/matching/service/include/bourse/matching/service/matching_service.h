// MatchingService: the matching engine made durable on Kafka partitions. One per process;
// every instance runs one, in consumer group options.group_id ("<prefix>matching") on the
// input topic (order-events). Kafka assigns each partition to one member; that member
// owns the partition's matching shard (a ShardState: the books of every symbol keyed to
// that partition).
//
// The input topic is the shard's journal. Per batch (consecutive messages of one or more
// partitions, each partition's in offset order, at most max_batch in all, gathered until
// batch_wait after its oldest message was polled; what does not fit is held for the next
// batch, up to kMaxHeldInputBatches x max_batch):
//   1. each message is decoded (an order::OrderCreated or order::CancelRequested envelope)
//      and applied to its partition's ShardState; a message that does not decode is a dead letter
//      (dead_letters row, group = options.group_id) and is skipped - decoding is a pure
//      function of the bytes, so replay skips it the same way without looking it up;
//   2. ONE transaction for all the batch's partitions: SELECT matching_offsets.next_offset
//      FOR UPDATE of each must equal the offset this member last committed (fencing:
//      otherwise another owner moved it; this member writes nothing of that partition,
//      drops its state and restores it; the other partitions commit); the outputs go into
//      matching_outbox (event ids events::output_event_id(partition, offset, index),
//      topic options.output_topic, key the symbol), the changed symbols' market_view rows
//      are upserted, each next_offset moves past its partition's run, and a snapshot is
//      stored when due; COMMIT. A failed commit (deadlock, database down) retries THAT
//      transaction - the outputs already computed - with back-off for at most
//      commit_retry_budget; it never re-applies inputs. Past the budget the states of all
//      its partitions are dropped and restored (the outputs are then recomputed,
//      identically). Nothing is visible before the commit.
//   Snapshots (ShardState::encode()) are taken between batches on the consumer thread,
//   in a batch's transaction every snapshot_every_inputs inputs or snapshot_interval
//   (also when the partition went idle), the newest snapshots_kept kept per partition.
//
// Assignment: the member loads the newest snapshot that decodes (none: a fresh shard at
// offset 0) and the committed next_offset, asks the broker for the partition's
// watermarks, starts consuming at the snapshot's offset and replays up to the committed
// offset WITHOUT emitting (the shard is deterministic and dedups duplicate order ids),
// then goes live. If the snapshot's offset is below the log start (retention deleted
// inputs it needs) or the log ends before the committed offset, the partition is REFUSED:
// error log, gauge bourse_matching_partitions_refused, its messages are dropped, nothing
// is written; it never restarts silently from what is left. Revocation: batches run
// between polls, so a revoked partition's last batch has committed or written nothing;
// its state is dropped.
//
// Metrics: bourse_matching_inputs_applied_total, _outputs_committed_total,
// _batches_committed_total, _commit_retries_total, _snapshots_taken_total,
// _snapshots_skipped_total (state over kMaxSnapshotBytes), _dead_letters_total,
// _fencing_refusals_total, _events_replayed_total, _restore_seconds (histogram: from
// assignment or restore to live), bourse_matching_partitions_refused (gauge),
// bourse_matching_lag_messages{partition} (gauge: high watermark - committed offset,
// from librdkafka's cache, refreshed about once a second).
//
// Threads: start() runs one worker thread that owns the kafka::Consumer and does all of
// the above (ShardStates, transactions, snapshots) on it; stop() joins it. Or poll_once()
// drives it on the caller's thread (tests); then every call, accessors included, and the
// destructor must be on that one thread. The database pool is used one session at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/common/instrument.h"
#include "bourse/db/connection_pool.h"
#include "bourse/kafka/config.h"
#include "bourse/matching/service/service_options.h"
#include "bourse/metrics/registry.h"

namespace bourse::matching::service {

// Error reason of check_input_retention when the input topic keeps messages too briefly.
inline constexpr const char* kRetentionTooShortReason = "input_retention_too_short";

class MatchingService {
 public:
  // Validates the options and instruments; connects to nothing.
  // REQUIRES: pool, registry and clock outlive the service; `instruments` is the same
  // configuration on every instance (a snapshot restored against other tick sizes is
  // refused).
  static Result<std::unique_ptr<MatchingService>> create(
      db::ConnectionPool& pool, kafka::KafkaConfig kafka_config, metrics::Registry& registry,
      const Clock& clock, std::vector<Instrument> instruments, MatchingServiceOptions options);
  // stop(), then closes the consumer (revocation).
  ~MatchingService();
  MatchingService(const MatchingService&) = delete;
  MatchingService& operator=(const MatchingService&) = delete;

  // Start-up check (REFUSES, not a warning): the input topic's retention.ms must be -1
  // (forever) or at least kMinRetentionSnapshotIntervals x snapshot_interval. Asks the
  // broker (DescribeConfigs), blocking up to `timeout`. kInvalidArgument with reason
  // kRetentionTooShortReason; kNotFound (no topic); kTimeout/kUnavailable (broker).
  Status check_input_retention(std::chrono::milliseconds timeout);

  // Starts the worker thread. kConflict if running.
  Status start();
  // Stops and joins the worker (the batch in flight commits or writes nothing), closes
  // the consumer (revocation: every shard dropped). Idempotent.
  void stop();

  // One step on the caller's thread: serve a rebalance, retry pending restores, take due
  // idle snapshots, then gather and process at most one batch. Returns the live inputs
  // committed. Errors: Kafka or database trouble (logged and retried by later calls).
  Result<std::size_t> poll_once(std::chrono::milliseconds timeout);

  // --- observation, on the driving thread (poll_once mode) ---------------------------
  // The encode() of the partition's shard, if assigned here and not refused.
  std::optional<std::string> encoded_shard(std::int32_t partition) const;
  // True once the partition's replay reached its committed offset.
  bool live(std::int32_t partition) const;
  // Partitions assigned to this member now.
  std::vector<std::int32_t> assigned_partitions() const;

 private:
  struct Impl;
  explicit MatchingService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::matching::service
