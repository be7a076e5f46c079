// The asynchronous half of the process, built from the wiring table (event_streams.h):
// one relay per stream's outbox table (outbox rows -> the stream's topic) and one
// exactly-once consumer per subscription (the topic -> the subscriber's handler).
//
// Every instance runs every relay, and every consumer unless roles.event_consumers is
// false (an order gateway; config.h RoleSettings). The relay lease (a MySQL named lock)
// makes exactly one relay per outbox active across instances, and Kafka consumer groups
// split the partitions between instances. Each relay and consumer runs its own thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/event_streams.h"
#include "bourse/common/clock.h"
#include "bourse/consumer/exactly_once_consumer.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/outbox/relay.h"
#include "config/config.h"

namespace bourse::app {

class EventPipeline {
 public:
  // Creates (does not start) the relays and consumers of `streams`. REQUIRES: every
  // reference and handler outlives the pipeline; every subscription has a handler.
  static Result<std::unique_ptr<EventPipeline>> create(const config::Config& config,
                                                       db::ConnectionPool& pool,
                                                       metrics::Registry& registry,
                                                       const Clock& clock,
                                                       const std::vector<EventStream>& streams);
  ~EventPipeline();
  Status start();
  // Stops consumers first (no new effects), then relays (they finish their batch).
  void stop();
  // Wakes this process's relay of `outbox_table` (outbox::Relay::wake): call it after a
  // COMMIT that wrote rows there. Unknown tables are ignored. Thread-safe, never blocks.
  void wake_relay(std::string_view outbox_table) noexcept;

 private:
  EventPipeline() = default;
  std::vector<std::unique_ptr<outbox::Relay>> relays_;
  std::vector<std::unique_ptr<consumer::ExactlyOnceConsumer>> consumers_;
  bool started_ = false;
};

// Topic and consumer-group names, from the configured prefix.
std::string topic_name(const config::KafkaSettings& settings, std::string_view name);
std::string group_name(const config::KafkaSettings& settings, std::string_view group);

}  // namespace bourse::app
