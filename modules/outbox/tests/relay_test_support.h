// Shared set-up for the relay's integration tests: a scratch database with the
// project's migrations, a unique Kafka topic, outbox rows, and a reader of the topic.
#pragma once

#include <soci/soci.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/consumer.h"
#include "bourse/outbox/outbox_writer.h"
#include "bourse/outbox/relay.h"
#include "project_migrations.h"
#include "stack_env.h"
#include "test_database.h"
#include "unique_name.h"

namespace bourse::outbox::testing {

using namespace std::chrono_literals;

inline constexpr const char* kTable = "order_outbox";

// Warnings and errors only: connection-refused noise stays out of the test output.
inline kafka::LogSink quiet_sink() {
  return [sink = kafka::stderr_json_sink()](const kafka::LogRecord& record) {
    if (record.level == kafka::LogLevel::kError) sink(record);
  };
}

inline kafka::KafkaConfig broker_config(const std::string& client) {
  return kafka::KafkaConfig{bourse::testing::kafka_brokers(), client, {}, quiet_sink()};
}

// Nothing listens on port 1: every connection is refused.
inline kafka::KafkaConfig unreachable_config(const std::string& client) {
  return kafka::KafkaConfig{"127.0.0.1:1", client, {}, [](const kafka::LogRecord&) {}};
}

inline std::string unique_name(const std::string& prefix) {
  return "bourse-test-" + prefix + "-" + bourse::testing::unique_suffix();
}

inline std::string create_topic(const std::string& prefix, int partitions) {
  const std::string topic = unique_name(prefix);
  auto admin = kafka::Admin::create(broker_config("outbox-test-admin"));
  REQUIRE(admin.ok());
  Status status = admin.value()->create_topics({{topic, partitions, {}, -1}}, 15s);
  INFO((status.ok() ? "" : status.error().message));
  REQUIRE(status.ok());
  return topic;
}

inline RelayOptions relay_options(const std::string& instance) {
  RelayOptions options;
  options.table = kTable;
  options.instance_id = instance;
  options.poll_interval = 5ms;
  options.lease_retry_interval = 50ms;
  options.delivery_timeout = 15s;
  return options;
}

inline std::unique_ptr<Relay> make_relay(db::ConnectionPool& pool, kafka::KafkaConfig kafka,
                                         metrics::Registry& registry, const Clock& clock,
                                         RelayOptions options) {
  auto relay = Relay::create(pool, std::move(kafka), registry, clock, std::move(options));
  INFO((relay.ok() ? "" : relay.error().message));
  REQUIRE(relay.ok());
  return std::move(relay).value();
}

struct RelayFixture {
  bourse::testing::TestDatabase database;
  db::ConnectionPool pool{database.config()};

  RelayFixture() { bourse::testing::apply_project_migrations(pool); }

  static OutboxEvent event(const std::string& topic, const std::string& key, long long sequence) {
    OutboxEvent event;
    event.event_type = "RelayTestEvent";
    event.topic = topic;
    event.key = key;
    event.aggregate_type = "order";
    event.aggregate_id = std::to_string(sequence);
    event.data = {{"sequence", sequence}, {"symbol", key}};
    return event;
  }

  // Appends one event in its own transaction.
  AppendedEvent append(const std::string& topic, const std::string& key, long long sequence) {
    std::optional<AppendedEvent> appended;
    Status status = pool.in_transaction([&](soci::session& session) -> Status {
      auto result =
          append_event(session, kTable, event(topic, key, sequence), SystemClock::instance());
      if (!result) return result.error();
      appended = *result;
      return Status::success();
    });
    INFO((status.ok() ? "" : status.error().message));
    REQUIRE(status.ok());
    return *appended;
  }

  long long scalar(const std::string& sql) {
    long long value = -1;
    Status status =
        pool.with_session([&](soci::session& session) { session << sql, soci::into(value); });
    REQUIRE(status.ok());
    return value;
  }

  void execute(const std::string& sql) {
    Status status = pool.with_session([&](soci::session& session) { session << sql; });
    INFO((status.ok() ? "" : status.error().message));
    REQUIRE(status.ok());
  }

  long long unpublished() {
    return scalar(std::string("SELECT COUNT(*) FROM ") + kTable + " WHERE " +
                  unpublished_condition(kTable));
  }
  long long published() {
    return scalar(std::string("SELECT COUNT(*) FROM ") + kTable + " WHERE NOT (" +
                  unpublished_condition(kTable) + ")");
  }
  // The recorded "published up to" id (0 before the first record).
  long long published_up_to() {
    return scalar(std::string("SELECT COALESCE(MAX(published_up_to), 0) FROM "
                              "outbox_relay_barriers WHERE outbox = '") +
                  kTable + "'");
  }
  long long total_rows() { return scalar(std::string("SELECT COUNT(*) FROM ") + kTable); }
  std::string payload_of(const std::string& event_id) {
    std::string payload;
    Status status = pool.with_session([&](soci::session& session) {
      session << std::string("SELECT payload FROM ") + kTable + " WHERE event_id = :id",
          soci::use(event_id), soci::into(payload);
    });
    REQUIRE(status.ok());
    return payload;
  }
};

// Starts every assigned partition at its beginning.
class FromBeginning final : public kafka::AssignmentListener {
 public:
  Result<std::vector<kafka::TopicPartitionOffset>> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override {
    std::vector<kafka::TopicPartitionOffset> offsets;
    for (const auto& partition : partitions) {
      offsets.push_back({partition.topic, partition.partition, std::nullopt});
    }
    return offsets;
  }
  void on_revoked(const std::vector<kafka::TopicPartition>&) override {}
};

// Every message of `topic`: polls until `expected` arrived (or `timeout`), then keeps
// polling for `settle` so that unexpected extra copies show up too.
inline std::vector<kafka::Message> read_topic(const std::string& topic, std::size_t expected,
                                              std::chrono::milliseconds timeout = 60s,
                                              std::chrono::milliseconds settle = 1500ms) {
  FromBeginning listener;
  kafka::ConsumerOptions options;
  options.group_id = unique_name("outbox-reader");
  options.topics = {topic};
  auto consumer = kafka::Consumer::create(broker_config("outbox-test-reader"), options, listener);
  REQUIRE(consumer.ok());
  std::vector<kafka::Message> messages;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::chrono::steady_clock::time_point> settle_until;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (settle_until.has_value() ? now >= *settle_until : now >= deadline) break;
    auto polled = consumer.value()->poll(200ms);
    if (polled.ok() && polled->has_value()) messages.push_back(std::move(**polled));
    if (!settle_until.has_value() && messages.size() >= expected) settle_until = now + settle;
  }
  REQUIRE(consumer.value()->close().ok());
  return messages;
}

// Polls `condition` every 20 ms for at most `timeout`.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

}  // namespace bourse::outbox::testing
