#include "relay_metrics.h"

#include "bourse/outbox/relay.h"

namespace bourse::outbox {

std::vector<double> relay_delay_buckets_seconds() {
  return {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30};
}

RelayMetrics::RelayMetrics(metrics::Registry& registry, std::string_view table)
    : pending_rows(
          registry.gauge(kMetricPendingRows, "Outbox rows not yet published to Kafka", {"outbox"})
              .with({table})),
      oldest_unpublished_age_seconds(
          registry
              .gauge(kMetricOldestUnpublishedAge,
                     "Age of the oldest unpublished outbox row (0 when none)", {"outbox"})
              .with({table})),
      published_total(registry
                          .counter(kMetricPublishedTotal,
                                   "Outbox rows acknowledged by Kafka",
                                   {"outbox"})
                          .with({table})),
      publish_failures_total(
          registry
              .counter(kMetricPublishFailuresTotal,
                       "Relay iterations that failed (Kafka, database or lease trouble)",
                       {"outbox"})
              .with({table})),
      lease_held(registry
                     .gauge(kMetricLeaseHeld, "1 while this process is the outbox's active relay",
                            {"outbox"})
                     .with({table})),
      empty_polls_total(registry
                            .counter(kMetricEmptyPollsTotal,
                                     "Fetches of the lease holder that found no unpublished row",
                                     {"outbox"})
                            .with({table})),
      delay_seconds(registry
                        .histogram(kMetricDelaySeconds,
                                   "Time from an outbox row's insert (database clock) to the "
                                   "broker's acknowledgement of it",
                                   {"outbox"}, relay_delay_buckets_seconds())
                        .with({table})),
      gaps_skipped_total(registry
                             .counter(kMetricGapsSkippedTotal,
                                      "Missing outbox ids the relay skipped after "
                                      "kRelayGapSkipAfter (deleted or written around the "
                                      "sequence; never expected)",
                                      {"outbox"})
                             .with({table})),
      holes_waited_total(registry
                             .counter(kMetricHolesWaitedTotal,
                                      "Fetches whose rows stopped at a missing id (a commit "
                                      "not visible yet): the rest waits for the next fetch",
                                      {"outbox"})
                             .with({table})),
      batch_rows(registry
                     .histogram(kMetricBatchRows,
                                "Rows per batch the relay produced (fetches that found rows)",
                                {"outbox"}, {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000})
                     .with({table})) {}

}  // namespace bourse::outbox
