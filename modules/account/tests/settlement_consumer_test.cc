// Goal: with the real Kafka and MariaDB, matching-event envelopes produced to a topic and
// consumed by an ExactlyOnceConsumer running the settlement handler move the balances
// exactly once (a re-published event included) and leave the TradeSettled /
// ReservationReleased events in account_outbox.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "bourse/consumer/exactly_once_consumer.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/producer.h"
#include "bourse/metrics/registry.h"
#include "settlement_test_support.h"
#include "stack_env.h"
#include "unique_name.h"

using namespace bourse;
using namespace bourse::account::testing;
using namespace std::chrono_literals;

namespace {

std::string unique_name(const std::string& prefix) {
  return "bourse-test-" + prefix + "-" + bourse::testing::unique_suffix();
}

kafka::KafkaConfig kafka_config(const std::string& client) {
  kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = client;
  return config;
}

TEST_CASE("matching events from Kafka settle exactly once through the consumer",
          "[account][settlement][kafka][integration]") {
  SettlementFixture f;
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 10, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 4, "98")).value()));
  REQUIRE(reserved(f.reserve(limit_order(3, "sue", Side::kSell, "AAPL", 20, "99")).value()));

  const std::string topic = unique_name("matching-events");
  {
    auto admin = kafka::Admin::create(kafka_config("settlement-test-admin"));
    REQUIRE(admin.ok());
    const Status created = admin.value()->create_topics({{topic, 1, {}, -1}}, 15s);
    INFO((created.ok() ? "" : created.error().message));
    REQUIRE(created.ok());
  }
  matching::events::OrderCancelled cancelled;  // bob's remaining 2 are cancelled
  cancelled.order_id = OrderId(1);
  cancelled.user_id = "bob";
  cancelled.symbol = "AAPL";
  cancelled.side = Side::kBuy;
  cancelled.reason = matching::events::CancelReason::kUser;
  cancelled.cancelled_quantity = Quantity::of(2);
  const envelope::Envelope first_trade =
      wrap(trade_executed(71, 1, 2, "bob", "sue", "AAPL", "98", 4, 6, 0));
  const std::vector<envelope::Envelope> published = {
      first_trade, wrap(trade_executed(72, 1, 3, "bob", "sue", "AAPL", "99", 4, 2, 16)),
      first_trade,  // the relay published it twice
      wrap(cancelled)};
  {
    auto producer = kafka::Producer::create(kafka_config("settlement-test-producer"));
    REQUIRE(producer.ok());
    for (const envelope::Envelope& event : published) {
      auto delivered =
          producer.value()->produce_sync({topic,
                                          "AAPL",
                                          envelope::serialize(event),
                                          {{std::string(kafka::kHeaderEventType), event.event_type},
                                           {std::string(kafka::kHeaderEventId), event.event_id}},
                                          0});
      INFO((delivered.ok() ? "" : delivered.error().message));
      REQUIRE(delivered.ok());
    }
  }

  consumer::ConsumerOptions options;
  options.group_id = unique_name("settlement");
  options.topics = {topic};
  options.batch_wait = 50ms;
  options.initial_backoff = 10ms;
  options.max_backoff = 100ms;
  options.session_timeout = 6s;
  options.heartbeat_interval = 300ms;
  options.max_poll_interval = 10s;
  metrics::Registry registry;
  auto consumer = consumer::ExactlyOnceConsumer::create(
      f.pool, kafka_config("settlement-test-consumer"), options, *f.handler, registry);
  REQUIRE(consumer.ok());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  const std::string stored_offset =
      "SELECT consumer_group FROM consumer_offsets WHERE consumer_group = '" + options.group_id +
      "' AND next_offset = 4";
  while (f.count_rows(stored_offset) == 0 && std::chrono::steady_clock::now() < deadline) {
    (void)consumer.value()->poll_once(100ms);
  }
  consumer.value()->stop();
  REQUIRE(f.count_rows(stored_offset) == 1);

  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9212"));  // 10000 - 4 x 98 - 4 x 99
  CHECK(bob.cash.reserved == usd("0"));  // 2 x 100 released at the cancel
  CHECK(bob.positions.at(0).quantity == Quantity::of(8));
  auto sue = f.get("sue");
  CHECK(sue.cash.total == usd("788"));
  CHECK(sue.positions.at(0).quantity == Quantity::of(92));
  CHECK(sue.positions.at(0).reserved == Quantity::of(16));
  CHECK(f.count_rows("SELECT * FROM dead_letters") == 0);

  const auto outbox = f.outbox();
  REQUIRE(outbox.size() == 3);
  CHECK(outbox.at(0).settled().trade_id == TradeId(71));
  CHECK(outbox.at(1).settled().trade_id == TradeId(72));
  CHECK_FALSE(outbox.at(1).settled().buy_order_done);
  CHECK(outbox.at(2).released().released_cash == usd("200"));
  for (const OutboxRow& row : outbox) {
    CHECK(row.topic == kAccountEventsTopic);
    CHECK(row.key == "AAPL");
  }
  f.check_conservation();
}

}  // namespace
