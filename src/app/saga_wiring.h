// Builds the saga scheduler (modules/scheduler) of `bourse serve` from the configuration
// and the wiring table's topic and group names.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "bourse/account/account_service.h"
#include "bourse/common/clock.h"
#include "bourse/consumer/event_handler.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/scheduler/saga_scheduler.h"
#include "config/config.h"

namespace bourse::app {

// Not started. Errors: kInvalidArgument (options), Kafka configuration errors.
Result<std::unique_ptr<scheduler::SagaScheduler>> make_saga_scheduler(
    const config::Config& config, db::ConnectionPool& pool, account::AccountService& accounts,
    metrics::Registry& registry, const Clock& clock);

// Consumer group (full name) -> the handler a dead letter of that group is retried with.
std::map<std::string, consumer::EventHandler*> dead_letter_handlers(
    const config::Config& config, consumer::EventHandler* settlement,
    consumer::EventHandler* order_status);

}  // namespace bourse::app
