#include "app/topics.h"

#include "app/event_pipeline.h"

namespace bourse::app {

std::vector<kafka::TopicSpec> topic_specs(const config::KafkaSettings& settings,
                                          const std::vector<EventStream>& streams) {
  std::vector<kafka::TopicSpec> specs;
  for (const EventStream& stream : streams) {
    kafka::TopicSpec spec;
    spec.name = topic_name(settings, stream.topic);
    spec.partitions = settings.partitions;
    spec.retention_ms = settings.retention_ms;
    specs.push_back(spec);
  }
  return specs;
}

}  // namespace bourse::app
