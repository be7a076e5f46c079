#include "app/saga_wiring.h"

#include <unistd.h>

#include "app/event_pipeline.h"
#include "app/event_streams.h"

namespace bourse::app {
namespace {
// The wiring table's consumer groups (event_streams.cc) the scheduler watches.
constexpr std::string_view kSettlementGroup = "account-settlement";
constexpr std::string_view kOrderStatusGroup = "order-status";
constexpr std::string_view kOrderStatusAccountGroup = "order-status-account";
}  // namespace

Result<std::unique_ptr<scheduler::SagaScheduler>> make_saga_scheduler(
    const config::Config& config, db::ConnectionPool& pool, account::AccountService& accounts,
    metrics::Registry& registry, const Clock& clock) {
  scheduler::SagaSchedulerOptions options;
  options.interval = config.scheduler.interval;
  options.saga_timeout = config.scheduler.saga_timeout;
  options.processed_events_retention = config.scheduler.processed_events_retention;
  options.idempotency_key_retention = config.scheduler.idempotency_key_retention;
  options.dead_letter_retention = config.scheduler.dead_letter_retention;
  options.snapshot_retention = config.scheduler.snapshot_retention;
  options.database = config.db.database;
  options.order_events_topic = topic_name(config.kafka, "order-events");
  options.matching_events_topic = topic_name(config.kafka, "matching-events");
  options.account_events_topic = topic_name(config.kafka, "account-events");
  options.matching_group = group_name(config.kafka, kMatchingGroup);
  options.settlement_group = group_name(config.kafka, kSettlementGroup);
  options.order_status_group = group_name(config.kafka, kOrderStatusGroup);
  options.order_status_account_group = group_name(config.kafka, kOrderStatusAccountGroup);
  options.instance_id = config.kafka.client_id + "-" + std::to_string(::getpid());
  kafka::KafkaConfig kafka_config;
  kafka_config.brokers = config.kafka.brokers;
  kafka_config.client_id = config.kafka.client_id + "-saga";
  auto log_ends = scheduler::make_kafka_log_ends(kafka_config, group_name(config.kafka, "saga-probe"));
  if (!log_ends) return log_ends.error();
  return scheduler::SagaScheduler::create(pool, config.db, accounts, registry, clock,
                                          std::move(*log_ends), std::move(options));
}

std::map<std::string, consumer::EventHandler*> dead_letter_handlers(
    const config::Config& config, consumer::EventHandler* settlement,
    consumer::EventHandler* order_status) {
  return {{group_name(config.kafka, kSettlementGroup), settlement},
          {group_name(config.kafka, kOrderStatusGroup), order_status},
          {group_name(config.kafka, kOrderStatusAccountGroup), order_status}};
}

}  // namespace bourse::app
