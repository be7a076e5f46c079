// Goal: a partition that sits with a lag and no progress for stall_timeout is reported
// stalled (once, then again every stall_timeout) and recovers when its offset moves or the
// lag is gone; a partition that is merely idle or fully consumed never is; the lag is the
// high watermark minus the stored next offset; broker queries are rationed.
#include "partition_progress.h"

#include <catch2/catch.hpp>

namespace bourse::consumer::detail {
namespace {

using namespace std::chrono_literals;
using Change = PartitionProgress::Change;

const PartitionProgress::Clock::time_point t0{};

TEST_CASE("lag is the high watermark minus the stored next offset", "[progress]") {
  PartitionProgress progress(30s, t0, 40);
  CHECK(progress.observe(t0, 40) == Change::kNone);
  CHECK_FALSE(progress.lag());  // no watermark known yet

  progress.watermarks_seen(t0 + 1s, {10, 55});
  progress.observe(t0 + 1s, 40);
  CHECK(progress.lag() == 15);
  progress.watermarks_seen(t0 + 2s, {10, 50});  // an older answer: the high never goes back
  progress.observe(t0 + 2s, 45);
  CHECK(progress.lag() == 10);
  // Nothing stored yet: the partition starts at the start of the log.
  PartitionProgress fresh(30s, t0, std::nullopt);
  fresh.watermarks_seen(t0, {10, 55});
  fresh.observe(t0, std::nullopt);
  CHECK(fresh.lag() == 45);
}

TEST_CASE("a lag without progress for stall_timeout is a stall, reported until it ends",
          "[progress]") {
  PartitionProgress progress(5s, t0, 40);
  progress.watermarks_seen(t0, {0, 41});  // one record behind (e.g. a lost fetch position)
  CHECK(progress.observe(t0 + 1s, 40) == Change::kNone);
  CHECK(progress.observe(t0 + 4s, 40) == Change::kNone);
  CHECK_FALSE(progress.stalled());
  CHECK(progress.observe(t0 + 5s, 40) == Change::kStalled);  // counted from the assignment
  CHECK(progress.stalled());
  CHECK(progress.idle(t0 + 5s) == 5s);
  CHECK(progress.observe(t0 + 6s, 40) == Change::kNone);  // reported already
  CHECK(progress.observe(t0 + 10s, 40) == Change::kStillStalled);
  CHECK(progress.observe(t0 + 11s, 41) == Change::kRecovered);  // the offset moved
  CHECK_FALSE(progress.stalled());
  CHECK(progress.lag() == 0);
}

TEST_CASE("slow progress, an idle partition and a drained one are not stalls", "[progress]") {
  PartitionProgress progress(5s, t0, 0);
  progress.watermarks_seen(t0, {0, 1'000});
  for (int second = 1; second <= 20; ++second) {  // one batch every 4 s: slow, not stuck
    const std::int64_t next = second / 4;
    CHECK(progress.observe(t0 + std::chrono::seconds(second), next) == Change::kNone);
  }
  PartitionProgress drained(5s, t0, 7);
  drained.watermarks_seen(t0, {0, 7});
  CHECK(drained.observe(t0 + 60s, 7) == Change::kNone);
  CHECK(drained.lag() == 0);
  // New records after a long idle time: the stall clock starts at the last check that saw
  // no lag (t0 + 60 s), not at the assignment.
  drained.watermarks_seen(t0 + 61s, {0, 9});
  CHECK(drained.observe(t0 + 61s, 7) == Change::kNone);
  CHECK(drained.observe(t0 + 64s, 7) == Change::kNone);
  CHECK(drained.observe(t0 + 65s, 7) == Change::kStalled);

  PartitionProgress unknown(5s, t0, 3);  // no watermark ever: no lag, no stall
  CHECK(unknown.observe(t0 + 60s, 3) == Change::kNone);
  CHECK_FALSE(unknown.lag());
}

TEST_CASE("the lag ending without progress also ends the stall", "[progress]") {
  PartitionProgress progress(5s, t0, 10);
  progress.watermarks_seen(t0, {0, 12});
  CHECK(progress.observe(t0 + 5s, 10) == Change::kStalled);
  // Another member's work or a confirmed log gap: the stored offset reached the end.
  CHECK(progress.observe(t0 + 6s, 12) == Change::kRecovered);
  CHECK(progress.observe(t0 + 20s, 12) == Change::kNone);
}

TEST_CASE("the broker is asked only when the cached high watermark stopped growing", "[progress]") {
  PartitionProgress progress(10s, t0, std::nullopt);
  CHECK_FALSE(progress.wants_query(t0 + 9s));
  CHECK(progress.wants_query(t0 + 10s));  // nothing cached 10 s after the assignment
  progress.queried(t0 + 10s);
  CHECK_FALSE(progress.wants_query(t0 + 11s));  // at most once per stall_timeout
  CHECK(progress.wants_query(t0 + 20s));
  progress.queried(t0 + 20s);
  progress.watermarks_seen(t0 + 25s, {0, 5});  // fetches bring it in
  CHECK_FALSE(progress.wants_query(t0 + 31s));
  CHECK(progress.wants_query(t0 + 35s));       // not grown for 10 s: maybe stale
  progress.watermarks_seen(t0 + 35s, {0, 5});  // the same value is not growth
  CHECK(progress.wants_query(t0 + 35s));
}

}  // namespace
}  // namespace bourse::consumer::detail
