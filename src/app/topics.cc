#include "app/topics.h"

#include "app/event_pipeline.h"

namespace bourse::app {

std::vector<kafka::TopicSpec> topic_specs(const config::KafkaSettings& settings) {
  std::vector<kafka::TopicSpec> specs;
  // One topic per publishing module's outbox; every order-flow event is keyed by symbol.
  for (const char* name : {"order-events", "account-events", "matching-events"}) {
    kafka::TopicSpec spec;
    spec.name = topic_name(settings, name);
    spec.partitions = settings.partitions;
    spec.retention_ms = settings.retention_ms;
    specs.push_back(spec);
  }
  return specs;
}

}  // namespace bourse::app
