// Order entry's own account of an accept latency, from the committer's histograms in
// /metrics (modules/order/README.md): bourse_order_queue_seconds (each request's wait for
// its group), bourse_order_group_seconds (a group, from the queue to its answers) and
// bourse_order_group_last_round_trip_seconds (a group's writes and COMMIT). loadgen reads
// their _sum and _count samples of every instance when the load starts and when
// everything is final, like the relay delays (relay_delay.h); the differences are what
// the run's groups took, and their means are exact (the buckets are too coarse to say
// more than "at most" about a quantile). So a run can tell the lane's queue from its
// groups, and a group's reads from its writes and COMMIT, without a profiler.
//
// Pure: no I/O (tested in order_entry_metrics_test.cc).
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

#include "relay_delay.h"

namespace bourse::bench {

// The histograms' _sum (seconds, or requests for group_requests) and _count samples,
// summed over the pages added.
struct OrderEntryTotals {
  double queue_sum = 0, queue_count = 0;
  double group_sum = 0, group_count = 0;
  double last_round_trip_sum = 0, last_round_trip_count = 0;
  double group_requests_sum = 0;
};

// Adds the order entry samples of one /metrics page to `into` (lines of other metrics,
// comments and malformed lines are ignored; NaN values too).
inline void add_order_entry_totals(std::string_view page, OrderEntryTotals& into) {
  // Each field and the sample that feeds it.
  const std::pair<std::string_view, double OrderEntryTotals::*> fields[] = {
      {"bourse_order_queue_seconds_sum", &OrderEntryTotals::queue_sum},
      {"bourse_order_queue_seconds_count", &OrderEntryTotals::queue_count},
      {"bourse_order_group_seconds_sum", &OrderEntryTotals::group_sum},
      {"bourse_order_group_seconds_count", &OrderEntryTotals::group_count},
      {"bourse_order_group_last_round_trip_seconds_sum", &OrderEntryTotals::last_round_trip_sum},
      {"bourse_order_group_last_round_trip_seconds_count",
       &OrderEntryTotals::last_round_trip_count},
      {"bourse_order_group_requests_sum", &OrderEntryTotals::group_requests_sum},
  };
  for_each_sample(page, [&](const PrometheusSample& sample) {
    if (std::isnan(sample.value)) return;
    for (const auto& [name, field] : fields) {
      if (sample.name == name) into.*field += sample.value;
    }
  });
}

// What was observed between two readings, field by field; a field that went down (an
// instance restarted in between) counts 0.
inline OrderEntryTotals order_entry_between(const OrderEntryTotals& earlier,
                                            const OrderEntryTotals& later) {
  const auto diff = [](double before, double after) { return std::max(0.0, after - before); };
  return OrderEntryTotals{diff(earlier.queue_sum, later.queue_sum),
                          diff(earlier.queue_count, later.queue_count),
                          diff(earlier.group_sum, later.group_sum),
                          diff(earlier.group_count, later.group_count),
                          diff(earlier.last_round_trip_sum, later.last_round_trip_sum),
                          diff(earlier.last_round_trip_count, later.last_round_trip_count),
                          diff(earlier.group_requests_sum, later.group_requests_sum)};
}

// Means in milliseconds (orders_per_group in requests); nullopt where nothing was observed.
struct OrderEntryMeans {
  std::optional<double> queue_ms, group_ms, last_round_trip_ms, requests_per_group;
};

inline OrderEntryMeans order_entry_means(const OrderEntryTotals& totals) {
  const auto mean = [](double sum, double count, double scale) -> std::optional<double> {
    if (count <= 0) return std::nullopt;
    return sum / count * scale;
  };
  return OrderEntryMeans{mean(totals.queue_sum, totals.queue_count, 1e3),
                         mean(totals.group_sum, totals.group_count, 1e3),
                         mean(totals.last_round_trip_sum, totals.last_round_trip_count, 1e3),
                         mean(totals.group_requests_sum, totals.group_count, 1.0)};
}

}  // namespace bourse::bench
