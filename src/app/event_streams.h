// The one wiring table of the asynchronous half of the process: every event stream, from
// the outbox table a module writes, through the Kafka topic the relay publishes it to, to
// the consumer groups and handlers that apply it. Relays, consumers and topic creation
// are all driven from this table (event_pipeline.h, topics.h) and docs/EVENTS.md is
// checked against it by a test, so the wiring has one source.
//
// Adding an event type: its contract in the publishing module's events.h, plus its kType
// in the stream's event_types here. Adding a consumer: its handler in EventHandlers and
// one Subscription line here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bourse/consumer/event_handler.h"

namespace bourse::app {

// A consumer of a stream: the consumer group "<topic prefix><group>" whose members apply
// the stream's events, exactly once, with `handler` (one handler signature for all), on a
// consumer::ExactlyOnceConsumer the pipeline runs. A subscriber with `own_consumer` runs
// its own consumer instead (the matching service: stateful shards whose offsets commit
// with their outputs); the pipeline skips it and `handler` stays null.
// `wakes_outbox`: the outbox table the handler writes (if any); the pipeline wakes that
// table's relay after each of the consumer's commits, so the next hop starts at once.
struct Subscription {
  std::string_view group;
  consumer::EventHandler* handler = nullptr;
  bool own_consumer = false;
  std::string_view wakes_outbox = {};
};

struct EventStream {
  std::string_view publisher;     // the module that owns the outbox and the event contracts
  std::string_view outbox_table;  // drained by one relay per instance (one active at a time)
  std::string_view topic;         // full name: "<topic prefix><topic>"
  std::string_view key;           // what the Kafka message key is (partitioning)
  std::vector<std::string_view> event_types;  // the publisher's contracts (kType)
  std::vector<Subscription> subscriptions;
};

// The handlers the table plugs in, built by `bourse serve` from the modules. Null handlers
// are allowed only where nothing runs the pipeline (the table's tests and docs).
struct EventHandlers {
  consumer::EventHandler* settlement = nullptr;    // account: matching-events
  consumer::EventHandler* order_status = nullptr;  // order: matching- and account-events
};

// Consumer group of the matching service (its own consumer, on order-events).
inline constexpr std::string_view kMatchingGroup = "matching";

// The table. Pure: no I/O.
std::vector<EventStream> event_streams(const EventHandlers& handlers);

// The Markdown table of `streams` that docs/EVENTS.md holds between the markers below.
inline constexpr std::string_view kEventsDocBegin = "<!-- event-streams: begin (generated) -->";
inline constexpr std::string_view kEventsDocEnd = "<!-- event-streams: end -->";
std::string render_event_streams_markdown(const std::vector<EventStream>& streams);

}  // namespace bourse::app
