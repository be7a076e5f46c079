#include "bourse/matching/service/service_options.h"

namespace bourse::matching::service {
namespace {

bool valid_name(const std::string& name, std::size_t max_length) {
  if (name.empty() || name.size() > max_length) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Error invalid(const std::string& field, const std::string& rule) {
  return Error::invalid("matching service option " + field + " " + rule, "invalid_matching_option");
}

}  // namespace

Status validate(const MatchingServiceOptions& options) {
  if (!valid_name(options.group_id, 128))
    return invalid("group_id", "must be [A-Za-z0-9._-]{1,128}");
  if (!valid_name(options.input_topic, 249)) return invalid("input_topic", "must be a topic name");
  if (!valid_name(options.output_topic, 249))
    return invalid("output_topic", "must be a topic name");
  if (options.max_batch < 1 || options.max_batch > kMaxBatchInputs) {
    return invalid("max_batch", "must be in [1, " + std::to_string(kMaxBatchInputs) + "]");
  }
  if (options.batch_wait.count() < 0 || options.batch_wait > kMaxBatchWait) {
    return invalid("batch_wait", "must be in [0, 1 s]");
  }
  if (options.batch_wait_per_commit < 0 || options.batch_wait_per_commit > kMaxBatchWaitPerCommit) {
    return invalid("batch_wait_per_commit",
                   "must be in [0, " + std::to_string(kMaxBatchWaitPerCommit) + "]");
  }
  if (options.snapshot_every_inputs < kMinSnapshotEveryInputs ||
      options.snapshot_every_inputs > kMaxSnapshotEveryInputs) {
    return invalid("snapshot_every_inputs", "must be in [100, 10000000]");
  }
  if (options.snapshot_interval < kMinSnapshotInterval ||
      options.snapshot_interval > kMaxSnapshotInterval) {
    return invalid("snapshot_interval", "must be in [1 s, 1 h]");
  }
  if (options.snapshots_kept < kMinSnapshotsKept || options.snapshots_kept > kMaxSnapshotsKept) {
    return invalid("snapshots_kept", "must be in [2, 20]");
  }
  if (options.commit_retry_budget.count() < 0 ||
      options.commit_retry_budget > kMaxCommitRetryBudget) {
    return invalid("commit_retry_budget", "must be in [0, 20 s]");
  }
  if (options.commit_retry_budget + options.batch_wait >= options.max_poll_interval / 2) {
    return invalid("commit_retry_budget", "plus batch_wait must stay under max_poll_interval / 2");
  }
  return Status::success();
}

}  // namespace bourse::matching::service
