#include "app/event_pipeline.h"

#include <unistd.h>

#include "bourse/common/assert.h"
#include "bourse/log/log.h"

namespace bourse::app {
namespace {

kafka::KafkaConfig kafka_config(const config::KafkaSettings& settings, std::string_view role) {
  kafka::KafkaConfig config;
  config.brokers = settings.brokers;
  config.client_id = settings.client_id + "-" + std::string(role);
  return config;
}

}  // namespace

std::string topic_name(const config::KafkaSettings& settings, std::string_view name) {
  return settings.topic_prefix + std::string(name);
}

std::string group_name(const config::KafkaSettings& settings, std::string_view group) {
  return settings.topic_prefix + std::string(group);
}

static_assert(config::kMinRelayIdlePollMax == outbox::kMinRelayPollInterval &&
                  config::kMaxRelayIdlePollMax == outbox::kMaxRelayPollInterval,
              "outbox.relay_idle_poll_max_ms is range-checked with the relay's own bounds");

Result<std::unique_ptr<EventPipeline>> EventPipeline::create(
    const config::Config& config, db::ConnectionPool& pool, metrics::Registry& registry,
    const Clock& clock, const std::vector<EventStream>& streams) {
  std::unique_ptr<EventPipeline> pipeline(new EventPipeline());
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const std::string instance = std::string(host) + ":" + std::to_string(::getpid());
  for (const EventStream& stream : streams) {
    outbox::RelayOptions options;
    options.table = std::string(stream.outbox_table);
    options.instance_id = instance;
    options.idle_poll_max = config.outbox.relay_idle_poll_max;
    options.exit_process_after_produce_for_testing =
        config.faults.relay_exit_after_produce == stream.outbox_table;
    auto relay = outbox::Relay::create(
        pool, kafka_config(config.kafka, "relay-" + std::string(stream.outbox_table)), registry,
        clock, options);
    if (!relay) return relay.error();
    pipeline->relays_.push_back(std::move(*relay));
    for (const Subscription& subscription : stream.subscriptions) {
      if (subscription.own_consumer) continue;  // runs its own consumer (see serve.cc)
      if (!config.roles.event_consumers) continue;  // another instance consumes
      BOURSE_ASSERT(subscription.handler != nullptr, "every subscription has a handler");
      consumer::ConsumerOptions consumer_options;
      consumer_options.group_id = group_name(config.kafka, subscription.group);
      consumer_options.topics = {topic_name(config.kafka, stream.topic)};
      consumer_options.batch_wait = config.kafka.consumer_batch_wait;
      if (!subscription.wakes_outbox.empty()) {
        EventPipeline* self = pipeline.get();
        const std::string_view table = subscription.wakes_outbox;
        consumer_options.after_commit = [self, table] { self->wake_relay(table); };
      }
      auto consumer = consumer::ExactlyOnceConsumer::create(
          pool, kafka_config(config.kafka, "consumer-" + std::string(subscription.group)),
          consumer_options, *subscription.handler, registry);
      if (!consumer) return consumer.error();
      pipeline->consumers_.push_back(std::move(*consumer));
    }
  }
  return pipeline;
}

EventPipeline::~EventPipeline() { stop(); }

Status EventPipeline::start() {
  for (auto& relay : relays_) {
    Status started = relay->start();
    if (!started) return started;
  }
  for (auto& consumer : consumers_) consumer->start();
  started_ = true;
  log::info("event pipeline started",
            {{"relays", static_cast<std::int64_t>(relays_.size())},
             {"consumers", static_cast<std::int64_t>(consumers_.size())}});
  return Status::success();
}

void EventPipeline::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& consumer : consumers_) consumer->stop();
  for (auto& relay : relays_) relay->stop();
  log::info("event pipeline stopped");
}

void EventPipeline::wake_relay(std::string_view outbox_table) noexcept {
  for (const auto& relay : relays_) {
    if (relay->options().table == outbox_table) relay->wake();
  }
}

}  // namespace bourse::app
