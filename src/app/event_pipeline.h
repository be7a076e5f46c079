// The asynchronous half of the process: one relay per module outbox (outbox rows ->
// Kafka) and one exactly-once consumer per module that reacts to events:
//
//   order_outbox   --relay-->  <prefix>order-events    --consumer "<prefix>account"--> account module
//   account_outbox --relay-->  <prefix>account-events  --consumer "<prefix>order"----> order module
//
// Every instance runs all of them: the relay lease (a MySQL named lock) makes exactly
// one relay per outbox active across instances, and Kafka consumer groups split the
// partitions between instances. Each component runs its own thread.
#pragma once

#include <memory>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/consumer/exactly_once_consumer.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/outbox/relay.h"
#include "config/config.h"

namespace bourse::app {

struct PipelineHandlers {
  consumer::EventHandler* account_order_events = nullptr;  // account module: OrderCreated, ...
  consumer::EventHandler* order_account_events = nullptr;  // order module: FundsReserved, ...
};

class EventPipeline {
 public:
  // Creates (does not start) the relays and consumers. REQUIRES: every reference and
  // handler outlives the pipeline.
  static Result<std::unique_ptr<EventPipeline>> create(const config::Config& config,
                                                       db::ConnectionPool& pool,
                                                       metrics::Registry& registry,
                                                       const Clock& clock,
                                                       const PipelineHandlers& handlers);
  ~EventPipeline();
  Status start();
  // Stops consumers first (no new effects), then relays (they finish their batch).
  void stop();

 private:
  EventPipeline() = default;
  std::vector<std::unique_ptr<outbox::Relay>> relays_;
  std::vector<std::unique_ptr<consumer::ExactlyOnceConsumer>> consumers_;
  bool started_ = false;
};

// Topic and consumer-group names, from the configured prefix.
std::string topic_name(const config::KafkaSettings& settings, std::string_view name);
std::string group_name(const config::KafkaSettings& settings, std::string_view module);

}  // namespace bourse::app
