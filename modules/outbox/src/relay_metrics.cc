#include "relay_metrics.h"

#include "bourse/outbox/relay.h"

namespace bourse::outbox {

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
                                   "Outbox rows acknowledged by Kafka and marked published",
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
                            .with({table})) {}

}  // namespace bourse::outbox
