// Goal: loadgen reads order entry's histograms as the servers render them, sums them over
// instances, takes the run's share as the difference of two readings and reports exact
// means; a run with nothing observed has no mean rather than a made-up one.
#include "order_entry_metrics.h"

#include <catch2/catch.hpp>

#include "bourse/metrics/registry.h"

using bourse::bench::add_order_entry_totals;
using bourse::bench::order_entry_between;
using bourse::bench::order_entry_means;
using bourse::bench::OrderEntryTotals;

namespace {

// The committer's histograms (modules/order/src/order_committer.cc), restated: this test
// does not link the order module. Default buckets, as there.
struct Committer {
  bourse::metrics::Registry registry;
  bourse::metrics::Histogram& queue =
      registry.histogram("bourse_order_queue_seconds", "queue", {}).with({});
  bourse::metrics::Histogram& group =
      registry.histogram("bourse_order_group_seconds", "group", {}).with({});
  bourse::metrics::Histogram& last_round_trip =
      registry.histogram("bourse_order_group_last_round_trip_seconds", "last", {}).with({});
  bourse::metrics::Histogram& requests =
      registry.histogram("bourse_order_group_requests", "requests", {}, {1, 10, 100}).with({});

  // One group of `size` requests that each waited `wait` s, taking `seconds`, of which
  // `last` s its writes and COMMIT.
  void commit_group(int size, double wait, double seconds, double last) {
    for (int i = 0; i < size; ++i) queue.observe(wait);
    group.observe(seconds);
    last_round_trip.observe(last);
    requests.observe(size);
  }
};

}  // namespace

TEST_CASE("order entry's totals are read from the rendering and summed over instances",
          "[loadgen]") {
  Committer a, b;
  a.commit_group(10, 0.004, 0.006, 0.005);
  b.commit_group(30, 0.002, 0.010, 0.007);
  OrderEntryTotals totals;
  add_order_entry_totals(a.registry.render_prometheus(), totals);
  add_order_entry_totals(b.registry.render_prometheus(), totals);
  CHECK(totals.queue_count == 40);
  CHECK(totals.queue_sum == Approx(10 * 0.004 + 30 * 0.002));
  CHECK(totals.group_count == 2);
  CHECK(totals.group_sum == Approx(0.016));
  CHECK(totals.last_round_trip_count == 2);
  CHECK(totals.last_round_trip_sum == Approx(0.012));
  CHECK(totals.group_requests_sum == 40);

  const auto means = order_entry_means(totals);
  REQUIRE(means.queue_ms);
  CHECK(*means.queue_ms == Approx(2.5));  // (0.04 + 0.06) / 40 s
  CHECK(*means.group_ms == Approx(8.0));
  CHECK(*means.last_round_trip_ms == Approx(6.0));
  CHECK(*means.requests_per_group == Approx(20.0));
}

TEST_CASE("the run's share is the difference of two readings; nothing observed, no mean",
          "[loadgen]") {
  Committer committer;
  committer.commit_group(5, 0.1, 0.2, 0.15);  // before the load: not the run's
  OrderEntryTotals start;
  add_order_entry_totals(committer.registry.render_prometheus(), start);
  CHECK_FALSE(order_entry_means(order_entry_between(start, start)).group_ms);

  committer.commit_group(8, 0.001, 0.003, 0.002);
  OrderEntryTotals end;
  add_order_entry_totals(committer.registry.render_prometheus(), end);
  const auto means = order_entry_means(order_entry_between(start, end));
  REQUIRE(means.group_ms);
  CHECK(*means.queue_ms == Approx(1.0));
  CHECK(*means.group_ms == Approx(3.0));
  CHECK(*means.last_round_trip_ms == Approx(2.0));
  CHECK(*means.requests_per_group == Approx(8.0));

  // An instance restarted in between (its counters went down) contributes nothing.
  const auto restarted = order_entry_between(end, start);
  CHECK(restarted.group_count == 0);
  CHECK(restarted.queue_sum == 0);
}

TEST_CASE("other metrics, comments and malformed lines are not order entry's", "[loadgen]") {
  OrderEntryTotals totals;
  add_order_entry_totals(
      "# HELP bourse_order_group_seconds x\n"
      "bourse_order_group_seconds_bucket{le=\"0.005\"} 7\n"
      "bourse_order_group_seconds_sum_extra 3\n"
      "bourse_order_group_seconds_count NaN\n"
      "bourse_order_group_seconds_sum oops\n"
      "bourse_http_requests_total 12\n",
      totals);
  CHECK(totals.group_count == 0);
  CHECK(totals.group_sum == 0);
  CHECK_FALSE(order_entry_means(totals).group_ms);
}
