// The Kafka topics Bourse uses, created at start-up (idempotently) with the configured
// partition count and retention. See docs/EVENTS.md for their keys and event types.
#pragma once

#include <vector>

#include "bourse/kafka/admin.h"
#include "config/config.h"

namespace bourse::app {

std::vector<kafka::TopicSpec> topic_specs(const config::KafkaSettings& settings);

}  // namespace bourse::app
