#include <atomic>
#include <csignal>
#include <pthread.h>
#include <unistd.h>
#include <optional>
#include <thread>

#include "app/commands.h"
#include "app/event_pipeline.h"
#include "app/event_streams.h"
#include "app/health_routes.h"
#include "app/saga_wiring.h"
#include "app/topics.h"
#include "bourse/account/account_service.h"
#include "bourse/account/settlement_handler.h"
#include "bourse/consumer/consumer_options.h"
#include "bourse/matching/events.h"
#include "bourse/matching/service/matching_service.h"
#include "bourse/order/status_follower.h"
#include "bourse/order/events.h"
#include "bourse/order/order_service.h"
#include "bourse/scheduler/reconciliation_job.h"
#include "bourse/scheduler/reconciliation_service.h"
#include "bourse/common/assert.h"
#include "bourse/common/thread_priority.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/kafka/admin.h"
#include "bourse/log/log.h"
#include "bourse/market_data/price_generator.h"
#include "bourse/market_data/reference_prices.h"
#include "bourse/metrics/registry.h"
#include "http/blocking_pool.h"
#include "http/router.h"
#include "http/server.h"
#include "routes/account_routes.h"
#include "routes/dead_letter_routes.h"
#include "routes/market_routes.h"
#include "routes/order_routes.h"
#include "routes/reconciliation_routes.h"
#include "routes/symbol_routes.h"
#include "routes/trade_routes.h"
#include "streams/stream_hub.h"
#include "streams/stream_routes.h"

namespace bourse::app {
namespace {

// Pause between start-up attempts while a dependency is down.
constexpr std::chrono::seconds kStartupRetryDelay{2};
// Bounds on each readiness probe, so /readyz answers within a few seconds even when a
// dependency hangs.
constexpr std::chrono::milliseconds kDatabaseProbeTimeout{1'000};
constexpr std::chrono::milliseconds kKafkaProbeTimeout{2'000};

// Blocks SIGINT and SIGTERM in this thread and every thread created after it; the main
// thread then receives them synchronously with sigwait.
sigset_t block_shutdown_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Applies migrations and creates topics, retrying while a dependency is down, until it
// succeeds or `stopping` is set. Returns true on success.
bool run_startup(const config::Config& config, db::ConnectionPool& pool, kafka::Admin& admin,
                 const std::vector<EventStream>& streams, const std::atomic<bool>& stopping) {
  auto migrations = db::load_migrations(config.migrations_dir);
  if (!migrations) {
    log::error("cannot read migrations", {{"error", migrations.error().message}});
    return false;
  }
  bool migrated = false;
  while (!stopping.load()) {
    if (!migrated) {
      auto report = db::apply_migrations(pool, *migrations);
      if (report) {
        migrated = true;
        log::info("migrations done",
                  {{"applied_count", static_cast<std::int64_t>(report->applied.size())},
                   {"already_applied", report->already_applied}});
      } else {
        log::warn("migrations not applied yet; retrying", {{"error", report.error().message}});
      }
    }
    if (migrated) {
      Status topics =
          admin.create_topics(topic_specs(config.kafka, streams), std::chrono::seconds(10));
      if (topics) {
        log::info("kafka topics ready", {{"partitions", config.kafka.partitions}});
        return true;
      }
      log::warn("kafka topics not ready yet; retrying", {{"error", topics.error().message}});
    }
    for (int i = 0; i < 20 && !stopping.load(); ++i) std::this_thread::sleep_for(kStartupRetryDelay / 20);
  }
  return false;
}

}  // namespace

int run_serve(const config::Config& config) {
  sigset_t shutdown_signals = block_shutdown_signals();

  if (config.symbols.empty()) {
    log::warn("the symbol table is empty: every order will be refused (configure [symbols.*])");
  }
  metrics::Registry registry;
  db::ConnectionPool pool(config.db);
  kafka::KafkaConfig kafka_config;
  kafka_config.brokers = config.kafka.brokers;
  kafka_config.client_id = config.kafka.client_id + "-admin";
  auto admin = kafka::Admin::create(kafka_config);
  if (!admin) {
    log::error("cannot create the Kafka admin client", {{"error", admin.error().message}});
    return kExitBadConfig;
  }

  http::BlockingPool blocking({"db", config.blocking.threads, config.blocking.queue_depth},
                              registry);
  http::Router router(blocking);
  HealthState health;
  health.checks.push_back(
      {"database", [&pool] { return pool.ping(kDatabaseProbeTimeout); }});
  health.checks.push_back(
      {"kafka", [&admin] { return (*admin)->ping(kKafkaProbeTimeout); }});
  add_health_routes(router, health, registry);
  account::AccountService accounts(pool);
  routes::add_account_routes(router, accounts, config.symbols);

  // The handlers of the wiring table (they outlive the pipeline, declared after them).
  const Clock& clock = SystemClock::instance();
  account::SettlementOptions settlement_options;
  settlement_options.account_events_topic = topic_name(config.kafka, "account-events");
  settlement_options.clock = &clock;
  std::unique_ptr<consumer::EventHandler> settlement =
      account::make_settlement_handler(accounts, settlement_options);
  std::unique_ptr<consumer::EventHandler> order_status = order::make_status_handler(registry);
  EventHandlers handlers{settlement.get(), order_status.get()};

  // The wiring table: which module's outbox feeds which topic, and who consumes it.
  const std::vector<EventStream> streams = event_streams(handlers);
  const auto topic_of = [&](std::string_view outbox_table) {
    for (const EventStream& stream : streams) {
      if (stream.outbox_table == outbox_table) return topic_name(config.kafka, stream.topic);
    }
    BOURSE_ASSERT(false, "every module's outbox is in the wiring table");
    return std::string();
  };

  BOURSE_ASSERT(settlement_options.account_events_topic == topic_of(account::kOutboxTable),
                "settlement publishes to the account stream's topic");

  // Virtual reference prices (modules/market_data): every instance reads the table into
  // its view; the generator steps it wherever the price_generator lease is held. Both
  // start once migrations are applied and stop after the order service.
  const ReferencePriceSource* references = &ConfiguredReferencePrices::instance();
  std::unique_ptr<market_data::ReferencePrices> reference_prices;
  std::unique_ptr<market_data::PriceGenerator> price_generator;
  if (config.prices.enabled && !config.symbols.empty()) {
    reference_prices = std::make_unique<market_data::ReferencePrices>(pool, config.symbols,
                                                                      config.prices.refresh);
    market_data::PriceGeneratorOptions price_options;
    price_options.model.drift = config.prices.drift;
    price_options.model.volatility = config.prices.volatility;
    price_options.model.step_interval = config.prices.interval;
    price_options.model.pull = config.prices.pull;
    price_options.model.max_step_move_bps = config.prices.max_step_bps;
    price_options.seed = static_cast<std::uint64_t>(config.prices.seed);
    std::vector<Instrument> priced;
    for (const auto& [symbol, instrument] : config.symbols) priced.push_back(instrument);
    price_generator =
        std::make_unique<market_data::PriceGenerator>(pool, std::move(priced), price_options);
    references = reference_prices.get();
  }

  order::OrderServiceOptions order_options;
  order_options.order_events_topic = topic_of(order::kOutboxTable);
  // Set once the pipeline exists; the committer wakes the order relay after each commit.
  std::atomic<EventPipeline*> relays_to_wake{nullptr};
  order_options.outbox_committed = [&relays_to_wake] {
    if (EventPipeline* pipeline = relays_to_wake.load()) pipeline->wake_relay(order::kOutboxTable);
  };
  order_options.reference_prices = references;
  order_options.metrics = &registry;
  order_options.committer_lanes = config.order.committer_lanes;
  order::OrderService orders(pool, accounts, config.symbols, order_options, clock);
  routes::add_order_routes(router, orders);
  routes::add_trade_routes(router, orders);
  routes::add_symbol_routes(router, config.symbols, *references);
  routes::add_market_routes(router, pool, config.symbols, *references);

  // Reconciliation: POST/GET /v1/admin/reconciliation on every instance; the periodic job
  // runs on the lease holder only (started once the migrations are applied).
  // It expects the order status lagging settlement by exactly the account events that
  // the status follower's group on the account stream has not applied yet.
  scheduler::ReconciliationOptions reconciliation_options;
  for (const EventStream& stream : streams) {
    if (stream.outbox_table != account::kOutboxTable) continue;
    for (const Subscription& subscription : stream.subscriptions) {
      if (subscription.handler == order_status.get()) {
        reconciliation_options.reconciler.order_status_group =
            group_name(config.kafka, subscription.group);
      }
    }
  }
  BOURSE_ASSERT(!reconciliation_options.reconciler.order_status_group.empty(),
                "the order status follower consumes the account stream");
  reconciliation_options.keep_runs = config.reconciliation.keep_runs;
  reconciliation_options.reconciler.db_share_pct = config.reconciliation.db_share_pct;
  scheduler::ReconciliationService reconciliation(pool, reconciliation_options, registry, clock);
  routes::add_reconciliation_routes(router, reconciliation);
  scheduler::ReconciliationJob reconciliation_job(reconciliation, config.db,
                                                  config.reconciliation.interval);

  // Live streams (SSE): this instance's own group-less reader of matching-events.
  streams::StreamHubOptions stream_options;
  stream_options.topic = topic_of(matching::events::kOutboxTable);
  stream_options.kafka.brokers = config.kafka.brokers;
  stream_options.kafka.client_id =
      config.kafka.client_id + "-stream-" + std::to_string(::getpid());
  stream_options.max_subscribers = static_cast<std::size_t>(config.stream.max_subscribers);
  stream_options.ring_events = static_cast<std::size_t>(config.stream.ring_events);
  stream_options.window = config.stream.window;
  stream_options.stream.max_queued_chunks = static_cast<std::size_t>(config.stream.queue_events);
  stream_options.stream.heartbeat = config.stream.heartbeat;
  if (Status valid = streams::validate(stream_options); !valid) {
    log::error("invalid stream settings", {{"error", valid.error().message}});
    return kExitBadConfig;
  }
  streams::StreamHub stream_hub(stream_options, pool, registry);
  streams::add_stream_routes(router, stream_hub, config.symbols);

  // The matching service: one durable shard per assigned partition of order-events, on
  // its own consumer (the wiring table lists it as the order stream's own-consumer group).
  std::vector<Instrument> instruments;
  for (const auto& [symbol, instrument] : config.symbols) instruments.push_back(instrument);
  matching::service::MatchingServiceOptions matching_options;
  matching_options.group_id = group_name(config.kafka, kMatchingGroup);
  static_assert(config::kMaxConsumerBatchWait == consumer::kMaxBatchWait &&
                config::kMaxConsumerBatchWait == matching::service::kMaxBatchWait);
  static_assert(config::kMaxMatchingBatchWaitPerCommit == matching::service::kMaxBatchWaitPerCommit);
  matching_options.batch_wait = config.kafka.matching_batch_wait;
  matching_options.batch_wait_per_commit = config.kafka.matching_batch_wait_per_commit;
  matching_options.input_topic = topic_of(order::kOutboxTable);
  matching_options.output_topic = topic_of(matching::events::kOutboxTable);
  matching_options.after_commit = [&relays_to_wake] {
    if (EventPipeline* pipeline = relays_to_wake.load()) {
      pipeline->wake_relay(matching::events::kOutboxTable);
    }
  };
  kafka::KafkaConfig matching_kafka;
  matching_kafka.brokers = config.kafka.brokers;
  matching_kafka.client_id = config.kafka.client_id + "-matching";
  // With no symbols no order can be accepted, so there is nothing to match (warned above).
  // roles.matching = false: another instance matches (this one joins no matching group).
  //
  // The matching service and the event pipeline are created (here) and started (by the
  // start-up thread) at threads.background_nice (0 by default): their threads,
  // librdkafka's included, inherit it, so that above 0 order entry runs first on
  // contended cores (thread_priority.h).
  const int background_nice = config.threads.background_nice;
  std::unique_ptr<matching::service::MatchingService> matching;
  std::unique_ptr<EventPipeline> pipeline;
  // The first failure ("cannot create the matching service: ..." or "... the event
  // pipeline: ..."); start-up logs it and exits.
  const auto create_background = [&]() -> Status {
    if (!instruments.empty() && config.roles.matching) {
      auto created = matching::service::MatchingService::create(
          pool, matching_kafka, registry, clock, instruments, matching_options);
      if (!created) {
        return Error::internal("cannot create the matching service: " + created.error().message);
      }
      matching = std::move(*created);
    }
    auto created = EventPipeline::create(config, pool, registry, clock, streams);
    if (!created) {
      return Error::internal("cannot create the event pipeline: " + created.error().message);
    }
    pipeline = std::move(*created);
    return Status::success();
  };
  Status background = Status::success();
  if (background_nice == 0) {
    background = create_background();  // the process's own priority, whatever it was started with
  } else if (Status niced = run_at_nice(background_nice, [&] { background = create_background(); });
             !niced) {
    log::warn("background threads keep the default priority",
              {{"nice", background_nice}, {"error", niced.error().message}});
  }
  if (!background) {
    log::error("cannot create what runs behind the front door",
               {{"error", background.error().message}});
    return kExitBadConfig;
  }
  BOURSE_ASSERT(pipeline != nullptr, "the pipeline was created");
  relays_to_wake = pipeline.get();

  // The saga timeout scheduler (one active across instances, by its lease; started once
  // start-up is done) and the dead-letter admin routes (modules/scheduler).
  scheduler::DeadLetterAdmin dead_letters(
      pool, dead_letter_handlers(config, settlement.get(), order_status.get()), registry);
  routes::add_dead_letter_routes(router, dead_letters);
  std::unique_ptr<scheduler::SagaScheduler> sagas;
  if (config.scheduler.enabled) {
    auto created = make_saga_scheduler(config, pool, accounts, registry, clock);
    if (!created) {
      log::error("cannot create the saga scheduler", {{"error", created.error().message}});
      return kExitBadConfig;
    }
    sagas = std::move(*created);
  }

  http::ServerConfig server_config;
  server_config.bind_address = config.http.host;
  server_config.port = static_cast<std::uint16_t>(config.http.port);
  server_config.io_threads = config.http.io_threads;
  server_config.max_body_bytes = config.http.max_body_bytes;
  server_config.read_timeout = config.http.read_timeout;
  server_config.idle_timeout = config.http.idle_timeout;
  server_config.max_connections = static_cast<std::size_t>(config.http.max_connections);
  http::Server server(server_config, router, registry);
  Status started = server.start();
  if (!started) {
    log::error("cannot start the HTTP server", {{"error", started.error().message}});
    return kExitFailure;
  }
  log::info("listening", {{"host", config.http.host}, {"port", static_cast<int>(server.port())}});
  stream_hub.start();

  std::atomic<bool> stopping{false};
  std::thread startup([&] {
    // What this thread starts runs behind the front door (see background_nice above).
    if (Status niced = background_nice == 0 ? Status::success()
                                            : set_current_thread_nice(background_nice);
        !niced) {
      log::warn("background threads keep the default priority",
                {{"nice", background_nice}, {"error", niced.error().message}});
    }
    if (!run_startup(config, pool, **admin, streams, stopping)) return;
    if (price_generator) {
      reference_prices->start();
      price_generator->start();
    }
    if (matching) {
      // A journal shorter than the snapshot interval could not rebuild the books: refuse.
      Status retention = matching->check_input_retention(std::chrono::seconds(10));
      if (!retention) {
        log::error("matching refuses to start: the order-events topic's retention",
                   {{"error", retention.error().message}});
        return;
      }
      if (Status running = matching->start(); !running) {
        log::error("cannot start the matching service", {{"error", running.error().message}});
        return;
      }
    }
    Status started = pipeline->start();
    if (!started) {
      log::error("cannot start the event pipeline", {{"error", started.error().message}});
      return;
    }
    if (sagas) sagas->start();
    reconciliation_job.start();
    health.startup_complete = true;
    log::info("ready", {{"matching", config.roles.matching},
                        {"event_consumers", config.roles.event_consumers}});
  });

  int signal_number = 0;
  sigwait(&shutdown_signals, &signal_number);
  log::info("shutting down", {{"signal", signal_number}});
  stopping = true;
  server.stop_accepting();
  server.shutdown(std::chrono::steady_clock::now() + config.http.shutdown_grace);
  stream_hub.stop();  // after the server: its streams ended cleanly with the connections
  blocking.stop();
  orders.stop();
  relays_to_wake = nullptr;
  startup.join();
  if (sagas) sagas->stop();
  if (price_generator) {
    price_generator->stop();
    reference_prices->stop();
  }
  reconciliation_job.stop();
  if (matching) matching->stop();
  pipeline->stop();
  log::info("shutdown complete");
  return kExitOk;
}

}  // namespace bourse::app
