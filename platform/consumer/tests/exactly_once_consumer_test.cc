// Goal: against the real MariaDB and Kafka, every event takes effect exactly once -
// through duplicates, crashes between the database commit and Kafka, handler failures,
// deadlocks, poison messages and rebalances - and nothing is ever dropped silently.
#include "bourse/consumer/exactly_once_consumer.h"

#include <librdkafka/rdkafkacpp.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <thread>

#include "bourse/common/uuid.h"
#include "bourse/db/migrator.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/producer.h"
#include "project_migrations.h"
#include "stack_env.h"
#include "test_database.h"
#include "unique_name.h"

namespace bourse::consumer {
namespace {

using namespace std::chrono_literals;

std::string unique_name(const std::string& prefix) {
  return "bourse-test-" + prefix + "-" + bourse::testing::unique_suffix();
}

// BOURSE_TEST_KAFKA_DEBUG=cgrp,fetch,topic (librdkafka's `debug` property) turns on
// librdkafka's debug logs and forwards every record: for diagnosing a failing run.
kafka::KafkaConfig kafka_config(const std::string& client) {
  kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = client;
  const char* debug = std::getenv("BOURSE_TEST_KAFKA_DEBUG");
  const bool verbose = debug != nullptr && *debug != '\0';
  if (verbose) config.properties["debug"] = debug;
  config.log_sink = [sink = kafka::stderr_json_sink(), verbose](const kafka::LogRecord& record) {
    if (verbose || record.level == kafka::LogLevel::kError) sink(record);
  };
  return config;
}

std::string create_topic(int partitions) {
  const std::string topic = unique_name("eo");
  auto admin = kafka::Admin::create(kafka_config("consumer-test-admin"));
  REQUIRE(admin.ok());
  const Status status = admin.value()->create_topics({{topic, partitions, {}, -1}}, 15s);
  INFO((status.ok() ? "" : status.error().message));
  REQUIRE(status.ok());
  return topic;
}

// The scratch database with the project's migrations and the handler's table: one row
// per applied event; a second application increments times_applied instead of failing,
// so double application is countable.
struct Database {
  bourse::testing::TestDatabase scratch;
  db::ConnectionPool pool{scratch.config()};

  Database() {
    bourse::testing::apply_project_migrations(pool);
    REQUIRE(pool.with_session([](soci::session& session) {
                  session << "CREATE TABLE applied ("
                             " seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                             " event_id VARCHAR(64) NOT NULL UNIQUE,"
                             " value BIGINT NOT NULL, partition_id INT NOT NULL,"
                             " message_offset BIGINT NOT NULL,"
                             " times_applied INT NOT NULL DEFAULT 1) ENGINE=InnoDB";
                })
                .ok());
  }

  long long scalar(const std::string& sql) {
    long long value = 0;
    soci::indicator indicator = soci::i_ok;
    const Status status = pool.with_session(
        [&](soci::session& session) { session << sql, soci::into(value, indicator); });
    REQUIRE(status.ok());
    return indicator == soci::i_ok ? value : 0;
  }
  long long applied_rows() { return scalar("SELECT COUNT(*) FROM applied"); }
  long long over_applied() {
    return scalar("SELECT COUNT(*) FROM applied WHERE times_applied <> 1");
  }
  long long stored_offsets_sum(const std::string& group) {
    return scalar(
        "SELECT COALESCE(SUM(next_offset), 0) FROM consumer_offsets WHERE consumer_group = '" +
        group + "'");
  }
};

// The envelope of a test event with data {"value": value}.
std::string test_envelope(long long value, const std::string& event_id,
                          const std::string& event_type = "TestEvent") {
  return envelope::serialize(envelope::Envelope{event_id,
                                                event_type,
                                                1,
                                                "2026-11-30T00:00:00.000000Z",
                                                "test",
                                                std::to_string(value),
                                                {{"value", value}}});
}

// Writes each event's value into `applied` in the consumer's transaction. Fails (returns
// an error) for poison values; throws a MySQL deadlock for the first N attempts of others.
class TestHandler final : public EventHandler {
 public:
  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& message) override {
    const long long value = event.data.at("value").as_int64();
    {
      std::lock_guard lock(mutex_);
      if (poison_.count(value) > 0) return Error::internal("poison value " + std::to_string(value));
      if (auto it = unavailable_.find(value); it != unavailable_.end() && it->second > 0) {
        --it->second;
        return Error::unavailable("database down (simulated)");
      }
      if (auto it = deadlocks_.find(value); it != deadlocks_.end() && it->second > 0) {
        --it->second;
        throw soci::mysql_soci_error("Deadlock found when trying to get lock", 1213);
      }
    }
    claim_meanwhile_if_asked(value, event.event_id);
    int partition = message.partition;
    long long offset = message.offset;
    session << "INSERT INTO applied (event_id, value, partition_id, message_offset)"
               " VALUES (:e, :v, :p, :o) ON DUPLICATE KEY UPDATE times_applied = times_applied + 1",
        soci::use(event.event_id), soci::use(value), soci::use(partition), soci::use(offset);
    return Status::success();
  }

  void poison(long long value) {
    std::lock_guard lock(mutex_);
    poison_.insert(value);
  }
  void unavailable(long long value, int times) {
    std::lock_guard lock(mutex_);
    unavailable_[value] = times;
  }
  void deadlock(long long value, int times) {
    std::lock_guard lock(mutex_);
    deadlocks_[value] = times;
  }
  // The first time `value` is handled, its event is claimed for `group` on another
  // connection of `pool`, committed at once: what a concurrent claimer of the same id
  // would do between the batch's reads and its COMMIT.
  void claim_meanwhile(long long value, db::ConnectionPool& pool, const std::string& group) {
    std::lock_guard lock(mutex_);
    claim_meanwhile_[value] = ClaimElsewhere{&pool, group};
  }

 private:
  struct ClaimElsewhere {
    db::ConnectionPool* pool;
    std::string group;
  };
  void claim_meanwhile_if_asked(long long value, const std::string& event_id) {
    std::optional<ClaimElsewhere> claim;
    {
      std::lock_guard lock(mutex_);
      if (auto it = claim_meanwhile_.find(value); it != claim_meanwhile_.end()) {
        claim = it->second;
        claim_meanwhile_.erase(it);
      }
    }
    if (!claim) return;
    const Status claimed = claim->pool->with_session([&](soci::session& other) {
      other << "INSERT INTO processed_events (consumer_group, event_id) VALUES (:g, :e)",
          soci::use(claim->group), soci::use(event_id);
    });
    REQUIRE(claimed.ok());
  }

  std::mutex mutex_;
  std::map<long long, ClaimElsewhere> claim_meanwhile_;
  std::set<long long> poison_;
  std::map<long long, int> deadlocks_;
  std::map<long long, int> unavailable_;
};

class TestProducer {
 public:
  TestProducer() {
    auto created = kafka::Producer::create(kafka_config("consumer-test-producer"));
    REQUIRE(created.ok());
    producer_ = std::move(created).value();
  }

  // Produces an envelope with data {"value": value} to `partition`; returns its event id.
  std::string event(const std::string& topic, int partition, long long value,
                    std::string event_id = random_uuid_v4()) {
    raw(topic, partition, test_envelope(value, event_id), event_id);
    return event_id;
  }

  void raw(const std::string& topic, int partition, std::string value,
           const std::string& event_id) {
    auto delivered = producer_->produce_sync({topic,
                                              "k",
                                              std::move(value),
                                              {{std::string(kafka::kHeaderEventType), "TestEvent"},
                                               {std::string(kafka::kHeaderEventId), event_id}},
                                              partition});
    INFO((delivered.ok() ? "" : delivered.error().message));
    REQUIRE(delivered.ok());
  }

 private:
  std::unique_ptr<kafka::Producer> producer_;
};

ConsumerOptions test_options(const std::string& group, const std::string& topic) {
  ConsumerOptions options;
  options.group_id = group;
  options.topics = {topic};
  options.batch_wait = 20ms;
  options.max_attempts = 3;
  options.initial_backoff = 10ms;
  options.max_backoff = 100ms;
  options.session_timeout = 6s;
  options.heartbeat_interval = 300ms;
  options.max_poll_interval = 10s;
  return options;
}

std::unique_ptr<ExactlyOnceConsumer> make_consumer(Database& database,
                                                   const ConsumerOptions& options,
                                                   EventHandler& handler,
                                                   metrics::Registry& registry) {
  static std::atomic<int> consumers{0};  // a distinct client id per consumer in the logs
  kafka::KafkaConfig config = kafka_config("consumer-test-" + std::to_string(consumers++));
  // A retry re-fetches after its seek: do not wait the default 500 ms for the fetch.
  config.properties["fetch.wait.max.ms"] = "50";
  auto created =
      ExactlyOnceConsumer::create(database.pool, std::move(config), options, handler, registry);
  REQUIRE(created.ok());
  return std::move(created).value();
}

// Calls poll_once until `done()` (or fails the test after `limit`).
template <typename Done>
void drive(ExactlyOnceConsumer& consumer, Done done, std::chrono::milliseconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    (void)consumer.poll_once(100ms);  // failed batches return their error: expected here
  }
  REQUIRE(done());
}

template <typename Done>
void wait_for(Done done, std::chrono::milliseconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  REQUIRE(done());
}

std::uint64_t counter_value(metrics::Registry& registry, const std::string& name,
                            std::initializer_list<std::string_view> labels) {
  const std::vector<std::string> label_names = labels.size() == 2
                                                   ? std::vector<std::string>{"group", "topic"}
                                                   : std::vector<std::string>{"group"};
  return registry.counter(name, "", label_names).with(labels).value();
}

double gauge_value(metrics::Registry& registry, const std::string& name,
                   std::vector<std::string> label_names,
                   std::initializer_list<std::string_view> labels) {
  return registry.gauge(name, "", std::move(label_names)).with(labels).value();
}

// Spins `threads` busy loops until destroyed: the consumers' threads then compete for the
// CPU like on a loaded 2-core machine, which is where rebalance races show up.
class CpuBurner {
 public:
  explicit CpuBurner(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        while (!stop_.load(std::memory_order_relaxed)) {
        }
      });
    }
  }
  ~CpuBurner() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
  }
  CpuBurner(const CpuBurner&) = delete;
  CpuBurner& operator=(const CpuBurner&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST_CASE("events are applied once, in partition order, with their offsets stored", "[consumer]") {
  Database database;
  const std::string topic = create_topic(2);
  const std::string group = unique_name("g-order");
  TestProducer producer;
  constexpr int kPerPartition = 30;
  for (int i = 0; i < kPerPartition; ++i) {
    for (int p = 0; p < 2; ++p) producer.event(topic, p, p * 1000 + i);
  }
  TestHandler handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 2 * kPerPartition; });

  CHECK(database.applied_rows() == 2 * kPerPartition);
  CHECK(database.over_applied() == 0);
  for (int p = 0; p < 2; ++p) {
    std::vector<long long> values(kPerPartition);
    std::vector<long long> offsets(kPerPartition);
    REQUIRE(database.pool
                .with_session([&](soci::session& session) {
                  session << "SELECT value, message_offset FROM applied WHERE partition_id = :p "
                             "ORDER BY seq",
                      soci::use(p), soci::into(values), soci::into(offsets);
                })
                .ok());
    REQUIRE(values.size() == static_cast<std::size_t>(kPerPartition));
    for (int i = 0; i < kPerPartition; ++i) {
      CHECK(values[i] == p * 1000 + i);  // applied in partition order
      CHECK(offsets[i] == i);
    }
    CHECK(database.scalar("SELECT next_offset FROM consumer_offsets WHERE consumer_group = '" +
                          group + "' AND partition_id = " + std::to_string(p)) == kPerPartition);
  }
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events") == 2 * kPerPartition);
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) ==
        2 * kPerPartition);
  CHECK(counter_value(registry, "bourse_consumer_batch_failures_total", {group}) == 0);
  consumer->stop();
}

TEST_CASE("the same event published twice is applied once", "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-dup");
  TestProducer producer;
  const std::string first = producer.event(topic, 0, 1);
  producer.event(topic, 0, 1, first);  // the relay re-published the row
  producer.event(topic, 0, 2);
  producer.event(topic, 0, 1, first);  // and once more, later

  TestHandler handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 4; });
  CHECK(database.applied_rows() == 2);
  CHECK(database.over_applied() == 0);
  CHECK(counter_value(registry, "bourse_consumer_duplicates_skipped_total", {group, topic}) == 2);
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) == 2);

  // In a later batch: a copy of an event claimed by an earlier batch is skipped, a new
  // event next to it applied.
  producer.event(topic, 0, 1, first);
  producer.event(topic, 0, 3);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 6; });
  CHECK(database.applied_rows() == 3);
  CHECK(database.over_applied() == 0);
  CHECK(counter_value(registry, "bourse_consumer_duplicates_skipped_total", {group, topic}) == 3);
}

// The batch writes its claims with its COMMIT: an id another transaction claimed after
// the batch read processed_events fails that round trip on the primary key (nothing of the
// batch is written), and the retry finds the id processed.
TEST_CASE("an event claimed elsewhere after the batch's reads fails its COMMIT; the retry skips it",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g");
  TestHandler handler;
  metrics::Registry registry;
  TestProducer producer;
  producer.event(topic, 0, 1);
  const std::string claimed_elsewhere = producer.event(topic, 0, 2);
  producer.event(topic, 0, 3);
  handler.claim_meanwhile(2, database.pool, group);
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 3; });
  CHECK(database.scalar("SELECT COUNT(*) FROM applied WHERE value IN (1, 3)") == 2);
  CHECK(database.scalar("SELECT COUNT(*) FROM applied WHERE value = 2") == 0);
  CHECK(database.over_applied() == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE consumer_group = '" + group +
                        "'") == 3);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE event_id = '" +
                        claimed_elsewhere + "'") == 1);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 0);
}

TEST_CASE("after_commit runs after each commit that applied events, not for duplicates",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-after");
  TestProducer producer;
  const std::string first = producer.event(topic, 0, 1);
  producer.event(topic, 0, 2);

  TestHandler handler;
  metrics::Registry registry;
  ConsumerOptions options = test_options(group, topic);
  int calls = 0;
  long long applied_at_first_call = -1;
  options.after_commit = [&] {
    if (++calls == 1) applied_at_first_call = database.applied_rows();  // already committed
  };
  auto consumer = make_consumer(database, options, handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 2; });
  CHECK(calls >= 1);
  CHECK(calls <= 2);  // one per committed batch
  CHECK(applied_at_first_call >= 1);
  const int after_new_events = calls;

  producer.event(topic, 0, 1, first);  // a duplicate only: nothing applied, no call
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 3; });
  CHECK(calls == after_new_events);
}

TEST_CASE("a consumer killed between the DB commit and any Kafka commit resumes from the DB",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-crash");
  TestProducer producer;
  for (int i = 0; i < 10; ++i) producer.event(topic, 0, i);
  TestHandler handler;
  ConsumerOptions options = test_options(group, topic);
  options.kafka_commit_hint_interval = 0ms;  // nothing ever reaches Kafka's offsets
  {
    metrics::Registry registry;
    auto first = make_consumer(database, options, handler, registry);
    drive(*first, [&] { return database.stored_offsets_sum(group) == 10; });
    // Destroyed here: the DB holds the effects and offsets, Kafka holds no committed offset
    // for the group (so Kafka alone would restart at the beginning).
  }
  for (int i = 10; i < 15; ++i) producer.event(topic, 0, i);
  metrics::Registry registry;
  auto second = make_consumer(database, options, handler, registry);
  drive(*second, [&] { return database.stored_offsets_sum(group) == 15; });
  CHECK(database.applied_rows() == 15);
  CHECK(database.over_applied() == 0);
  // It started at the stored offset: it did not even see the first ten again.
  CHECK(counter_value(registry, "bourse_consumer_duplicates_skipped_total", {group, topic}) == 0);
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) == 5);
}

TEST_CASE("a poison message is retried, isolated and dead-lettered; the rest is applied once",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-poison");
  TestProducer producer;
  std::string poison_id;
  for (int i = 0; i < 10; ++i) {
    const std::string id = producer.event(topic, 0, i);
    if (i == 4) poison_id = id;
  }
  producer.raw(topic, 0, "{not an envelope", "bogus-id");  // offset 10: can never succeed
  producer.event(topic, 0, 11);                            // offset 11

  TestHandler handler;
  handler.poison(4);
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 12; });

  CHECK(database.applied_rows() == 10);  // 0..9 without 4, and 11
  CHECK(database.over_applied() == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM applied WHERE value = 4") == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 2);

  std::string event_id, error, payload;
  int attempts = 0;
  REQUIRE(database.pool
              .with_session([&](soci::session& session) {
                session << "SELECT event_id, error, attempts, payload FROM dead_letters"
                           " WHERE message_offset = 4",
                    soci::into(event_id), soci::into(error), soci::into(attempts),
                    soci::into(payload);
              })
              .ok());
  CHECK(event_id == poison_id);
  CHECK(error.find("poison value 4") != std::string::npos);
  CHECK(attempts == 3);
  CHECK(payload.find(poison_id) != std::string::npos);
  // Its processed_events row went with it: a re-publication would be skipped.
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE event_id = '" + poison_id +
                        "'") == 1);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters WHERE message_offset = 10 AND"
                        " event_id IS NULL AND attempts = 1 AND error LIKE '%malformed%'") == 1);
  CHECK(counter_value(registry, "bourse_consumer_dead_letters_total", {group}) == 2);
  CHECK(counter_value(registry, "bourse_consumer_batch_failures_total", {group}) >= 3);
}

// Runs nothing itself: hands each event's row to the consumer as a last write, which the
// consumer sends with the offset and the COMMIT. The table's CHECK refuses value 4, which
// the statement maps to an Error: a failure found only in that final round trip.
class DeferringHandler final : public EventHandler {
 public:
  Status handle(soci::session&, const envelope::Envelope&, const kafka::Message&) override {
    FAIL("the consumer calls handle_batch_ending_with");
    return Status::success();
  }
  Status handle_batch_ending_with(soci::session&, std::span<const DeliveredEvent> events,
                                  std::vector<db::SqlStatement>& last_writes) override {
    for (const DeliveredEvent& delivered : events) {
      last_writes.push_back(db::SqlStatement{
          "INSERT INTO applied (event_id, value, partition_id, message_offset) "
          "VALUES (:e, :v, :p, :o)",
          {delivered.event.event_id, delivered.event.data.at("value").as_int64(),
           static_cast<long long>(delivered.message.partition), delivered.message.offset},
          Error::invalid("value 4 is refused", "refused_value"), 1});
    }
    ++batches_;
    return Status::success();
  }
  int batches() const { return batches_; }

 private:
  int batches_ = 0;
};

TEST_CASE("a handler's last writes commit with the offset; one that fails rolls the batch back",
          "[consumer]") {
  Database database;
  REQUIRE(database.pool
              .with_session([](soci::session& session) {
                session << "ALTER TABLE applied ADD CONSTRAINT no_four CHECK (value <> 4)";
              })
              .ok());
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-deferred");
  TestProducer producer;
  std::string refused_id;
  for (int i = 0; i < 8; ++i) {
    const std::string id = producer.event(topic, 0, i);
    if (i == 4) refused_id = id;
  }
  DeferringHandler handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 8; });

  // Every other event applied exactly once, with its offset; the refused one in no table
  // but dead_letters, with the statement's own error.
  CHECK(database.applied_rows() == 7);
  CHECK(database.over_applied() == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM applied WHERE value = 4") == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM applied a WHERE a.message_offset <> a.value") == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters WHERE message_offset = 4 AND "
                        "error LIKE '%value 4 is refused: %no_four%'") == 1);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE event_id = '" + refused_id +
                        "'") == 1);
  CHECK(handler.batches() >= 2);  // the failed batch, then one message per transaction
  CHECK(counter_value(registry, "bourse_consumer_batch_failures_total", {group}) >= 1);
}

// Records every handle_batch call (the values, in the order handed over), then applies
// them with the default (handle() per event). Value `poison` always fails.
class BatchRecordingHandler final : public EventHandler {
 public:
  explicit BatchRecordingHandler(long long poison) : poison_(poison) {}

  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& message) override {
    const long long value = event.data.at("value").as_int64();
    if (value == poison_) return Error::internal("poison value " + std::to_string(value));
    int partition = message.partition;
    long long offset = message.offset;
    session << "INSERT INTO applied (event_id, value, partition_id, message_offset)"
               " VALUES (:e, :v, :p, :o) ON DUPLICATE KEY UPDATE times_applied = times_applied + 1",
        soci::use(event.event_id), soci::use(value), soci::use(partition), soci::use(offset);
    return Status::success();
  }

  Status handle_batch(soci::session& session, std::span<const DeliveredEvent> events) override {
    std::vector<long long> values;
    for (const DeliveredEvent& delivered : events) {
      values.push_back(delivered.event.data.at("value").as_int64());
    }
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(values));
    }
    return EventHandler::handle_batch(session, events);
  }

  std::vector<std::vector<long long>> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  const long long poison_;
  std::mutex mutex_;
  std::vector<std::vector<long long>> calls_;
};

TEST_CASE("handle_batch gets a batch's new events in order, one by one after a failure",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-batch");
  TestProducer producer;
  std::string duplicate_id;
  for (int i = 0; i < 8; ++i) {
    const std::string id = producer.event(topic, 0, i);
    if (i == 2) duplicate_id = id;
    if (i == 3) producer.event(topic, 0, 2, duplicate_id);  // re-published: not handed over
    if (i == 4) producer.raw(topic, 0, "{not an envelope", "bogus-id");  // dead-lettered
  }
  BatchRecordingHandler handler(/*poison=*/6);
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 10; });

  CHECK(database.applied_rows() == 7);  // 0..7 without the poison 6
  CHECK(database.over_applied() == 0);
  const auto calls = handler.calls();
  REQUIRE_FALSE(calls.empty());
  // All ten messages were in Kafka before the consumer started: the first batch holds
  // several of them, and every batch's values are new events only, in offset order.
  CHECK(calls.front().size() > 1);
  bool failed_once = false;
  for (const auto& values : calls) {
    REQUIRE_FALSE(values.empty());
    for (std::size_t i = 1; i < values.size(); ++i) CHECK(values[i] > values[i - 1]);
    const bool has_poison = std::find(values.begin(), values.end(), 6) != values.end();
    // After the first failure of a batch holding the poison, the retries are of size 1.
    if (failed_once && has_poison) CHECK(values.size() == 1);
    if (has_poison) failed_once = true;
  }
  // The poison was tried alone max_attempts (3) times, then dead-lettered.
  CHECK(std::count(calls.begin(), calls.end(), std::vector<long long>{6}) == 3);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 2);
  // The events handed over add up to the applied ones plus the failed attempts.
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) == 7);
  CHECK(counter_value(registry, "bourse_consumer_duplicates_skipped_total", {group, topic}) == 1);
}

TEST_CASE("partitions that arrive interleaved share full batches, each partition in offset order",
          "[consumer]") {
  // One record per partition per fetch (max.partition.fetch.bytes=1), so librdkafka hands
  // the messages out as p0 p1 p2 p3 p0 p1 ...: a consumer that ended a batch at the first
  // message of another partition would apply one message per transaction here. A batch
  // takes several partitions' messages; each partition's must come consecutive and in
  // offset order, within a batch and from one batch to the next.
  Database database;
  constexpr int kPartitions = 4;
  constexpr int kPerPartition = 60;
  const std::string topic = create_topic(kPartitions);
  const std::string group = unique_name("g-interleaved");
  TestProducer producer;
  for (int i = 0; i < kPerPartition; ++i) {
    for (int p = 0; p < kPartitions; ++p) producer.event(topic, p, p * 1000 + i);
  }
  BatchRecordingHandler handler(/*poison=*/-1);
  metrics::Registry registry;
  ConsumerOptions options = test_options(group, topic);
  options.max_batch = 30;
  // Long enough for a batch to fill at one record per partition per fetch round on a
  // slow machine: batch_wait counts from when a batch's first message was polled, so a
  // held partition's batch does not get a wait of its own (200 ms left batches of ~20
  // once in CI).
  options.batch_wait = 1s;
  static std::atomic<int> clients{0};
  kafka::KafkaConfig config = kafka_config("consumer-test-interleaved-" + std::to_string(clients++));
  config.properties["fetch.wait.max.ms"] = "10";
  config.properties["max.partition.fetch.bytes"] = "1";
  auto created = ExactlyOnceConsumer::create(database.pool, std::move(config), options, handler,
                                             registry);
  REQUIRE(created.ok());
  auto consumer = std::move(created).value();
  drive(*consumer, [&] {
    return database.stored_offsets_sum(group) == kPartitions * kPerPartition;
  }, 60s);

  CHECK(database.applied_rows() == kPartitions * kPerPartition);
  CHECK(database.over_applied() == 0);
  const auto calls = handler.calls();
  std::size_t full = 0;
  std::size_t shared = 0;  // batches holding more than one partition's messages
  std::map<long long, long long> last;  // per partition: the last value applied
  for (const auto& values : calls) {
    REQUIRE_FALSE(values.empty());
    CHECK(values.size() <= options.max_batch);
    if (values.size() == options.max_batch) ++full;
    std::set<long long> partitions_in_batch;
    for (const long long value : values) {
      const long long partition = value / 1000;
      partitions_in_batch.insert(partition);
      const auto previous = last.find(partition);
      // Consecutive and in offset order, across batches too (value = p * 1000 + i).
      CHECK(value == (previous == last.end() ? partition * 1000 : previous->second + 1));
      last[partition] = value;
    }
    if (partitions_in_batch.size() > 1) ++shared;
  }
  INFO("batches: " << calls.size() << ", full: " << full << ", shared: " << shared);
  CHECK(shared >= 1);
  // 240 messages in batches of up to 30: 8 if every batch were full. One message per
  // batch would be 240.
  CHECK(calls.size() <= 24);
  CHECK(full >= 4);
}

TEST_CASE("a poison message in a batch of several partitions: the others are applied once, "
          "the poison alone is dead-lettered",
          "[consumer]") {
  Database database;
  constexpr int kPartitions = 3;
  constexpr int kPerPartition = 10;
  const std::string topic = create_topic(kPartitions);
  const std::string group = unique_name("g-shared-poison");
  TestProducer producer;
  for (int i = 0; i < kPerPartition; ++i) {
    for (int p = 0; p < kPartitions; ++p) producer.event(topic, p, p * 1000 + i);
  }
  constexpr long long kPoison = 1004;  // partition 1's fifth event
  BatchRecordingHandler handler(kPoison);
  metrics::Registry registry;
  ConsumerOptions options = test_options(group, topic);
  options.batch_wait = 500ms;  // every message is in Kafka already: the first batch is big
  auto consumer = make_consumer(database, options, handler, registry);
  drive(*consumer, [&] {
    return database.stored_offsets_sum(group) == kPartitions * kPerPartition;
  });

  CHECK(database.applied_rows() == kPartitions * kPerPartition - 1);
  CHECK(database.over_applied() == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 1);
  const auto calls = handler.calls();
  REQUIRE_FALSE(calls.empty());
  // The first batch that held the poison held other partitions too (not necessarily the
  // first batch: librdkafka starts fetching each new partition when its start offset is
  // known, so one partition alone can fill the first batch's window).
  const auto poisoned = std::find_if(calls.begin(), calls.end(), [&](const auto& call) {
    return std::find(call.begin(), call.end(), kPoison) != call.end();
  });
  REQUIRE(poisoned != calls.end());
  std::set<long long> poisoned_partitions;
  for (const long long value : *poisoned) poisoned_partitions.insert(value / 1000);
  CHECK(poisoned_partitions.size() > 1);
  // The poison was tried alone max_attempts times, then dead-lettered.
  CHECK(std::count(calls.begin(), calls.end(), std::vector<long long>{kPoison}) ==
        options.max_attempts);
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) ==
        kPartitions * kPerPartition - 1);
  CHECK(counter_value(registry, "bourse_consumer_dead_letters_total", {group}) == 1);
}

// Hands TestEvent over to a TestHandler and declares every other type ignored.
class TestEventsOnly final : public EventHandler {
 public:
  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& message) override {
    ++handed_over;
    return inner.handle(session, event, message);
  }
  bool handles(std::string_view event_type) const override { return event_type == "TestEvent"; }
  TestHandler inner;
  int handed_over = 0;  // the consumer's thread is the test's thread here (drive)
};

TEST_CASE("events of a type the handler does not handle are passed over unclaimed",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-ignored");
  TestProducer producer;
  // TestEvent 0, Other 1, TestEvent 2, Other 3, ... and one Other published twice.
  std::vector<std::string> ignored_ids;
  for (int i = 0; i < 10; ++i) {
    const std::string id = random_uuid_v4();
    if (i % 2 == 0) {
      producer.event(topic, 0, i, id);
    } else {
      producer.raw(topic, 0, test_envelope(i, id, "OtherEvent"), id);
      ignored_ids.push_back(id);
    }
  }
  producer.raw(topic, 0, test_envelope(3, ignored_ids[1], "OtherEvent"), ignored_ids[1]);
  TestEventsOnly handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 11; });

  CHECK(database.applied_rows() == 5);  // the TestEvents only
  CHECK(database.over_applied() == 0);
  CHECK(handler.handed_over == 5);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE consumer_group = '" + group +
                        "'") == 5);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE event_id = '" +
                        ignored_ids[0] + "'") == 0);
  CHECK(counter_value(registry, "bourse_consumer_events_ignored_total", {group, topic}) == 6);
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) == 5);
}

// Deduplicates "OwnKeys" events itself (here it does not, so that the test can count
// the copies the consumer hands over); TestEvent goes through the claims.
class OwnKeysHandler final : public EventHandler {
 public:
  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& message) override {
    return inner.handle(session, event, message);
  }
  bool deduplicates(std::string_view event_type) const override { return event_type == "OwnKeys"; }
  TestHandler inner;
};

TEST_CASE("events a handler deduplicates itself are handed over every copy, unclaimed",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-own-keys");
  TestProducer producer;
  const std::string claimed = producer.event(topic, 0, 1);
  const std::string own = random_uuid_v4();
  producer.raw(topic, 0, test_envelope(2, own, "OwnKeys"), own);
  producer.raw(topic, 0, test_envelope(2, own, "OwnKeys"), own);  // the relay published twice
  producer.event(topic, 0, 1, claimed);                            // and this one too
  producer.event(topic, 0, 3);
  OwnKeysHandler handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 5; });

  // Both copies of the OwnKeys event reached the handler; the claimed one was applied once.
  CHECK(database.scalar("SELECT times_applied FROM applied WHERE event_id = '" + own + "'") == 2);
  CHECK(database.scalar("SELECT times_applied FROM applied WHERE event_id = '" + claimed + "'") ==
        1);
  CHECK(database.applied_rows() == 3);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE consumer_group = '" + group +
                        "'") == 2);
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events WHERE event_id = '" + own + "'") ==
        0);
  CHECK(counter_value(registry, "bourse_consumer_duplicates_skipped_total", {group, topic}) == 1);
  CHECK(counter_value(registry, "bourse_consumer_events_applied_total", {group, topic}) == 4);
}

TEST_CASE("deadlocks and an unavailable database are retried until they pass, never dead-lettered",
          "[consumer]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-deadlock");
  TestProducer producer;
  for (int i = 0; i < 5; ++i) producer.event(topic, 0, i);
  TestHandler handler;
  handler.deadlock(2, 4);     // more than max_attempts (3): transient failures never dead-letter
  handler.unavailable(3, 4);  // idem for kUnavailable (a database outage is not a poison)
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 5; });
  CHECK(database.applied_rows() == 5);
  CHECK(database.over_applied() == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 0);
  CHECK(counter_value(registry, "bourse_consumer_batch_failures_total", {group}) >= 8);
}

TEST_CASE("a batch that starts past the stored offset is refused and the partition re-read",
          "[consumer][gap]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-gap");
  TestProducer producer;
  for (int i = 0; i < 10; ++i) producer.event(topic, 0, i);
  TestHandler handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 10; });

  // The consumer's fetch position (10) is now past the stored offset (5): whatever the
  // cause, the next batch must not be applied from 10 on, skipping 5..9.
  REQUIRE(database.pool
              .with_session([&](soci::session& session) {
                session << "UPDATE consumer_offsets SET next_offset = 5 WHERE consumer_group = :g",
                    soci::use(group);
              })
              .ok());
  for (int i = 10; i < 15; ++i) producer.event(topic, 0, i);
  drive(*consumer, [&] { return database.stored_offsets_sum(group) == 15; });

  CHECK(counter_value(registry, "bourse_consumer_offset_gaps_refused_total", {group}) == 1);
  CHECK(counter_value(registry, "bourse_consumer_log_gaps_skipped_total", {group}) == 0);
  // Re-read from 5: 5..9 were applied already (duplicates), 10..14 applied once.
  CHECK(counter_value(registry, "bourse_consumer_duplicates_skipped_total", {group, topic}) == 5);
  CHECK(database.applied_rows() == 15);
  CHECK(database.over_applied() == 0);
}

TEST_CASE("offsets without records (transaction markers) are skipped after a confirming re-fetch",
          "[consumer][gap]") {
  Database database;
  const std::string topic = create_topic(1);
  const std::string group = unique_name("g-txn");
  // A transactional producer: each commit writes a marker that takes an offset but is never
  // delivered, so the next transaction's first message starts past the stored offset.
  std::string error_text;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  REQUIRE(conf->set("bootstrap.servers", bourse::testing::kafka_brokers(), error_text) ==
          RdKafka::Conf::CONF_OK);
  REQUIRE(conf->set("transactional.id", unique_name("txn"), error_text) == RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::Producer> transactional(
      RdKafka::Producer::create(conf.get(), error_text));
  REQUIRE(transactional);
  auto ok = [](RdKafka::Error* error) {
    const std::unique_ptr<RdKafka::Error> owned(error);
    INFO((owned ? owned->str() : std::string()));
    return !owned;
  };
  REQUIRE(ok(transactional->init_transactions(15'000)));
  int value = 0;
  auto transaction = [&](int events) {
    REQUIRE(ok(transactional->begin_transaction()));
    for (int i = 0; i < events; ++i, ++value) {
      std::string payload = test_envelope(value, random_uuid_v4());
      REQUIRE(transactional->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, payload.data(),
                                     payload.size(), nullptr, 0, 0,
                                     nullptr) == RdKafka::ERR_NO_ERROR);
    }
    REQUIRE(ok(transactional->commit_transaction(15'000)));
  };

  TestHandler handler;
  metrics::Registry registry;
  auto consumer = make_consumer(database, test_options(group, topic), handler, registry);
  transaction(3);  // offsets 0..2, marker 3
  drive(*consumer, [&] { return database.applied_rows() == 3; });
  CHECK(database.stored_offsets_sum(group) == 3);
  transaction(3);  // offsets 4..6, marker 7: the next batch starts at 4, stored is 3
  drive(*consumer, [&] { return database.applied_rows() == 6; });

  CHECK(database.stored_offsets_sum(group) == 7);
  CHECK(database.over_applied() == 0);
  // Refused once, re-fetched from 3, started at 4 again: confirmed, applied.
  CHECK(counter_value(registry, "bourse_consumer_offset_gaps_refused_total", {group}) == 1);
  CHECK(counter_value(registry, "bourse_consumer_log_gaps_skipped_total", {group}) == 1);
}

TEST_CASE("the lag of each partition is exported, and one without progress is reported stalled",
          "[consumer][lag]") {
  Database database;
  const std::string topic = create_topic(2);
  const std::string group = unique_name("g-stall");
  TestProducer producer;
  for (int i = 0; i < 5; ++i) producer.event(topic, 0, i);
  for (int i = 0; i < 3; ++i) producer.event(topic, 1, 100 + i);
  TestHandler handler;
  handler.unavailable(100, 1'000'000);  // partition 1's first event cannot be applied for now
  metrics::Registry registry;
  ConsumerOptions options = test_options(group, topic);
  options.stall_timeout = kMinStallTimeout;  // 1 s
  auto consumer = make_consumer(database, options, handler, registry);
  auto lag = [&](int partition) {
    return gauge_value(registry, "bourse_consumer_lag_messages", {"group", "topic", "partition"},
                       {group, topic, std::to_string(partition)});
  };
  auto stalled = [&] {
    return gauge_value(registry, "bourse_consumer_stalled_partitions", {"group"}, {group});
  };

  drive(
      *consumer, [&] { return stalled() == 1; }, 15s);
  CHECK(database.stored_offsets_sum(group) == 5);  // partition 0 drained, partition 1 stuck
  CHECK(lag(0) == 0);
  CHECK(lag(1) == 3);
  CHECK(counter_value(registry, "bourse_consumer_partition_stalls_total", {group}) == 1);

  handler.unavailable(100, 0);  // the outage is over
  drive(
      *consumer, [&] { return stalled() == 0 && lag(1) == 0; }, 15s);
  CHECK(database.applied_rows() == 8);
  CHECK(database.over_applied() == 0);
  CHECK(counter_value(registry, "bourse_consumer_partition_stalls_total", {group}) == 1);
  consumer->stop();
  CHECK(lag(0) == 0);  // not assigned any more
}

TEST_CASE(
    "two consumers of one group split the partitions and apply every event once, "
    "across a rebalance",
    "[consumer]") {
  Database database;
  constexpr int kPartitions = 4;
  const std::string topic = create_topic(kPartitions);
  const std::string group = unique_name("g-split");
  TestHandler handler;
  metrics::Registry registry_a;
  metrics::Registry registry_b;
  const ConsumerOptions options = test_options(group, topic);
  auto a = make_consumer(database, options, handler, registry_a);
  auto b = make_consumer(database, options, handler, registry_b);
  a->start();
  b->start();
  std::this_thread::sleep_for(2s);  // both join: the group settles on a split

  TestProducer producer;
  int produced = 0;
  for (int i = 0; i < 25; ++i) {
    for (int p = 0; p < kPartitions; ++p) producer.event(topic, p, produced++);
  }
  wait_for([&] { return database.applied_rows() >= 40; });
  a->stop();  // rebalance: b takes every partition from the offsets stored by a
  for (int i = 0; i < 10; ++i) {
    for (int p = 0; p < kPartitions; ++p) producer.event(topic, p, produced++);
  }
  wait_for([&] { return database.stored_offsets_sum(group) == produced; });
  b->stop();

  CHECK(database.applied_rows() == produced);
  CHECK(database.over_applied() == 0);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 0);
  const auto applied_a =
      counter_value(registry_a, "bourse_consumer_events_applied_total", {group, topic});
  const auto applied_b =
      counter_value(registry_b, "bourse_consumer_events_applied_total", {group, topic});
  CHECK(applied_a > 0);
  CHECK(applied_b > 0);
  CHECK(applied_a + applied_b == static_cast<std::uint64_t>(produced));
}

TEST_CASE(
    "members joining and leaving in a loop under CPU load: every event applied exactly once, "
    "and the group drains",
    "[consumer][rebalance]") {
  Database database;
  constexpr int kPartitions = 6;
  constexpr int kStableMembers = 2;
  constexpr int kMaxChurners = 3;  // with the stable ones: <= 5 pooled sessions in use
  constexpr int kSteps = 24;       // one join or leave per step
  constexpr int kEventsPerStep = 24;
  constexpr auto kEventSpacing = 10ms;  // production overlaps each rebalance
  constexpr auto kDrainLimit = 20s;     // after the last event and the last leave
  const std::string topic = create_topic(kPartitions);
  const std::string group = unique_name("g-churn");
  TestHandler handler;
  const ConsumerOptions options = test_options(group, topic);

  struct Member {
    std::unique_ptr<metrics::Registry> registry = std::make_unique<metrics::Registry>();
    std::unique_ptr<ExactlyOnceConsumer> consumer;
  };
  std::deque<Member> stopped;  // keeps every registry for the final count
  auto join = [&] {
    Member member;
    member.consumer = make_consumer(database, options, handler, *member.registry);
    member.consumer->start();
    return member;
  };
  std::vector<Member> stable;
  for (int i = 0; i < kStableMembers; ++i) stable.push_back(join());
  std::vector<Member> churners;

  TestProducer producer;
  std::vector<int> per_partition(kPartitions, 0);
  int produced = 0;
  std::mt19937 random(20261130);
  {
    CpuBurner burner(2);
    for (int step = 0; step < kSteps; ++step) {
      const bool leave = churners.size() == kMaxChurners ||
                         (!churners.empty() && std::uniform_int_distribution<int>(0, 1)(random));
      if (leave) {
        const auto victim = churners.begin() + std::uniform_int_distribution<std::size_t>(
                                                   0, churners.size() - 1)(random);
        victim->consumer->stop();  // leaves the group: the others rebalance
        stopped.push_back(std::move(*victim));
        churners.erase(victim);
      } else {
        churners.push_back(join());  // joins from its own thread: a rebalance
      }
      for (int i = 0; i < kEventsPerStep; ++i) {
        const int partition = produced % kPartitions;
        producer.event(topic, partition, produced);
        ++per_partition[partition];
        ++produced;
        std::this_thread::sleep_for(kEventSpacing);
      }
    }
    for (auto& member : churners) {
      member.consumer->stop();
      stopped.push_back(std::move(member));
    }
    churners.clear();

    // Still under load: the stable members must take over and drain everything.
    const auto drain_start = std::chrono::steady_clock::now();
    wait_for([&] { return database.stored_offsets_sum(group) == produced; }, kDrainLimit);
    INFO("drained in " << std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - drain_start)
                              .count()
                       << " ms");
    // The stable members' gauges agree: no lag left, nothing stalled.
    wait_for(
        [&] {
          double lag = 0;
          double stalled = 0;
          for (auto& member : stable) {
            for (int p = 0; p < kPartitions; ++p) {
              lag +=
                  gauge_value(*member.registry, "bourse_consumer_lag_messages",
                              {"group", "topic", "partition"}, {group, topic, std::to_string(p)});
            }
            stalled += gauge_value(*member.registry, "bourse_consumer_stalled_partitions",
                                   {"group"}, {group});
          }
          return lag == 0 && stalled == 0;
        },
        5s);
  }
  for (auto& member : stable) {
    member.consumer->stop();
    stopped.push_back(std::move(member));
  }

  CHECK(database.applied_rows() == produced);  // nothing skipped ...
  CHECK(database.over_applied() == 0);         // ... nothing applied twice
  CHECK(database.scalar("SELECT COUNT(*) FROM processed_events") == produced);
  CHECK(database.scalar("SELECT COUNT(*) FROM dead_letters") == 0);
  for (int p = 0; p < kPartitions; ++p) {
    INFO("partition " << p);
    CHECK(database.scalar("SELECT next_offset FROM consumer_offsets WHERE consumer_group = '" +
                          group + "' AND partition_id = " + std::to_string(p)) == per_partition[p]);
    // Every offset of the partition is in the effects table exactly once.
    CHECK(database.scalar("SELECT COUNT(DISTINCT message_offset) FROM applied"
                          " WHERE partition_id = " +
                          std::to_string(p)) == per_partition[p]);
  }
  std::uint64_t applied = 0;
  for (auto& member : stopped) {
    applied +=
        counter_value(*member.registry, "bourse_consumer_events_applied_total", {group, topic});
  }
  CHECK(applied == static_cast<std::uint64_t>(produced));
}

}  // namespace
}  // namespace bourse::consumer
