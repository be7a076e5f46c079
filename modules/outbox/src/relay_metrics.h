// The relay's Prometheus series for one outbox table (label outbox="<table>").
// Children are looked up once; updates are single atomics (thread-safe).
#pragma once

#include <string_view>

#include "bourse/metrics/registry.h"

namespace bourse::outbox {

struct RelayMetrics {
  RelayMetrics(metrics::Registry& registry, std::string_view table);

  metrics::Gauge& pending_rows;
  metrics::Gauge& oldest_unpublished_age_seconds;
  metrics::Counter& published_total;
  metrics::Counter& publish_failures_total;
  metrics::Gauge& lease_held;
  metrics::Counter& empty_polls_total;
  metrics::Histogram& delay_seconds;
  metrics::Counter& gaps_skipped_total;
  metrics::Counter& holes_waited_total;
  metrics::Histogram& batch_rows;
};

}  // namespace bourse::outbox
