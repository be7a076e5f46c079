// Goal: the wiring table is consistent (one relay per outbox, one topic per stream, only
// outbox-shaped table names), drives topic creation, and docs/EVENTS.md shows exactly it.
#include "app/event_streams.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "app/event_pipeline.h"
#include "app/topics.h"
#include "bourse/outbox/outbox_writer.h"

namespace bourse::app {
namespace {

TEST_CASE("every stream has its own outbox and topic, and valid names", "[app][wiring]") {
  consumer::EventHandler* const some_handler = reinterpret_cast<consumer::EventHandler*>(0x1);
  const auto streams = event_streams(EventHandlers{some_handler, some_handler});
  REQUIRE_FALSE(streams.empty());
  std::set<std::string_view> outboxes, topics, groups;
  for (const EventStream& stream : streams) {
    INFO(stream.topic);
    CHECK(outbox::is_outbox_table_name(stream.outbox_table));
    CHECK(outboxes.insert(stream.outbox_table).second);
    CHECK(topics.insert(stream.topic).second);
    CHECK_FALSE(stream.publisher.empty());
    std::set<std::string_view> types(stream.event_types.begin(), stream.event_types.end());
    CHECK(types.size() == stream.event_types.size());
    for (const Subscription& subscription : stream.subscriptions) {
      // Every subscription is run: by the pipeline with its handler, or by its own consumer.
      CHECK((subscription.handler != nullptr) != subscription.own_consumer);
      CHECK(groups.insert(subscription.group).second);
    }
  }
}

TEST_CASE("the topics created at start-up are exactly the streams' topics", "[app][wiring]") {
  config::KafkaSettings settings;
  settings.topic_prefix = "p.";
  settings.partitions = 3;
  const auto streams = event_streams(EventHandlers{});
  const auto specs = topic_specs(settings, streams);
  REQUIRE(specs.size() == streams.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    CHECK(specs[i].name == topic_name(settings, streams[i].topic));
    CHECK(specs[i].partitions == 3);
  }
}

TEST_CASE("docs/EVENTS.md holds the table as generated from the wiring", "[app][wiring][docs]") {
  const char* source_dir = std::getenv("BOURSE_SOURCE_DIR");
  REQUIRE(source_dir != nullptr);
  std::ifstream file(std::string(source_dir) + "/docs/EVENTS.md");
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const auto begin = doc.find(kEventsDocBegin);
  const auto end = doc.find(kEventsDocEnd);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  const std::string section =
      doc.substr(begin + kEventsDocBegin.size() + 1, end - begin - kEventsDocBegin.size() - 1);
  const std::string expected = render_event_streams_markdown(event_streams(EventHandlers{}));
  INFO("docs/EVENTS.md must hold, between its markers:\n" << expected);
  CHECK(section == expected);
}

}  // namespace
}  // namespace bourse::app
