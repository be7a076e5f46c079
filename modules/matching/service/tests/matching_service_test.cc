// Goal: against the real MariaDB and Kafka, the matching service turns order-events into
// matching_outbox rows exactly once and deterministically: a stop and restart (restore +
// replay), a mid-run snapshot, duplicate publications and a fenced-off owner all give the
// outputs and books of one uninterrupted run, with no duplicate and no gap.
#include "bourse/matching/service/matching_service.h"

#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "bourse/envelope/envelope.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/producer.h"
#include "bourse/market_data/market_view_store.h"
#include "bourse/matching/events.h"
#include "bourse/order/events.h"
#include "project_migrations.h"
#include "stack_env.h"
#include "test_database.h"
#include "unique_name.h"

namespace bourse::matching::service {
namespace {

using namespace std::chrono_literals;

std::string unique_name(const std::string& prefix) {
  return "bourse-test-" + prefix + "-" + bourse::testing::unique_suffix();
}

kafka::KafkaConfig kafka_config(const std::string& client) {
  kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = client;
  config.log_sink = [sink = kafka::stderr_json_sink()](const kafka::LogRecord& record) {
    if (record.level == kafka::LogLevel::kError) sink(record);
  };
  return config;
}

std::string create_topic(int partitions, std::optional<std::int64_t> retention_ms = {}) {
  const std::string topic = unique_name("order-events");
  auto admin = kafka::Admin::create(kafka_config("matching-test-admin"));
  REQUIRE(admin.ok());
  const Status status = admin.value()->create_topics({{topic, partitions, retention_ms, -1}}, 15s);
  INFO((status.ok() ? "" : status.error().message));
  REQUIRE(status.ok());
  return topic;
}

std::vector<Instrument> instruments() {
  std::vector<Instrument> out;
  for (const char* symbol : {"AAPL", "MSFT"}) {
    Instrument instrument;
    instrument.symbol = symbol;
    instrument.tick_size = Amount::parse("0.01").value();
    instrument.reference_price = Amount::parse("100").value();
    instrument.max_order_quantity = 1'000'000;
    out.push_back(instrument);
  }
  return out;
}

order::OrderCreated limit(std::int64_t id, const std::string& user, const std::string& symbol,
                          Side side, const std::string& price, std::int64_t quantity,
                          TimeInForce tif = TimeInForce::kGtc) {
  order::OrderCreated created;
  created.order_id = OrderId(id);
  created.user_id = user;
  created.symbol = symbol;
  created.side = side;
  created.type = OrderType::kLimit;
  created.time_in_force = tif;
  created.quantity = Quantity::of(quantity);
  created.price = Amount::parse(price).value();
  if (side == Side::kBuy) {
    created.reserved_cash = Amount::from_units(created.price->units() * quantity);
  } else {
    created.reserved_quantity = Quantity::of(quantity);
  }
  return created;
}

template <typename Event>
std::string envelope_of(const Event& event, const std::string& event_id) {
  return envelope::serialize(envelope::Envelope{
      event_id, std::string(Event::kType), Event::kVersion, "2026-12-01T00:00:00.000000Z",
      std::string(Event::kAggregateType), event.aggregate_id(), event.to_json()});
}

// A producer that writes to partition 0 (the tests' topics have one partition unless said).
class InputProducer {
 public:
  InputProducer() {
    auto created = kafka::Producer::create(kafka_config("matching-test-producer"));
    REQUIRE(created.ok());
    producer_ = std::move(created).value();
  }
  void raw(const std::string& topic, std::string value, int partition = 0) {
    auto delivered = producer_->produce_sync({topic, "k", std::move(value), {}, partition});
    INFO((delivered.ok() ? "" : delivered.error().message));
    REQUIRE(delivered.ok());
  }
  template <typename Event>
  void event(const std::string& topic, const Event& event, int partition = 0) {
    raw(topic, envelope_of(event, "in-" + event.aggregate_id() + "-" + std::to_string(next_++)),
        partition);
  }
  // Many values, asynchronously, then waits for every delivery.
  void bulk(const std::string& topic, const std::vector<std::string>& values) {
    std::atomic<int> failed{0};
    for (const std::string& value : values) {
      Status queued = Status::success();
      do {
        queued = producer_->produce(kafka::OutgoingMessage{topic, "k", value, {}, 0},
                                    [&failed](Result<kafka::DeliveryReport> report) {
                                      if (!report) ++failed;
                                    });
      } while (!queued && queued.error().code == ErrorCode::kUnavailable);
      REQUIRE(queued.ok());
    }
    REQUIRE(producer_->flush(60s).ok());
    REQUIRE(failed.load() == 0);
  }

 private:
  std::unique_ptr<kafka::Producer> producer_;
  int next_ = 0;
};

struct Database {
  bourse::testing::TestDatabase scratch;
  db::ConnectionPool pool{scratch.config()};
  Database() { bourse::testing::apply_project_migrations(pool); }

  long long scalar(const std::string& sql) {
    long long value = 0;
    soci::indicator indicator = soci::i_null;
    REQUIRE(pool.with_session(
                    [&](soci::session& session) { session << sql, soci::into(value, indicator); })
                .ok());
    return indicator == soci::i_ok ? value : -1;
  }
  void exec(const std::string& sql) {
    REQUIRE(pool.with_session([&](soci::session& session) { session << sql; }).ok());
  }
  long long committed(const std::string& topic, int partition = 0) {
    return scalar("SELECT next_offset FROM matching_offsets WHERE topic = '" + topic +
                  "' AND partition_id = " + std::to_string(partition));
  }
  // event_id -> "type data" (without the time stamps: occurred_at and executed_at).
  std::map<std::string, std::string> outputs() {
    std::map<std::string, std::string> out;
    REQUIRE(pool.with_session([&](soci::session& session) {
                  soci::rowset<soci::row> rows =
                      (session.prepare
                       << "SELECT event_id, event_type, payload FROM matching_outbox");
                  for (const soci::row& row : rows) {
                    auto envelope = envelope::parse(row.get<std::string>(2));
                    REQUIRE(envelope.ok());
                    boost::json::object data = envelope->data;
                    data.erase("executed_at");
                    REQUIRE(envelope->event_id == row.get<std::string>(0));
                    out[row.get<std::string>(0)] =
                        row.get<std::string>(1) + " " + boost::json::serialize(data);
                  }
                })
                .ok());
    return out;
  }
};

struct Service {
  metrics::Registry registry;
  std::unique_ptr<MatchingService> service;

  Service(Database& db, const std::string& topic, const std::string& group,
          MatchingServiceOptions options = {},
          const std::map<std::string, std::string>& kafka_properties = {}) {
    options.group_id = group;
    options.input_topic = topic;
    options.output_topic = "test.matching-events";
    // 20 ms unless the test chose its own batch_wait (its default is the library's).
    if (options.batch_wait == MatchingServiceOptions{}.batch_wait) options.batch_wait = 20ms;
    options.session_timeout = 6s;
    options.heartbeat_interval = 1s;
    options.max_poll_interval = 30s;
    options.commit_retry_budget = 5s;
    kafka::KafkaConfig config = kafka_config("matching-test-" + group);
    for (const auto& [key, value] : kafka_properties) config.properties[key] = value;
    auto created = MatchingService::create(db.pool, std::move(config), registry,
                                           SystemClock::instance(), instruments(), options);
    INFO((created.ok() ? "" : created.error().message));
    REQUIRE(created.ok());
    service = std::move(created).value();
  }

  // Polls until the partition's committed offset reaches `target` (and it is live).
  void drive_to(Database& db, const std::string& topic, long long target, int partition = 0,
                std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      (void)service->poll_once(100ms);
      if (db.committed(topic, partition) >= target && service->live(partition)) return;
    }
    FAIL("partition " << partition << " did not reach offset " << target << " (committed "
                      << db.committed(topic, partition) << ")");
  }

  // The /metrics lines of `name` (a histogram's buckets, sum and count).
  std::string metric_lines(const std::string& name) {
    std::istringstream text(registry.render_prometheus());
    std::string lines;
    for (std::string line; std::getline(text, line);) {
      if (line.rfind(name, 0) == 0) lines += line + "\n";
    }
    return lines;
  }

  double counter(const std::string& name) {
    const std::string text = registry.render_prometheus();
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return 0;
    return std::stod(text.substr(at + name.size() + 2));
  }
};

// A deterministic workload of order inputs: limit orders around 100 on two symbols,
// cancels of earlier ids, one message that is not an envelope and one republished order.
std::vector<std::string> workload(int count, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::string> values;
  std::vector<order::OrderCreated> placed;
  for (int i = 0; i < count; ++i) {
    if (i == count / 3) {
      values.push_back("this is not an envelope");
      continue;
    }
    if (i == count / 2 && !placed.empty()) {  // the relay published a row twice
      values.push_back(envelope_of(placed[placed.size() / 2], "dup-" + std::to_string(i)));
      continue;
    }
    if (random() % 5 == 0 && !placed.empty()) {
      const auto& target = placed[random() % placed.size()];
      values.push_back(
          envelope_of(order::CancelRequested{target.order_id, target.user_id, target.symbol},
                      "c-" + std::to_string(i)));
      continue;
    }
    const std::int64_t id = 1000 + i;
    const std::string user = "u" + std::to_string(random() % 4);
    const std::string symbol = random() % 2 ? "AAPL" : "MSFT";
    const Side side = random() % 2 ? Side::kBuy : Side::kSell;
    const std::string price = std::to_string(98 + random() % 5) + "." + (random() % 2 ? "5" : "0");
    const TimeInForce tif = random() % 8 == 0 ? TimeInForce::kIoc : TimeInForce::kGtc;
    placed.push_back(limit(id, user, symbol, side, price, 1 + random() % 9, tif));
    values.push_back(envelope_of(placed.back(), "o-" + std::to_string(i)));
  }
  return values;
}

TEST_CASE("a cross gives OrderAccepted and TradeExecuted rows with deterministic ids",
          "[matching_service]") {
  Database db;
  const std::string topic = create_topic(1);
  InputProducer producer;
  producer.event(topic, limit(1, "alice", "AAPL", Side::kSell, "100", 10));
  producer.event(topic, limit(2, "bob", "AAPL", Side::kBuy, "100", 4));
  Service service(db, topic, unique_name("matching"));
  service.drive_to(db, topic, 2);

  const auto outputs = db.outputs();
  REQUIRE(outputs.size() == 2);
  REQUIRE(outputs.count(events::output_event_id(0, 0, 0)) == 1);
  REQUIRE(outputs.count(events::output_event_id(0, 1, 0)) == 1);
  CHECK(outputs.at(events::output_event_id(0, 0, 0)).rfind("OrderAccepted ", 0) == 0);
  CHECK(outputs.at(events::output_event_id(0, 1, 0)).rfind("TradeExecuted ", 0) == 0);
  CHECK(db.scalar("SELECT COUNT(*) FROM matching_outbox WHERE topic = 'test.matching-events' AND"
                  " message_key = 'AAPL'") == 2);

  // The market view of AAPL: alice's remaining 6 on the ask side, the last trade 4 @ 100.
  auto view = market_data::load_market_view(db.pool, "AAPL");
  REQUIRE(view.ok());
  REQUIRE(view->has_value());
  CHECK((*view)->bids.empty());
  REQUIRE((*view)->asks.size() == 1);
  CHECK((*view)->asks[0].price == Amount::parse("100").value());
  CHECK((*view)->asks[0].quantity == Quantity::of(6));
  CHECK((*view)->asks[0].orders == 1);
  CHECK((*view)->last_trade_price == Amount::parse("100").value());
  CHECK((*view)->last_trade_quantity == Quantity::of(4));
  CHECK(service.counter("bourse_matching_inputs_applied_total") == 2);
  CHECK(service.counter("bourse_matching_outputs_committed_total") == 2);
}

TEST_CASE("a restart mid-stream restores, replays and emits what an uninterrupted run emits",
          "[matching_service]") {
  const std::string topic = create_topic(1);
  const auto values = workload(400, 7);
  InputProducer producer;
  producer.bulk(topic, values);
  const long long end = static_cast<long long>(values.size());

  MatchingServiceOptions options;
  options.max_batch = 40;
  options.snapshot_every_inputs = kMinSnapshotEveryInputs;  // snapshots mid-run

  Database uninterrupted_db;
  Service uninterrupted(uninterrupted_db, topic, unique_name("matching"), options);
  uninterrupted.drive_to(uninterrupted_db, topic, end);
  const auto expected = uninterrupted_db.outputs();
  const auto expected_books = uninterrupted.service->encoded_shard(0);
  REQUIRE(expected_books.has_value());
  REQUIRE(expected.size() > 300);
  CHECK(uninterrupted_db.scalar("SELECT COUNT(*) FROM dead_letters") == 1);

  Database db;
  const std::string group = unique_name("matching");
  {
    Service first(db, topic, group, options);
    first.drive_to(db, topic, 150);
    REQUIRE(db.committed(topic) < end);  // stopped mid-stream
    REQUIRE(db.scalar("SELECT COUNT(*) FROM matching_snapshots") >= 1);
  }  // closed: leaves the group; nothing in flight
  const long long snapshot_offset = db.scalar("SELECT MAX(next_offset) FROM matching_snapshots");
  const long long committed_at_stop = db.committed(topic);
  INFO("snapshot at " << snapshot_offset << ", committed " << committed_at_stop);
  Service second(db, topic, group, options);
  second.drive_to(db, topic, end);
  if (snapshot_offset < committed_at_stop) {
    CHECK(second.counter("bourse_matching_events_replayed_total") > 0);
  }
  CHECK(db.outputs() == expected);                            // no duplicate, no gap, same data
  CHECK(second.service->encoded_shard(0) == expected_books);  // the same books
  CHECK(db.scalar("SELECT COUNT(*) FROM dead_letters") == 1);

  // The market views agree too.
  for (const char* symbol : {"AAPL", "MSFT"}) {
    auto a = market_data::load_market_view(uninterrupted_db.pool, symbol);
    auto b = market_data::load_market_view(db.pool, symbol);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(*a == *b);
  }
}

TEST_CASE("a snapshot plus replay gives the same books as never stopping", "[matching_service]") {
  const std::string topic = create_topic(1);
  const auto values = workload(300, 11);
  InputProducer producer;
  producer.bulk(topic, values);
  const long long end = static_cast<long long>(values.size());
  MatchingServiceOptions options;
  options.max_batch = 25;
  options.snapshot_every_inputs = kMinSnapshotEveryInputs;

  Database db;
  const std::string group = unique_name("matching");
  std::optional<std::string> books;
  {
    Service service(db, topic, group, options);
    service.drive_to(db, topic, end);
    books = service.service->encoded_shard(0);
    CHECK(service.counter("bourse_matching_snapshots_taken_total") >= 2);
  }
  // The newest snapshot covers less than everything: the restart replays the rest.
  const long long snapshot_offset = db.scalar("SELECT MAX(next_offset) FROM matching_snapshots");
  REQUIRE(snapshot_offset > 0);
  REQUIRE(snapshot_offset <= end);
  CHECK(db.scalar("SELECT COUNT(*) FROM matching_snapshots") <= 3);  // snapshots_kept
  const auto outputs_before = db.outputs();
  Service restarted(db, topic, group, options);
  restarted.drive_to(db, topic, end);
  CHECK(restarted.service->encoded_shard(0) == books);
  CHECK(db.outputs() == outputs_before);  // a replay emits nothing
  CHECK(restarted.counter("bourse_matching_events_replayed_total") ==
        static_cast<double>(end - snapshot_offset - (snapshot_offset <= end / 3 ? 1 : 0)));
}

TEST_CASE("an idle partition's snapshot catches up with its committed offset",
          "[matching_service]") {
  const std::string topic = create_topic(1);
  InputProducer producer;
  for (int i = 0; i < 3; ++i) {
    producer.event(topic, limit(200 + i, "gina", "MSFT", Side::kSell, "105", 2));
  }
  Database db;
  MatchingServiceOptions options;
  options.snapshot_interval = 1s;
  options.snapshot_every_inputs = kMaxSnapshotEveryInputs;  // only the interval triggers
  Service service(db, topic, unique_name("matching"), options);
  service.drive_to(db, topic, 3);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         db.scalar("SELECT COUNT(*) FROM matching_snapshots") < 1) {
    (void)service.service->poll_once(100ms);  // nothing to consume: the partition is idle
  }
  CHECK(db.scalar("SELECT MAX(next_offset) FROM matching_snapshots") == 3);
  CHECK(db.committed(topic) == 3);
}

TEST_CASE("an order published twice rests once, live and after a restart", "[matching_service]") {
  const std::string topic = create_topic(1);
  InputProducer producer;
  const auto order = limit(42, "carol", "MSFT", Side::kBuy, "99.5", 5);
  producer.raw(topic, envelope_of(order, "relay-copy-1"));
  producer.raw(topic, envelope_of(order, "relay-copy-2"));  // the relay published it twice
  Database db;
  const std::string group = unique_name("matching");
  {
    Service service(db, topic, group);
    service.drive_to(db, topic, 2);
  }
  producer.raw(topic, envelope_of(order, "relay-copy-3"));  // once more, after a restart
  Service restarted(db, topic, group);
  restarted.drive_to(db, topic, 3);

  const auto outputs = db.outputs();
  REQUIRE(outputs.size() == 1);
  CHECK(outputs.count(events::output_event_id(0, 0, 0)) == 1);
  auto view = market_data::load_market_view(db.pool, "MSFT");
  REQUIRE(view.ok());
  REQUIRE(view->has_value());
  REQUIRE((*view)->bids.size() == 1);
  CHECK((*view)->bids[0].orders == 1);
  CHECK((*view)->bids[0].quantity == Quantity::of(5));
}

TEST_CASE("a batch fenced off by another owner writes nothing and the shard restores",
          "[matching_service]") {
  const std::string topic = create_topic(1);
  InputProducer producer;
  for (int i = 0; i < 5; ++i) {
    producer.event(topic, limit(100 + i, "dave", "AAPL", Side::kBuy, "90", 1));
  }
  Database db;
  Service service(db, topic, unique_name("matching"));
  service.drive_to(db, topic, 5);
  // Another owner took the partition and committed input 5 (its outputs are its own).
  db.exec("UPDATE matching_offsets SET next_offset = 6 WHERE topic = '" + topic + "'");
  for (int i = 5; i < 8; ++i) {
    producer.event(topic, limit(100 + i, "dave", "AAPL", Side::kBuy, "90", 1));
  }
  service.drive_to(db, topic, 8);
  CHECK(service.counter("bourse_matching_fencing_refusals_total") >= 1);
  const auto outputs = db.outputs();
  CHECK(outputs.count(events::output_event_id(0, 5, 0)) == 0);  // written by nobody here
  CHECK(outputs.count(events::output_event_id(0, 6, 0)) == 1);
  CHECK(outputs.count(events::output_event_id(0, 7, 0)) == 1);
  CHECK(outputs.size() == 7);
  // The restored shard replayed input 5 silently: it rests on the book.
  auto view = market_data::load_market_view(db.pool, "AAPL");
  REQUIRE(view.ok());
  REQUIRE(view->has_value());
  CHECK((*view)->bids.at(0).orders == 8);
}

TEST_CASE("one transaction commits several partitions' inputs; a fenced one restores alone",
          "[matching_service]") {
  constexpr int kPartitions = 3;
  const std::string topic = create_topic(kPartitions);
  InputProducer producer;
  const auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      for (int p = 0; p < kPartitions; ++p) {
        producer.event(topic, limit(100 + p * 100 + i, "dave", "AAPL", Side::kBuy, "90", 1), p);
      }
    }
  };
  produce(0, 4);
  Database db;
  MatchingServiceOptions options;
  options.batch_wait = 1s;  // every input is in Kafka already: one batch takes them all
  Service service(db, topic, unique_name("matching"), options);
  for (int p = 0; p < kPartitions; ++p) service.drive_to(db, topic, 4, p);
  // One partition per transaction would take at least three.
  CHECK(service.counter("bourse_matching_batches_committed_total") < kPartitions);
  CHECK(service.counter("bourse_matching_inputs_applied_total") == 4 * kPartitions);

  // Another owner took partition 1 and committed its input 4 (its outputs are its own).
  db.exec("UPDATE matching_offsets SET next_offset = 5 WHERE topic = '" + topic +
          "' AND partition_id = 1");
  produce(4, 7);
  for (int p = 0; p < kPartitions; ++p) service.drive_to(db, topic, 7, p);
  CHECK(service.counter("bourse_matching_fencing_refusals_total") >= 1);
  const auto outputs = db.outputs();
  for (int p = 0; p < kPartitions; ++p) {
    for (int offset = 0; offset < 7; ++offset) {
      INFO("partition " << p << ", offset " << offset);
      // Partition 1's input 4 was the other owner's: written by nobody here.
      const std::size_t expected = (p == 1 && offset == 4) ? 0 : 1;
      CHECK(outputs.count(events::output_event_id(p, offset, 0)) == expected);
    }
  }
  CHECK(outputs.size() == 7 * kPartitions - 1);
}

TEST_CASE("an adaptive gathering ends a batch after a few commit durations, not batch_wait",
          "[matching_service]") {
  const std::string topic = create_topic(1);
  InputProducer producer;
  producer.event(topic, limit(1, "erin", "AAPL", Side::kBuy, "90", 1));
  // The time of the poll_once call that applies the next input (its batch's gathering).
  const auto time_next_batch = [](Service& service) {
    for (int attempt = 0; attempt < 600; ++attempt) {
      const auto started = std::chrono::steady_clock::now();
      auto applied = service.service->poll_once(100ms);
      if (applied && *applied > 0) return std::chrono::steady_clock::now() - started;
    }
    FAIL("no input applied");
    return std::chrono::steady_clock::duration{};
  };
  for (const int per_commit : {0, 1}) {
    INFO("batch_wait_per_commit " << per_commit);
    Database db;
    MatchingServiceOptions options;
    options.batch_wait = 1s;
    options.batch_wait_per_commit = per_commit;
    Service service(db, topic, unique_name("matching"), options);
    (void)time_next_batch(service);  // the first input: a commit to measure
    producer.event(topic, limit(2, "erin", "AAPL", Side::kBuy, "91", 1));
    const auto gathered = time_next_batch(service);
    if (per_commit == 0) {
      CHECK(gathered >= 900ms);  // control: a fixed gathering waits out batch_wait
    } else {
      // One commit on a test database takes milliseconds; the 1 s batch_wait is only
      // the ceiling.
      CHECK(gathered < 500ms);
    }
    CHECK(service.counter("bourse_matching_batch_commit_seconds_count") >= 2);
  }
}

TEST_CASE("two members splitting partitions across rebalances emit what one member emits",
          "[matching_service][rebalance]") {
  constexpr int kPartitions = 4;
  const std::string topic = create_topic(kPartitions);
  InputProducer producer;
  std::vector<std::vector<std::string>> workloads;
  for (int partition = 0; partition < kPartitions; ++partition) {
    workloads.push_back(workload(120, 100 + partition));
  }
  const long long per_partition = static_cast<long long>(workloads.front().size());
  // Thirds of every partition's workload, produced between the membership changes.
  const auto produce_third = [&](int third) {
    for (int partition = 0; partition < kPartitions; ++partition) {
      const auto& values = workloads[partition];
      const std::size_t begin = values.size() * third / 3;
      const std::size_t end = values.size() * (third + 1) / 3;
      for (std::size_t i = begin; i < end; ++i) producer.raw(topic, values[i], partition);
    }
  };
  MatchingServiceOptions options;
  options.max_batch = 10;
  options.snapshot_every_inputs = kMinSnapshotEveryInputs;
  const auto all_committed = [&](Database& db) {
    for (int partition = 0; partition < kPartitions; ++partition) {
      if (db.committed(topic, partition) < per_partition) return false;
    }
    return true;
  };
  const auto wait_for = [](const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && !done()) {
      std::this_thread::sleep_for(50ms);
    }
    return done();
  };

  Database db;
  const std::string group = unique_name("matching");
  produce_third(0);
  Service first(db, topic, group, options);
  REQUIRE(first.service->start().ok());
  REQUIRE(
      wait_for([&] { return first.counter("bourse_matching_batches_committed_total") >= 4; }, 60s));
  Service second(db, topic, group, options);  // joins: the partitions are split
  REQUIRE(second.service->start().ok());
  REQUIRE(
      wait_for([&] { return second.counter("bourse_matching_restore_seconds_count") >= 1; }, 60s));
  produce_third(1);  // work for both members
  REQUIRE(wait_for([&] { return second.counter("bourse_matching_batches_committed_total") >= 1; },
                   60s));
  first.service->stop();  // leaves: the second member restores every partition
  REQUIRE(wait_for(
      [&] { return second.counter("bourse_matching_restore_seconds_count") >= 1 + kPartitions; },
      60s));
  produce_third(2);  // work for the member that took over
  REQUIRE(wait_for([&] { return all_committed(db); }, 90s));
  second.service->stop();
  CHECK(first.counter("bourse_matching_batches_committed_total") >= 4);
  CHECK(second.counter("bourse_matching_events_replayed_total") > 0);

  Database alone_db;  // one member over the same topic, never interrupted
  {
    Service alone(alone_db, topic, unique_name("matching"), options);
    REQUIRE(alone.service->start().ok());
    REQUIRE(wait_for([&] { return all_committed(alone_db); }, 90s));
  }
  const auto expected = alone_db.outputs();
  REQUIRE(expected.size() > 300);
  CHECK(db.outputs() == expected);
}

TEST_CASE("partitions that arrive interleaved still get full batches, with the same outputs",
          "[matching_service]") {
  // One record per partition per fetch (max.partition.fetch.bytes=1), so librdkafka hands
  // the inputs out as p0 p1 p2 p3 p0 p1 ...: a service that ended a batch at the first
  // input of another partition would commit one input per transaction here.
  constexpr int kPartitions = 4;
  const std::string topic = create_topic(kPartitions);
  InputProducer producer;
  std::vector<std::vector<std::string>> workloads;
  for (int partition = 0; partition < kPartitions; ++partition) {
    workloads.push_back(workload(120, 300 + partition));
  }
  const std::size_t per_partition = workloads.front().size();
  for (std::size_t i = 0; i < per_partition; ++i) {
    for (int partition = 0; partition < kPartitions; ++partition) {
      producer.raw(topic, workloads[partition][i], partition);
    }
  }
  const auto drive_all = [&](Service& service, Database& db) {
    for (int partition = 0; partition < kPartitions; ++partition) {
      service.drive_to(db, topic, static_cast<long long>(per_partition), partition);
    }
  };
  MatchingServiceOptions options;
  options.max_batch = 30;
  // Long enough for a batch to fill at one record per partition per fetch round on a
  // slow machine: batch_wait counts from when a batch's first message was polled, so a
  // held partition's batch does not get a wait of its own (200 ms left batches of ~20
  // once in CI).
  options.batch_wait = 1s;
  Database db;
  Service interleaved(db, topic, unique_name("matching"), options,
                      {{"fetch.wait.max.ms", "10"}, {"max.partition.fetch.bytes", "1"}});
  drive_all(interleaved, db);
  const double batches = interleaved.counter("bourse_matching_batches_committed_total");
  INFO("batches: " << batches << "\n" << interleaved.metric_lines("bourse_matching_batch_inputs"));
  CHECK(interleaved.counter("bourse_matching_batch_inputs_count") == batches);
  // 480 inputs in batches of up to 30: 16 if every batch were full, 480 at one per batch
  // (the bug this guards against). Measured: 16-20 (full batches, one short batch per
  // junk input). Until 1 Dec the Service helper replaced this test's batch_wait with its
  // own 20 ms, so batches closed after ~19 ms at ~15 inputs and a loaded CI run counted
  // 100; the bound allows batches a third full on a slow machine.
  CHECK(batches <= 48);
  CHECK(interleaved.counter("bourse_matching_inputs_applied_total") ==
        static_cast<double>(kPartitions * per_partition - kPartitions));  // one junk input each

  Database plain_db;  // the same inputs fetched normally
  Service plain(plain_db, topic, unique_name("matching"));
  drive_all(plain, plain_db);
  const auto expected = plain_db.outputs();
  REQUIRE(expected.size() > 300);
  CHECK(db.outputs() == expected);
}

TEST_CASE("a failing commit is retried with the outputs already computed, inputs not re-applied",
          "[matching_service]") {
  const std::string topic = create_topic(1);
  InputProducer producer;
  producer.event(topic, limit(7, "frank", "AAPL", Side::kSell, "101", 3));
  Database db;
  // A row squatting the first output's event id makes every commit attempt fail (its
  // outbox id is far above the sequence's: written around it, as by hand).
  const std::string id = events::output_event_id(0, 0, 0);
  db.exec(
      "INSERT INTO matching_outbox (id, event_id, event_type, topic, message_key, payload)"
      " VALUES (1000000, '" +
      id + "', 'Squatter', 't', 'k', '{}')");
  Service service(db, topic, unique_name("matching"));
  REQUIRE(service.service->start().ok());
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         service.counter("bourse_matching_commit_retries_total") < 2) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(service.counter("bourse_matching_commit_retries_total") >= 2);
  CHECK(db.committed(topic) == -1);  // nothing visible before the commit
  db.exec("DELETE FROM matching_outbox WHERE event_id = '" + id + "'");
  while (std::chrono::steady_clock::now() < deadline && db.committed(topic) < 1) {
    std::this_thread::sleep_for(20ms);
  }
  service.service->stop();
  REQUIRE(db.committed(topic) == 1);
  // Re-applying the input would have made it a duplicate of itself: no output at all.
  const auto outputs = db.outputs();
  REQUIRE(outputs.size() == 1);
  CHECK(outputs.at(id).rfind("OrderAccepted ", 0) == 0);
  CHECK(service.counter("bourse_matching_events_replayed_total") == 0);
  CHECK(service.counter("bourse_matching_inputs_applied_total") == 1);
}

TEST_CASE("a partition whose log lacks inputs its restore needs is refused, not restarted",
          "[matching_service]") {
  const std::string topic = create_topic(1);
  InputProducer producer;
  producer.event(topic, limit(1, "erin", "AAPL", Side::kBuy, "95", 1));
  Database db;
  // The committed offset is past the log end: the log lost what the restore must replay.
  db.exec("INSERT INTO matching_offsets (topic, partition_id, next_offset) VALUES ('" + topic +
          "', 0, 50)");
  Service service(db, topic, unique_name("matching"));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         service.counter("bourse_matching_partitions_refused") < 1) {
    (void)service.service->poll_once(100ms);
  }
  CHECK(service.counter("bourse_matching_partitions_refused") == 1);
  for (int i = 0; i < 10; ++i) (void)service.service->poll_once(100ms);
  CHECK_FALSE(service.service->live(0));
  CHECK(db.committed(topic) == 50);
  CHECK(db.scalar("SELECT COUNT(*) FROM matching_outbox") == 0);
}

TEST_CASE("the input topic must outlive many snapshot intervals", "[matching_service]") {
  Database db;
  MatchingServiceOptions options;
  options.snapshot_interval = 60s;
  const std::string short_topic = create_topic(1, 60'000);  // one interval only
  Service refused(db, short_topic, unique_name("matching"), options);
  const Status status = refused.service->check_input_retention(10s);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().reason == kRetentionTooShortReason);
  const std::string forever_topic = create_topic(1, -1);
  Service accepted(db, forever_topic, unique_name("matching"), options);
  CHECK(accepted.service->check_input_retention(10s).ok());
}

TEST_CASE("restore + replay of 100,000 inputs", "[matching_service][replay_timing]") {
  const std::string topic = create_topic(1);
  constexpr int kInputs = 100'000;
  std::vector<std::string> values;
  values.reserve(kInputs);
  for (int i = 0; i < kInputs; ++i) {
    // Resting orders on both sides that never cross, and a cancel every tenth input.
    const std::int64_t id = 1 + i;
    if (i % 10 == 9) {
      values.push_back(envelope_of(order::CancelRequested{OrderId(id - 5), "u1", "AAPL"},
                                   "c-" + std::to_string(i)));
      continue;
    }
    const bool buy = i % 2 == 0;
    const std::string price = buy ? std::to_string(90 + i % 9) : std::to_string(101 + i % 9);
    values.push_back(envelope_of(limit(id, "u" + std::to_string(i % 7), i % 3 ? "AAPL" : "MSFT",
                                       buy ? Side::kBuy : Side::kSell, price, 1 + i % 5),
                                 "o-" + std::to_string(i)));
  }
  InputProducer producer;
  producer.bulk(topic, values);
  Database db;
  // Committed as if an owner had processed everything, with no snapshot.
  db.exec("INSERT INTO matching_offsets (topic, partition_id, next_offset) VALUES ('" + topic +
          "', 0, " + std::to_string(kInputs) + ")");
  Service service(db, topic, unique_name("matching"));
  const auto started = std::chrono::steady_clock::now();
  service.drive_to(db, topic, kInputs, 0, 300s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WARN("restore + replay of " << kInputs << " inputs (group join included): " << seconds << " s, "
                              << static_cast<long long>(kInputs / seconds) << " inputs/s");
  CHECK(service.counter("bourse_matching_events_replayed_total") == kInputs);
  CHECK(db.scalar("SELECT COUNT(*) FROM matching_outbox") == 0);
}

}  // namespace
}  // namespace bourse::matching::service
