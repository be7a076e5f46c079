// The Kafka topics Bourse uses: one per stream of the wiring table (event_streams.h),
// created at start-up (idempotently) with the configured partition count and retention.
#pragma once

#include <vector>

#include "app/event_streams.h"
#include "bourse/kafka/admin.h"
#include "config/config.h"

namespace bourse::app {

std::vector<kafka::TopicSpec> topic_specs(const config::KafkaSettings& settings,
                                          const std::vector<EventStream>& streams);

}  // namespace bourse::app
