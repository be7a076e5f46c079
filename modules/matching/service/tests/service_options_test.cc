// Goal: every matching service option outside its named limits is refused at start-up.
#include "bourse/matching/service/service_options.h"

#include <catch2/catch.hpp>

namespace bourse::matching::service {
namespace {

MatchingServiceOptions valid() {
  MatchingServiceOptions options;
  options.group_id = "t.matching";
  options.input_topic = "t.order-events";
  options.output_topic = "t.matching-events";
  return options;
}

TEST_CASE("the default options with names are valid", "[matching_service]") {
  CHECK(validate(valid()).ok());
}

TEST_CASE("options beyond their limits are refused", "[matching_service]") {
  auto options = valid();
  options.group_id = "";
  CHECK_FALSE(validate(options).ok());
  options = valid();
  options.max_batch = kMaxBatchInputs + 1;
  CHECK_FALSE(validate(options).ok());
  options = valid();
  options.snapshot_every_inputs = kMinSnapshotEveryInputs - 1;
  CHECK_FALSE(validate(options).ok());
  options = valid();
  options.snapshot_interval = kMaxSnapshotInterval + std::chrono::seconds(1);
  CHECK_FALSE(validate(options).ok());
  options = valid();
  options.snapshots_kept = 1;
  CHECK_FALSE(validate(options).ok());
  options = valid();
  options.commit_retry_budget = std::chrono::milliseconds(40'000);
  CHECK_FALSE(validate(options).ok());
  options = valid();
  options.batch_wait_per_commit = kMaxBatchWaitPerCommit;
  CHECK(validate(options).ok());
  options.batch_wait_per_commit = kMaxBatchWaitPerCommit + 1;
  CHECK_FALSE(validate(options).ok());
  options.batch_wait_per_commit = -1;
  CHECK_FALSE(validate(options).ok());
}

}  // namespace
}  // namespace bourse::matching::service
