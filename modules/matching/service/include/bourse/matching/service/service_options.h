// Settings of the matching service (matching_service.h), with the limits they are
// validated against. validate() is called by MatchingService::create().
#pragma once

#include <chrono>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <string>

#include "bourse/common/error.h"

namespace bourse::matching::service {

// --- Limits (the reason next to each number) -----------------------------------------
// Inputs per batch transaction: each input writes a few outbox rows (at most a few
// hundred bytes each) under the partition's offset lock; 5,000 inputs keep one
// transaction's undo log and statement size (chunks of outbox::kMaxAppendBatch) bounded.
inline constexpr std::size_t kMaxBatchInputs = 5'000;
// Longest wait for more messages of a batch after its first: latency added to the first
// input's outputs.
inline constexpr std::chrono::milliseconds kMaxBatchWait{1'000};
// Adaptive gathering (batch_wait_per_commit): a wait of up to 16 commit durations. More
// would make batches gather for many commits' time even on an idle database.
inline constexpr int kMaxBatchWaitPerCommit = 16;
// Snapshot cadence bounds. Below 100 inputs a snapshot (the whole books, up to tens of
// MiB) would be written more often than it saves replay; above 10 million inputs a
// restore replays for minutes (about 1 µs per input plus the fetch).
inline constexpr std::int64_t kMinSnapshotEveryInputs = 100;
inline constexpr std::int64_t kMaxSnapshotEveryInputs = 10'000'000;
inline constexpr std::chrono::seconds kMinSnapshotInterval{1};
inline constexpr std::chrono::seconds kMaxSnapshotInterval{3'600};
// Snapshots kept per partition (the newest): a snapshot that fails to decode (a bug, a
// format change) falls back to the previous one instead of a replay from the start.
inline constexpr int kMinSnapshotsKept = 2;
inline constexpr int kMaxSnapshotsKept = 20;
// The input topic must keep messages at least this many snapshot intervals
// (retention.ms >= factor x snapshot_interval, or -1 = forever): a restore replays from
// the latest snapshot, so its offset must still be in the log even after an owner was
// down for a while. MatchingService::check_input_retention refuses less.
inline constexpr std::int64_t kMinRetentionSnapshotIntervals = 100;
// A batch whose transaction keeps failing (database down, deadlocks) is retried with a
// back-off from kInitialCommitBackoff doubling to kMaxCommitBackoff, for at most
// commit_retry_budget in total; then the partition's in-memory state is dropped and
// restored from the database (its outputs are recomputed, identically). The budget must
// stay well under max_poll_interval: the consumer thread does not poll meanwhile.
inline constexpr std::chrono::milliseconds kInitialCommitBackoff{50};
inline constexpr std::chrono::milliseconds kMaxCommitBackoff{2'000};
inline constexpr std::chrono::milliseconds kMaxCommitRetryBudget{20'000};
// How long the worker waits for a message before checking stop() and due snapshots.
inline constexpr std::chrono::milliseconds kWorkerPollTimeout{100};
// Longest wait for the broker's watermarks at assignment (retention check), per partition.
inline constexpr std::chrono::milliseconds kWatermarkQueryTimeout{5'000};
// Inputs held back for a later batch (what did not fit a full batch, and a partition's
// newer inputs behind its held ones): at most this many batches' worth
// (kMaxHeldInputBatches * max_batch messages); once reached, the batch ends with what it
// has.
inline constexpr std::size_t kMaxHeldInputBatches = 4;

struct MatchingServiceOptions {
  // Called on the service's thread after each batch transaction that wrote outputs to
  // matching_outbox committed (e.g. outbox::Relay::wake() of that outbox). Must be cheap
  // and never block. Optional.
  std::function<void()> after_commit;
  // Consumer group, e.g. "<prefix>matching". REQUIRED, [A-Za-z0-9._-]{1,128}.
  std::string group_id;
  // Input topic (order-events: OrderCreated / CancelRequested envelopes). REQUIRED.
  std::string input_topic;
  // Output topic written into matching_outbox rows (matching-events). REQUIRED.
  std::string output_topic;
  // Inputs per batch (of one or more partitions). [1, kMaxBatchInputs].
  std::size_t max_batch = 500;
  // Wait for more messages after a batch's oldest. [0, kMaxBatchWait].
  std::chrono::milliseconds batch_wait{5};
  // 0: every batch gathers for batch_wait. N > 0: for N times the duration of the previous
  // batch transaction, at most batch_wait (gather_wait.h): short waits while the database
  // is idle, long ones while it is busy. [0, kMaxBatchWaitPerCommit].
  int batch_wait_per_commit = 0;
  // A snapshot is taken after a batch once this many inputs were applied since the last
  // one, or once snapshot_interval passed with at least one input applied (also while the
  // partition is idle). [kMinSnapshotEveryInputs, kMaxSnapshotEveryInputs] and
  // [kMinSnapshotInterval, kMaxSnapshotInterval].
  std::int64_t snapshot_every_inputs = 100'000;
  std::chrono::seconds snapshot_interval{60};
  // Newest snapshots kept per partition. [kMinSnapshotsKept, kMaxSnapshotsKept].
  int snapshots_kept = 3;
  // Retry budget of one batch's commit. [0, kMaxCommitRetryBudget].
  std::chrono::milliseconds commit_retry_budget{10'000};
  // Group membership (see bourse/kafka/consumer.h for the bounds).
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds heartbeat_interval{3'000};
  std::chrono::milliseconds max_poll_interval{60'000};
};

// kInvalidArgument naming the first field out of its bounds.
Status validate(const MatchingServiceOptions& options);

}  // namespace bourse::matching::service
