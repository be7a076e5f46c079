// Goal: the saga scheduler tells WHY an order is stuck and acts exactly once per cause,
// against real MariaDB and Kafka. Each case is made to happen for real with the real
// components (order entry, the outbox relay, the matching service, the settlement
// consumer), driven step by step on the test thread; then the scheduler's core runs with
// an injected clock past the saga timeout:
//   - a relay that holds its lease but publishes nothing -> alert naming the holder;
//   - matching not running while OrderCreated waits -> alert, NO compensation;
//   - an OrderCreated that matching dead-letters -> the order REJECTED and its reservation
//     released exactly once (the scheduler runs three times; balances and ledger checked);
//   - a trade settlement dead-lettered -> listed, retried before the fix (refused,
//     nothing changes), retried after the fix (applied once), retried again (409);
//   - a trade whose settlement consumer never ran -> settlement_stalled; one it is
//     progressing towards -> settlement_behind; both alerts, never a compensation;
//   - pruning removes only what is past its retention;
//   - two schedulers: only the lease holder acts.
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "bourse/account/account_service.h"
#include "bourse/account/settlement_handler.h"
#include "bourse/consumer/exactly_once_consumer.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/session_lease.h"
#include "bourse/kafka/admin.h"
#include "bourse/matching/service/matching_service.h"
#include "bourse/order/order_service.h"
#include "bourse/order/status_follower.h"
#include "bourse/outbox/outbox_writer.h"
#include "bourse/outbox/relay.h"
#include "bourse/scheduler/dead_letters.h"
#include "bourse/scheduler/saga_scheduler.h"
#include "order_test_instruments.h"
#include "project_migrations.h"
#include "stack_env.h"
#include "test_database.h"
#include "unique_name.h"

namespace {

using namespace std::chrono_literals;
using bourse::Amount;
using bourse::Quantity;
namespace account = bourse::account;
namespace db = bourse::db;
namespace order = bourse::order;
namespace scheduler = bourse::scheduler;
using bourse::Status;

// Bound on waiting for an asynchronous step (a group join, a batch): generous for slow CI.
constexpr auto kStepBound = 60s;
constexpr auto kSagaTimeout = 5s;

bourse::kafka::KafkaConfig kafka_config(const std::string& client) {
  bourse::kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = client;
  return config;
}

std::string unique_prefix() {
  return "saga" + bourse::testing::unique_suffix() + ".";
}

// A scratch database with the project's migrations, the account and order modules, fresh
// topics and the scheduler's options; the components that move a saga are created on
// demand and driven from the test thread.
struct SagaStack {
  SagaStack() : pool(database.config()), instruments(order::testing::test_instruments()), accounts(pool) {
    bourse::testing::apply_project_migrations(pool);
    order::OrderServiceOptions options;
    options.order_events_topic = order_events;
    orders = std::make_unique<order::OrderService>(pool, accounts, instruments, options);
    clock.advance(std::chrono::milliseconds(bourse::SystemClock::instance().now_ms() - clock.now_ms()));
  }

  void create_topics() {
    auto admin = bourse::kafka::Admin::create(kafka_config("saga-test-admin"));
    REQUIRE(admin.ok());
    const Status created = (*admin)->create_topics(
        {{order_events, 2, -1, -1}, {matching_events, 2, -1, -1}, {account_events, 2, -1, -1}}, 20s);
    INFO((created.ok() ? std::string() : created.error().message));
    REQUIRE(created.ok());
  }

  scheduler::SagaSchedulerOptions options() const {
    scheduler::SagaSchedulerOptions o;
    o.saga_timeout = kSagaTimeout;
    o.database = database.name();
    o.order_events_topic = order_events;
    o.matching_events_topic = matching_events;
    o.account_events_topic = account_events;
    o.matching_group = prefix + "matching";
    o.settlement_group = prefix + "account-settlement";
    o.order_status_group = prefix + "order-status";
    o.order_status_account_group = prefix + "order-status-account";
    return o;
  }

  std::unique_ptr<scheduler::SagaScheduler> make_scheduler(bourse::metrics::Registry& metrics) {
    auto ends = scheduler::make_kafka_log_ends(kafka_config("saga-test-ends"), prefix + "saga-probe");
    REQUIRE(ends.ok());
    auto created = scheduler::SagaScheduler::create(pool, database.config(), accounts, metrics, clock,
                                                    std::move(*ends), options());
    REQUIRE(created.ok());
    return std::move(*created);
  }

  // The scheduler's clock, past the saga timeout of everything written so far.
  void pass_timeout() {
    const auto wanted = bourse::SystemClock::instance().now_ms() +
                        std::chrono::duration_cast<std::chrono::milliseconds>(kSagaTimeout).count() + 1'000;
    if (wanted > clock.now_ms()) clock.advance(std::chrono::milliseconds(wanted - clock.now_ms()));
  }

  scheduler::TickReport tick(scheduler::SagaScheduler& sagas) {
    pass_timeout();
    auto report = sagas.run_once();
    INFO((report.ok() ? std::string() : report.error().message));
    REQUIRE(report.ok());
    return *report;
  }

  std::int64_t place(const std::string& user, bourse::Side side, long long quantity, const char* price) {
    order::OrderRequest request;
    request.user_id = user;
    request.symbol = "AAPL";
    request.side = side;
    request.type = bourse::OrderType::kLimit;
    request.time_in_force = bourse::TimeInForce::kGtc;
    request.quantity = Quantity::of(quantity);
    request.price = Amount::parse(price).value();
    auto promise = std::make_shared<std::promise<bourse::Result<order::SubmitResult>>>();
    auto future = promise->get_future();
    orders->submit(std::move(request), std::nullopt,
                   [promise](bourse::Result<order::SubmitResult> r) { promise->set_value(std::move(r)); });
    auto result = future.get();
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());
    REQUIRE(result->http_status == 202);
    return result->order_id.value();
  }

  long long count(const std::string& sql) {
    long long n = -1;
    REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
    return n;
  }
  std::string text(const std::string& sql) {
    std::string value;
    soci::indicator ind = soci::i_null;
    REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(value, ind); }).ok());
    return ind == soci::i_ok ? value : std::string("NULL");
  }
  void exec(const std::string& sql) {
    REQUIRE(pool.with_session([&](soci::session& s) { s << sql; }).ok());
  }

  struct Cash {
    std::int64_t total = 0;
    std::int64_t reserved = 0;
  };
  Cash cash(const std::string& user) {
    auto snapshot = accounts.get_account(user);
    REQUIRE(snapshot.ok());
    return {snapshot->cash.total.units(), snapshot->cash.reserved.units()};
  }

  std::unique_ptr<bourse::outbox::Relay> relay(const std::string& table) {
    bourse::outbox::RelayOptions options;
    options.table = table;
    options.instance_id = "saga-test-relay";
    auto created = bourse::outbox::Relay::create(pool, kafka_config("saga-test-relay"), registry,
                                                 bourse::SystemClock::instance(), options);
    REQUIRE(created.ok());
    return std::move(*created);
  }

  // Publishes every unpublished row of the relay's table.
  void drain(bourse::outbox::Relay& relay, const std::string& table) {
    const auto deadline = std::chrono::steady_clock::now() + kStepBound;
    while (count("SELECT COUNT(*) FROM " + table + " WHERE " +
                 bourse::outbox::unpublished_condition(table)) > 0) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      auto published = relay.run_once();
      if (!published.ok()) std::this_thread::sleep_for(50ms);
    }
  }

  // Drives `step` until `done` holds (a bound, not a timed assertion).
  void until(const std::function<void()>& step, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kStepBound;
    while (!done()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      step();
    }
  }

  // alice: 10,000 cash; bob: 10 AAPL, no cash.
  void open_alice_and_bob() {
    REQUIRE(accounts.open_account("alice", Amount::parse("10000").value(), {}).ok());
    REQUIRE(accounts.open_account("bob", Amount::parse("0").value(), {{"AAPL", Quantity::of(10)}}).ok());
  }

  // The matching service on the stack's topics; its trades are stamped by `clock`.
  std::unique_ptr<bourse::matching::service::MatchingService> matching(const bourse::Clock& clock) {
    bourse::matching::service::MatchingServiceOptions options;
    options.group_id = prefix + "matching";
    options.input_topic = order_events;
    options.output_topic = matching_events;
    std::vector<bourse::Instrument> list;
    for (const auto& [symbol, instrument] : instruments) list.push_back(instrument);
    auto created = bourse::matching::service::MatchingService::create(
        pool, kafka_config("saga-test-matching"), registry, clock, list, options);
    REQUIRE(created.ok());
    return std::move(*created);
  }

  // The settlement handler and its consumer of matching-events (driven by poll_once).
  struct Settlement {
    std::unique_ptr<bourse::consumer::EventHandler> handler;
    std::unique_ptr<bourse::consumer::ExactlyOnceConsumer> consumer;
  };
  Settlement settlement(int max_attempts) {
    account::SettlementOptions settlement_options;
    settlement_options.account_events_topic = account_events;
    Settlement made{account::make_settlement_handler(accounts, settlement_options), nullptr};
    bourse::consumer::ConsumerOptions options;
    options.group_id = prefix + "account-settlement";
    options.topics = {matching_events};
    options.max_attempts = max_attempts;
    auto created = bourse::consumer::ExactlyOnceConsumer::create(pool, kafka_config("saga-test-settlement"),
                                                                 options, *made.handler, registry);
    REQUIRE(created.ok());
    made.consumer = std::move(*created);
    return made;
  }

  bourse::testing::TestDatabase database;
  db::ConnectionPool pool;
  order::InstrumentTable instruments;
  account::AccountService accounts;
  bourse::metrics::Registry registry;  // the components'
  bourse::FakeClock clock;
  const std::string prefix = unique_prefix();
  const std::string order_events = prefix + "order-events";
  const std::string matching_events = prefix + "matching-events";
  const std::string account_events = prefix + "account-events";
  std::unique_ptr<order::OrderService> orders;  // stopped before the pool goes
};

bool has(const scheduler::TickReport& report, const std::string& entry) {
  for (const auto& c : report.classes) {
    if (c == entry) return true;
  }
  return false;
}

std::string classes(const scheduler::TickReport& report) {
  std::string all;
  for (const auto& c : report.classes) all += c + "; ";
  return all;
}

// The value of the counter sample whose line has every one of `parts`.
double sample(const bourse::metrics::Registry& registry, std::initializer_list<std::string> parts) {
  const std::string text = registry.render_prometheus();
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    bool all = line.rfind('#', 0) != 0;
    for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return 0;
}

}  // namespace

TEST_CASE("stuck sagas are classified, alerted once, and a matching dead letter is compensated once",
          "[saga][integration]") {
  SagaStack stack;
  stack.create_topics();
  stack.open_alice_and_bob();
  bourse::metrics::Registry metrics;  // the scheduler's
  auto sagas = stack.make_scheduler(metrics);

  // 1. A relay holds the order outbox's lease and publishes nothing.
  const auto resting = stack.place("alice", bourse::Side::kBuy, 10, "150");
  CHECK(stack.cash("alice").reserved == Amount::parse("1500").value().units());
  {
    db::SessionLease hung_relay(stack.database.config(),
                                db::lease_name("relay_order_outbox", stack.database.name()));
    auto taken = hung_relay.try_acquire();
    REQUIRE(taken.ok());
    REQUIRE(*taken);
    const auto report = stack.tick(*sagas);
    INFO(classes(report));
    CHECK(has(report, "order:" + std::to_string(resting) + " order_outbox_unpublished"));
    CHECK(report.compensations == 0);
    const std::string detail = stack.text("SELECT detail FROM saga_actions WHERE class = 'order_outbox_unpublished'");
    CHECK(detail.find("held by connection") != std::string::npos);
    // Once per (subject, class).
    CHECK(stack.tick(*sagas).alerts == 0);
  }
  CHECK(sample(metrics, {"bourse_saga_actions_total", "order_outbox_unpublished", "alert"}) == 1);

  // 2. Published, but matching is not running: stage behind, never compensated.
  auto order_relay = stack.relay("order_outbox");
  stack.drain(*order_relay, "order_outbox");
  {
    const auto report = stack.tick(*sagas);
    INFO(classes(report));
    CHECK(has(report, "order:" + std::to_string(resting) + " matching_stalled"));
    CHECK(report.compensations == 0);
    CHECK(stack.text("SELECT detail FROM saga_actions WHERE class = 'matching_stalled'").find("lag 1") !=
          std::string::npos);
    CHECK(stack.text("SELECT status FROM orders WHERE order_id = " + std::to_string(resting)) == "PENDING");
    CHECK(stack.cash("alice").reserved == Amount::parse("1500").value().units());
  }

  // 3. A poisoned OrderCreated: matching dead-letters it.
  const auto poisoned = stack.place("alice", bourse::Side::kBuy, 5, "140");
  CHECK(stack.cash("alice").reserved == Amount::parse("2200").value().units());
  {
    const std::string unpublished = bourse::outbox::unpublished_condition("order_outbox");
    const std::string payload = stack.text("SELECT payload FROM order_outbox WHERE " + unpublished);
    auto envelope = boost::json::parse(payload).as_object();
    envelope["data"].as_object()["side"] = "SIDEWAYS";
    const std::string bad = boost::json::serialize(envelope);
    REQUIRE(stack.pool.with_session([&](soci::session& s) {
      s << "UPDATE order_outbox SET payload = :p WHERE " + unpublished, soci::use(bad);
    }).ok());
  }
  stack.drain(*order_relay, "order_outbox");
  auto matching = stack.matching(bourse::SystemClock::instance());
  stack.until([&] { (void)matching->poll_once(200ms); },
              [&] {
                return stack.count("SELECT COUNT(*) FROM dead_letters") == 1 &&
                       stack.count("SELECT COUNT(*) FROM matching_outbox WHERE event_type = 'OrderAccepted'") == 1;
              });

  // 4. The scheduler compensates the poisoned order, exactly once.
  for (int run = 0; run < 3; ++run) {
    const auto report = stack.tick(*sagas);
    INFO("run " << run << ": " << classes(report));
    CHECK(report.compensations == (run == 0 ? 1u : 0u));
    if (run == 0) {
      CHECK(has(report, "order:" + std::to_string(poisoned) + " matching_dead_letter"));
      // The resting order has moved past matching: now its outputs wait for their relay.
      CHECK(has(report, "order:" + std::to_string(resting) + " matching_outbox_unpublished"));
    }
    CHECK(stack.text("SELECT status FROM orders WHERE order_id = " + std::to_string(poisoned)) == "REJECTED");
    CHECK(stack.text("SELECT reject_reason FROM orders WHERE order_id = " + std::to_string(poisoned)) ==
          "dead_lettered");
    CHECK(stack.text("SELECT status FROM reservations WHERE order_id = " + std::to_string(poisoned)) == "RELEASED");
    CHECK(stack.cash("alice").reserved == Amount::parse("1500").value().units());
    CHECK(stack.cash("alice").total == Amount::parse("10000").value().units());
    CHECK(stack.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'release' AND reference = 'saga:order:" +
                      std::to_string(poisoned) + "'") == 1);
    CHECK(stack.text("SELECT answer FROM dead_letters") == "compensated");
    // The resting order was never compensated.
    CHECK(stack.text("SELECT status FROM orders WHERE order_id = " + std::to_string(resting)) == "PENDING");
  }
  CHECK(stack.count("SELECT COUNT(*) FROM saga_actions WHERE action = 'compensate'") == 1);
  CHECK(sample(metrics, {"bourse_saga_actions_total", "matching_dead_letter", "compensate"}) == 1);

  // 5. A settlement dead letter: the buy's reservation is corrupted (another owner), so
  // settling the trade fails ("belongs to another user") and is dead-lettered.
  const auto sell = stack.place("bob", bourse::Side::kSell, 10, "150");
  stack.drain(*order_relay, "order_outbox");
  stack.until([&] { (void)matching->poll_once(200ms); },
              [&] { return stack.count("SELECT COUNT(*) FROM matching_outbox WHERE event_type = 'TradeExecuted'") == 1; });
  stack.exec("UPDATE reservations SET user_id = 'mallory' WHERE order_id = " + std::to_string(resting));
  auto matching_relay = stack.relay("matching_outbox");
  stack.drain(*matching_relay, "matching_outbox");
  auto [settlement, consumer] = stack.settlement(/*max_attempts=*/1);
  const std::string settlement_group = stack.prefix + "account-settlement";
  stack.until([&] { (void)consumer->poll_once(200ms); },
              [&] {
                return stack.count("SELECT COUNT(*) FROM dead_letters WHERE consumer_group = '" + settlement_group +
                                   "'") == 1;
              });
  CHECK(stack.count("SELECT COUNT(*) FROM settled_trades") == 0);

  scheduler::DeadLetterAdmin admin(stack.pool, {{settlement_group, settlement.get()}}, metrics);
  auto page = admin.list({});
  REQUIRE(page.ok());
  REQUIRE(page->data.size() == 2);  // matching's (compensated) and settlement's
  const auto& letter = page->data[1];
  CHECK(letter.consumer_group == settlement_group);
  CHECK(letter.event_type.value_or("") == "TradeExecuted");
  CHECK_FALSE(letter.answered_at.has_value());
  CHECK(page->data[0].answer.value_or("") == "compensated");
  {
    scheduler::DeadLetterQuery first;
    first.limit = 1;
    auto one = admin.list(first);
    REQUIRE(one.ok());
    CHECK(one->data.size() == 1);
    CHECK(one->has_more);
  }
  {
    const auto report = stack.tick(*sagas);
    INFO(classes(report));
    CHECK(has(report, "dead_letter:" + std::to_string(letter.id) + " settlement_dead_letter"));
  }

  // Retried before the cause is fixed: refused, nothing changes.
  auto early = admin.retry(letter.id);
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().reason == "dead_letter_retry_failed");
  CHECK(stack.count("SELECT COUNT(*) FROM settled_trades") == 0);
  CHECK(stack.text("SELECT answered_at FROM dead_letters WHERE dead_letter_id = " + std::to_string(letter.id)) ==
        "NULL");

  // Fixed, retried: applied once.
  stack.exec("UPDATE reservations SET user_id = 'alice' WHERE order_id = " + std::to_string(resting));
  auto retried = admin.retry(letter.id);
  INFO((retried.ok() ? std::string() : retried.error().message));
  REQUIRE(retried.ok());
  CHECK(retried->answer.value_or("") == "retried");
  CHECK(stack.count("SELECT COUNT(*) FROM settled_trades") == 1);
  CHECK(stack.cash("alice").total == Amount::parse("8500").value().units());
  CHECK(stack.cash("alice").reserved == 0);
  CHECK(stack.cash("bob").total == Amount::parse("1500").value().units());
  CHECK(stack.count("SELECT COUNT(*) FROM reservations WHERE order_id = " + std::to_string(sell) +
                    " AND status = 'COMPLETED'") == 1);

  // A second retry: 409, nothing applied twice.
  auto again = admin.retry(letter.id);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == bourse::ErrorCode::kConflict);
  CHECK(again.error().reason == "dead_letter_already_answered");
  CHECK(stack.count("SELECT COUNT(*) FROM settled_trades") == 1);
  CHECK(stack.cash("alice").total == Amount::parse("8500").value().units());
  CHECK(stack.cash("bob").total == Amount::parse("1500").value().units());
  // Matching's dead letters are compensated, never retried here.
  auto matching_retry = admin.retry(page->data[0].id);
  REQUIRE_FALSE(matching_retry.ok());
  CHECK(matching_retry.error().reason == "dead_letter_already_answered");
  consumer->stop();
  matching->stop();
}

TEST_CASE("a trade whose settlement stage stopped is alerted as stalled, one it is behind on as "
          "behind; neither is compensated",
          "[saga][integration]") {
  SagaStack stack;
  stack.create_topics();
  stack.open_alice_and_bob();
  bourse::metrics::Registry metrics;  // the scheduler's
  auto sagas = stack.make_scheduler(metrics);
  // The scheduler's clock is kept at the real time here: a stage's offset stored moments
  // ago must count as progress. The trades are made old instead: matching stamps
  // executed_at from a clock an hour behind.
  const auto now_tick = [&] {
    const auto real = bourse::SystemClock::instance().now_ms();
    if (real > stack.clock.now_ms()) stack.clock.advance(std::chrono::milliseconds(real - stack.clock.now_ms()));
    auto report = sagas->run_once();
    INFO((report.ok() ? std::string() : report.error().message));
    REQUIRE(report.ok());
    return *report;
  };
  bourse::FakeClock an_hour_ago(bourse::SystemClock::instance().now_ms() - 3'600'000);

  auto order_relay = stack.relay("order_outbox");
  auto matching_relay = stack.relay("matching_outbox");
  auto matching = stack.matching(an_hour_ago);
  // The order module's trade record (what the scheduler scans for unsettled trades).
  auto status_handler = order::make_status_handler(stack.registry);
  bourse::consumer::ConsumerOptions status_options;
  status_options.group_id = stack.prefix + "order-status";
  status_options.topics = {stack.matching_events};
  auto status = bourse::consumer::ExactlyOnceConsumer::create(stack.pool, kafka_config("saga-test-status"),
                                                             status_options, *status_handler, stack.registry);
  REQUIRE(status.ok());

  // One crossing pair, through matching and the trade record, not through settlement.
  long long trades_made = 0;
  const auto trade = [&] {
    stack.place("alice", bourse::Side::kBuy, 5, "150");
    stack.place("bob", bourse::Side::kSell, 5, "150");
    stack.drain(*order_relay, "order_outbox");
    ++trades_made;
    stack.until([&] { (void)matching->poll_once(200ms); },
                [&] {
                  return stack.count("SELECT COUNT(*) FROM matching_outbox WHERE event_type = 'TradeExecuted'") ==
                         trades_made;
                });
    stack.drain(*matching_relay, "matching_outbox");
    stack.until([&] { (void)(*status)->poll_once(200ms); },
                [&] { return stack.count("SELECT COUNT(*) FROM trades") == trades_made; });
    return stack.count("SELECT MAX(trade_id) FROM trades");
  };

  // 1. Settlement never ran: no stored offset -> stalled, with the lag.
  const auto first = trade();
  {
    const auto report = now_tick();
    INFO(classes(report));
    CHECK(has(report, "trade:" + std::to_string(first) + " settlement_stalled"));
    CHECK(report.compensations == 0);
    const std::string detail = stack.text("SELECT detail FROM saga_actions WHERE subject = 'trade:" +
                                          std::to_string(first) + "'");
    CHECK(detail.find("stored next offset none") != std::string::npos);
    CHECK(detail.find("no progress within the saga timeout") != std::string::npos);
  }
  CHECK(sample(metrics, {"bourse_saga_actions_total", "settlement_stalled", "alert"}) == 1);

  // 2. Settlement runs and settles the first trade (its offset moves now); the second
  // trade waits behind it: behind, progressing, with the lag.
  auto [settlement, consumer] = stack.settlement(bourse::consumer::ConsumerOptions{}.max_attempts);
  stack.until([&] { (void)consumer->poll_once(200ms); },
              [&] { return stack.count("SELECT COUNT(*) FROM settled_trades") == 1; });
  const auto second = trade();
  {
    const auto report = now_tick();
    INFO(classes(report));
    CHECK(has(report, "trade:" + std::to_string(second) + " settlement_behind"));
    CHECK_FALSE(has(report, "trade:" + std::to_string(first) + " settlement_stalled"));  // once per cause
    CHECK(report.compensations == 0);
    const std::string detail = stack.text("SELECT detail FROM saga_actions WHERE subject = 'trade:" +
                                          std::to_string(second) + "'");
    CHECK(detail.find("progressing") != std::string::npos);
    CHECK(detail.find("lag ") != std::string::npos);
  }
  // The first trade is settled, but the order module has not recorded it (no follower
  // of account-events runs here), so it is scanned too; "behind" compares the stage's
  // offset with the partition's log end, an upper bound of a trade's position (README,
  // "Not done yet"), so it may be named behind as well: an alert, never an action.
  CHECK(sample(metrics, {"bourse_saga_actions_total", "settlement_behind", "alert"}) >= 1);

  // 3. Settlement catches up: both trades settle once, no compensation was ever made.
  stack.until([&] { (void)consumer->poll_once(200ms); },
              [&] { return stack.count("SELECT COUNT(*) FROM settled_trades") == 2; });
  CHECK(stack.count("SELECT COUNT(*) FROM settled_trades WHERE buyer IS NOT NULL") == 2);
  CHECK(stack.count("SELECT COUNT(*) FROM saga_actions WHERE action = 'compensate'") == 0);
  CHECK(stack.cash("alice").total == Amount::parse("8500").value().units());
  CHECK(stack.cash("bob").total == Amount::parse("1500").value().units());
  consumer->stop();
  (*status)->stop();
  matching->stop();
}

TEST_CASE("pruning removes only what is past its retention", "[saga][integration]") {
  SagaStack stack;
  bourse::metrics::Registry metrics;
  auto sagas = stack.make_scheduler(metrics);
  // processed_events: retention 14 days by default.
  stack.exec("INSERT INTO processed_events (consumer_group, event_id, processed_at) VALUES"
             " ('g', 'old', NOW(6) - INTERVAL 15 DAY), ('g', 'young', NOW(6) - INTERVAL 13 DAY)");
  // order_idempotency_keys: 7 days.
  stack.exec("INSERT INTO order_idempotency_keys (user_id, idem_key, request_hash, order_id, response_status,"
             " response_body, created_at) VALUES"
             " ('u', 'old', REPEAT('a', 40), 1, 202, '{}', NOW(6) - INTERVAL 8 DAY),"
             " ('u', 'young', REPEAT('a', 40), 2, 202, '{}', NOW(6) - INTERVAL 6 DAY)");
  // dead letters: answered ones after 30 days; unanswered ones are kept.
  stack.exec("INSERT INTO dead_letters (consumer_group, topic, partition_id, message_offset, payload, error,"
             " attempts, failed_at, answered_at, answer) VALUES"
             " ('g', 't', 0, 1, 'x', 'e', 1, NOW(6) - INTERVAL 40 DAY, NOW(6) - INTERVAL 31 DAY, 'retried'),"
             " ('g', 't', 0, 2, 'x', 'e', 1, NOW(6) - INTERVAL 40 DAY, NOW(6) - INTERVAL 29 DAY, 'retried'),"
             " ('g', 't', 0, 3, 'x', 'e', 1, NOW(6) - INTERVAL 40 DAY, NULL, NULL)");
  // matching snapshots: committed offset 100; restore needs the newest 3 at or below it.
  stack.exec("INSERT INTO matching_offsets (topic, partition_id, next_offset) VALUES ('t', 0, 100)");
  stack.exec("INSERT INTO matching_snapshots (topic, partition_id, next_offset, format, bytes, created_at) VALUES"
             " ('t', 0, 10, 1, 'b', NOW(6) - INTERVAL 2 DAY), ('t', 0, 20, 1, 'b', NOW(6) - INTERVAL 2 DAY),"
             " ('t', 0, 30, 1, 'b', NOW(6) - INTERVAL 2 DAY), ('t', 0, 40, 1, 'b', NOW(6) - INTERVAL 2 DAY),"
             " ('t', 0, 50, 1, 'b', NOW(6) - INTERVAL 2 DAY), ('t', 0, 5, 1, 'b', NOW(6))");

  const auto report = stack.tick(*sagas);
  CHECK(stack.text("SELECT GROUP_CONCAT(event_id) FROM processed_events") == "young");
  CHECK(stack.text("SELECT GROUP_CONCAT(idem_key) FROM order_idempotency_keys") == "young");
  CHECK(stack.text("SELECT GROUP_CONCAT(message_offset ORDER BY message_offset) FROM dead_letters") == "2,3");
  // 10 and 20 are older than the three kept (30, 40, 50); 5 is younger than its retention.
  CHECK(stack.text("SELECT GROUP_CONCAT(next_offset ORDER BY next_offset) FROM matching_snapshots") == "5,30,40,50");
  CHECK(report.pruned_rows == 5);
  CHECK(sample(metrics, {"bourse_saga_pruned_rows_total", "processed_events"}) == 1);
  CHECK(sample(metrics, {"bourse_saga_pruned_rows_total", "matching_snapshots"}) == 2);
  // The unanswered dead letter is named by an alert, once.
  CHECK(stack.count("SELECT COUNT(*) FROM saga_actions WHERE subject LIKE 'dead_letter:%'") == 1);
  CHECK(stack.tick(*sagas).pruned_rows == 0);
}

TEST_CASE("two schedulers: only the lease holder acts", "[saga][integration]") {
  SagaStack stack;
  stack.exec("INSERT INTO dead_letters (consumer_group, topic, partition_id, message_offset, payload, error,"
             " attempts) VALUES ('g', 't', 0, 1, 'x', 'e', 1)");
  bourse::metrics::Registry first_metrics;
  bourse::metrics::Registry second_metrics;
  auto first = stack.make_scheduler(first_metrics);
  auto second = stack.make_scheduler(second_metrics);
  stack.pass_timeout();
  auto a = first->run_once_with_lease();
  REQUIRE(a.ok());
  CHECK(a->acted);
  CHECK(a->alerts == 1);
  CHECK(first->lease_held());
  auto b = second->run_once_with_lease();
  REQUIRE(b.ok());
  CHECK_FALSE(b->acted);
  CHECK_FALSE(second->lease_held());
  CHECK(sample(second_metrics, {"bourse_saga_ticks_total"}) == 0);
  // The holder stops: the standby takes over at one of its next ticks (the server frees
  // the named lock once it has seen the holder's session close).
  first->stop();
  bourse::Result<scheduler::TickReport> c = scheduler::TickReport{};
  stack.until([&] { c = second->run_once_with_lease(); std::this_thread::sleep_for(20ms); },
              [&] { return c.ok() && c->acted; });
  CHECK(second->lease_held());
  CHECK(c->alerts == 0);  // already recorded by the first
  CHECK(stack.count("SELECT COUNT(*) FROM saga_actions") == 1);
}
