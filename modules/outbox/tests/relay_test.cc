// Goal: against the real MariaDB and Kafka, the relay publishes every committed outbox
// row in id order (dense ids in commit order, holes waited for) with its key, headers and
// payload, records as published only what the broker acknowledged, keeps exactly one active relay per table, republishes after a
// crash (at-least-once, same event_id), reports its metrics and deletes expired rows.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "outbox_store.h"
#include "relay_lease.h"
#include "relay_test_support.h"

namespace bourse::outbox::testing {
namespace {

// The "sequence" field of an event's envelope.
long long sequence_of(const kafka::Message& message) {
  return boost::json::parse(message.value).at("data").at("sequence").as_int64();
}

std::string event_id_of(const kafka::Message& message) {
  auto header = message.header(kafka::kHeaderEventId);
  REQUIRE(header.has_value());
  return std::string(*header);
}

// Per key, the first copy of each event arrives in sequence order.
void check_per_key_order(const std::vector<kafka::Message>& messages) {
  std::map<std::string, long long> last_by_key;
  std::set<std::string> seen;
  for (const auto& message : messages) {
    if (!seen.insert(event_id_of(message)).second) continue;  // a duplicate copy
    const long long sequence = sequence_of(message);
    auto [it, inserted] = last_by_key.try_emplace(message.key, sequence);
    if (!inserted) {
      INFO("key " << message.key);
      CHECK(sequence > it->second);
      it->second = sequence;
    }
  }
}

double gauge(metrics::Registry& registry, std::string_view name) {
  return registry.gauge(name, "", {"outbox"}).with({kTable}).value();
}
std::uint64_t counter(metrics::Registry& registry, std::string_view name) {
  return registry.counter(name, "", {"outbox"}).with({kTable}).value();
}

TEST_CASE("rows are published in id order with key, headers and payload, then recorded",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-basic", 1);
  std::vector<AppendedEvent> appended;
  for (int i = 0; i < 6; ++i) appended.push_back(fixture.append(topic, i % 2 ? "MSFT" : "AAPL", i));
  metrics::Registry registry;
  auto relay = make_relay(fixture.pool, broker_config("relay-basic"), registry,
                          SystemClock::instance(), relay_options("basic"));

  auto published = relay->run_once();
  INFO((published.ok() ? "" : published.error().message));
  REQUIRE(published.ok());
  CHECK(*published == 6);
  CHECK(relay->lease_held());
  CHECK(fixture.unpublished() == 0);
  CHECK(fixture.published() == 6);

  auto again = relay->run_once();
  REQUIRE(again.ok());
  CHECK(*again == 0);

  const auto messages = read_topic(topic, 6);
  REQUIRE(messages.size() == 6);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    CHECK(message.key == (i % 2 ? "MSFT" : "AAPL"));
    CHECK(event_id_of(message) == appended[i].event_id);
    CHECK(message.header(kafka::kHeaderEventType) ==
          std::optional<std::string_view>("RelayTestEvent"));
    CHECK(message.value == fixture.payload_of(appended[i].event_id));
    CHECK(sequence_of(message) == static_cast<long long>(i));
  }
}

TEST_CASE("a second writer of an outbox waits for the first's commit: ids follow commit order",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-commit-order", 3);
  metrics::Registry registry;
  auto relay = make_relay(fixture.pool, broker_config("relay-commit-order"), registry,
                          SystemClock::instance(), relay_options("commit-order"));

  auto first = fixture.pool.acquire();
  auto second = fixture.pool.acquire();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  soci::transaction transaction_a(first->session());
  auto row_a = append_event(first->session(), kTable, RelayFixture::event(topic, "AAPL", 1),
                            SystemClock::instance());
  REQUIRE(row_a.ok());
  // B appends while A holds the outbox's sequence row: B must wait for A's COMMIT.
  std::atomic<bool> b_appended{false};
  std::optional<Result<AppendedEvent>> row_b;
  std::thread writer_b([&] {
    soci::transaction transaction_b(second->session());
    row_b = append_event(second->session(), kTable, RelayFixture::event(topic, "AAPL", 2),
                         SystemClock::instance());
    b_appended = true;
    if (row_b->ok()) transaction_b.commit();
  });
  std::this_thread::sleep_for(500ms);
  CHECK_FALSE(b_appended.load());
  CHECK(fixture.total_rows() == 0);  // nothing visible yet
  transaction_a.commit();
  writer_b.join();
  REQUIRE(row_b.has_value());
  REQUIRE(row_b->ok());
  CHECK((*row_b)->outbox_id == row_a->outbox_id + 1);  // dense, in commit order

  auto published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 2);
  CHECK(fixture.unpublished() == 0);
  CHECK(fixture.published_up_to() == (*row_b)->outbox_id);
  const auto messages = read_topic(topic, 2);
  REQUIRE(messages.size() == 2);
  CHECK(event_id_of(messages[0]) == row_a->event_id);
  CHECK(event_id_of(messages[1]) == (*row_b)->event_id);
}

TEST_CASE("rows past a missing id wait for it; a hole that outlives kRelayGapSkipAfter is "
          "skipped and counted",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-gap", 1);
  metrics::Registry registry;
  FakeClock clock;
  auto relay = make_relay(fixture.pool, broker_config("relay-gap"), registry, clock,
                          relay_options("gap"));
  const AppendedEvent first = fixture.append(topic, "AAPL", 1);
  REQUIRE(first.outbox_id == 1);
  // Rows written around the sequence (as by hand): id 3 visible, id 2 missing.
  const auto insert_row = [&](long long id, const std::string& event_id) {
    fixture.execute(fmt::format("INSERT INTO {} (id, event_id, event_type, topic, message_key, "
                                "payload) VALUES ({}, '{}', 'RelayTestEvent', '{}', 'AAPL', '{{}}')",
                                kTable, id, event_id, topic));
  };
  insert_row(3, "gap-row-3");
  auto published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 1);  // id 1 only: 3 waits behind the hole
  CHECK(fixture.published_up_to() == 1);
  CHECK(counter(registry, kMetricHolesWaitedTotal) == 1);
  clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(kRelayGapSkipAfter) - 1s);
  published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 0);
  // The hole closes in time: both go, in id order.
  insert_row(2, "gap-row-2");
  published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 2);
  CHECK(fixture.published_up_to() == 3);
  CHECK(counter(registry, kMetricGapsSkippedTotal) == 0);

  // A hole that never closes: skipped once kRelayGapSkipAfter has passed.
  insert_row(5, "gap-row-5");
  published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 0);
  clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(kRelayGapSkipAfter));
  published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 1);
  CHECK(fixture.published_up_to() == 5);
  CHECK(counter(registry, kMetricGapsSkippedTotal) == 1);
  CHECK(fixture.unpublished() == 0);

  const auto messages = read_topic(topic, 4);
  REQUIRE(messages.size() == 4);
  CHECK(event_id_of(messages[0]) == first.event_id);
  CHECK(event_id_of(messages[1]) == "gap-row-2");
  CHECK(event_id_of(messages[2]) == "gap-row-3");
  CHECK(event_id_of(messages[3]) == "gap-row-5");
}

TEST_CASE("two relays on one table: exactly one publishes, the other takes over on stop",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-two", 3);
  metrics::Registry registry_one;
  metrics::Registry registry_two;
  RelayOptions options_one = relay_options("instance-1");
  RelayOptions options_two = relay_options("instance-2");
  options_one.batch_size = options_two.batch_size = 50;
  auto relay_one = make_relay(fixture.pool, broker_config("relay-one"), registry_one,
                              SystemClock::instance(), options_one);
  auto relay_two = make_relay(fixture.pool, broker_config("relay-two"), registry_two,
                              SystemClock::instance(), options_two);
  REQUIRE(relay_one->start().ok());
  REQUIRE(relay_two->start().ok());

  const std::vector<std::string> keys = {"AAPL", "MSFT", "GOOG", "AMZN", "TSLA"};
  long long sequence = 0;
  auto write = [&](int rows) {
    for (int i = 0; i < rows; ++i, ++sequence) {
      fixture.append(topic, keys[static_cast<std::size_t>(sequence) % keys.size()], sequence);
    }
  };
  write(500);
  REQUIRE(eventually([&] { return fixture.unpublished() == 0; }));
  CHECK(fixture.published() == 500);
  REQUIRE(eventually([&] { return relay_one->lease_held() != relay_two->lease_held(); }));
  CHECK(relay_one->lease_held() != relay_two->lease_held());

  Relay& holder = relay_one->lease_held() ? *relay_one : *relay_two;
  Relay& standby = relay_one->lease_held() ? *relay_two : *relay_one;
  holder.stop();
  CHECK_FALSE(holder.lease_held());
  write(100);
  REQUIRE(eventually([&] { return standby.lease_held() && fixture.unpublished() == 0; }));
  CHECK(fixture.published() == 600);
  standby.stop();

  const auto messages = read_topic(topic, 600);
  std::map<std::string, int> copies;
  for (const auto& message : messages) ++copies[event_id_of(message)];
  CHECK(messages.size() == 600);
  CHECK(copies.size() == 600);
  for (const auto& [event_id, count] : copies) {
    INFO("event " << event_id);
    CHECK(count == 1);
  }
  check_per_key_order(messages);
}

TEST_CASE("a crash between produce and record republishes the rows with the same event ids",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-crash", 3);
  std::set<std::string> event_ids;
  for (int i = 0; i < 10; ++i) event_ids.insert(fixture.append(topic, "AAPL", i).event_id);
  metrics::Registry registry;
  RelayOptions crashing_options = relay_options("crashing");
  crashing_options.crash_after_produce_for_testing = true;
  auto crashing = make_relay(fixture.pool, broker_config("relay-crashing"), registry,
                             SystemClock::instance(), crashing_options);

  const std::string barriers =
      fmt::format("SELECT COALESCE(SUM(barriers), 0) FROM outbox_relay_barriers WHERE outbox = '{}'",
                  kTable);
  auto crashed = crashing->run_once();
  REQUIRE_FALSE(crashed.ok());
  CHECK(crashed.error().reason == kSimulatedCrashReason);
  CHECK_FALSE(crashing->lease_held());
  CHECK(fixture.unpublished() == 10);
  // The durability barrier was committed before anything was produced (relay.h).
  CHECK(fixture.scalar(barriers) == 1);

  // The next relay (the crashed one's session is gone, so the lease is free).
  auto next = make_relay(fixture.pool, broker_config("relay-next"), registry,
                         SystemClock::instance(), relay_options("next"));
  auto republished = next->run_once();
  INFO((republished.ok() ? "" : republished.error().message));
  REQUIRE(republished.ok());
  CHECK(*republished == 10);
  CHECK(fixture.unpublished() == 0);
  CHECK(fixture.scalar(barriers) == 2);
  auto idle = next->run_once();  // nothing fetched: no barrier
  REQUIRE(idle.ok());
  CHECK(*idle == 0);
  CHECK(fixture.scalar(barriers) == 2);

  // At-least-once, as documented: every event twice, under the same event_id.
  const auto messages = read_topic(topic, 20);
  CHECK(messages.size() == 20);
  std::map<std::string, int> copies;
  for (const auto& message : messages) ++copies[event_id_of(message)];
  CHECK(copies.size() == 10);
  for (const auto& [event_id, count] : copies) {
    CHECK(event_ids.count(event_id) == 1);
    CHECK(count == 2);
  }
  check_per_key_order(messages);
}

TEST_CASE("metrics show waiting rows and their age; cleanup deletes expired published rows",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-metrics", 1);
  for (int i = 0; i < 3; ++i) fixture.append(topic, "AAPL", i);
  fixture.execute(std::string("UPDATE ") + kTable +
                  " SET created_at = created_at - INTERVAL 10 SECOND");
  metrics::Registry registry;
  FakeClock clock;

  {  // Kafka down: the rows wait, and the metrics say so.
    RelayOptions options = relay_options("down");
    options.delivery_timeout = 500ms;
    auto down =
        make_relay(fixture.pool, unreachable_config("relay-down"), registry, clock, options);
    CHECK_FALSE(down->run_once().ok());
    CHECK(gauge(registry, kMetricPendingRows) == 3.0);
    CHECK(gauge(registry, kMetricOldestUnpublishedAge) >= 10.0);
    CHECK(counter(registry, kMetricPublishFailuresTotal) >= 1);
    CHECK(gauge(registry, kMetricLeaseHeld) == 1.0);
  }
  CHECK(gauge(registry, kMetricLeaseHeld) == 0.0);

  auto relay = make_relay(fixture.pool, broker_config("relay-metrics"), registry, clock,
                          relay_options("metrics"));
  auto published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 3);
  CHECK(counter(registry, kMetricPublishedTotal) == 3);
  CHECK(gauge(registry, kMetricLeaseHeld) == 1.0);
  CHECK(fixture.unpublished() == 0);

  // The gauges were read at the start of that iteration (3 rows waiting) and are not
  // re-read after a successful publish, nor by any iteration within
  // kRelayMetricsRefreshInterval: they still say 3 while the table holds none.
  CHECK(gauge(registry, kMetricPendingRows) == 3.0);
  CHECK(gauge(registry, kMetricOldestUnpublishedAge) >= 10.0);
  clock.advance(kRelayMetricsRefreshInterval - 1ms);
  auto within = relay->run_once();
  REQUIRE(within.ok());
  CHECK(*within == 0);
  CHECK(gauge(registry, kMetricPendingRows) == 3.0);
  CHECK(gauge(registry, kMetricOldestUnpublishedAge) >= 10.0);

  // Once the interval has passed, the next iteration re-reads them before its batch:
  // they count the row inserted just before it (then published by that iteration)...
  fixture.append(topic, "AAPL", 3);
  clock.advance(1ms);
  auto refreshed = relay->run_once();
  REQUIRE(refreshed.ok());
  CHECK(*refreshed == 1);
  CHECK(fixture.unpublished() == 0);
  CHECK(gauge(registry, kMetricPendingRows) == 1.0);
  // ... and, one more interval later, that nothing waits.
  clock.advance(kRelayMetricsRefreshInterval);
  auto empty = relay->run_once();
  REQUIRE(empty.ok());
  CHECK(*empty == 0);
  CHECK(gauge(registry, kMetricPendingRows) == 0.0);
  CHECK(gauge(registry, kMetricOldestUnpublishedAge) == 0.0);
  CHECK(counter(registry, kMetricPublishedTotal) == 4);

  // Two rows were written over a day ago; the other two just now.
  fixture.execute(std::string("UPDATE ") + kTable +
                  " SET created_at = NOW(6) - INTERVAL 25 HOUR ORDER BY id LIMIT 2");
  auto not_due = relay->run_once();
  REQUIRE(not_due.ok());
  CHECK(fixture.total_rows() == 4);  // cleanup_interval has not elapsed on the fake clock

  clock.advance(std::chrono::seconds(61));
  auto due = relay->run_once();
  REQUIRE(due.ok());
  CHECK(*due == 0);
  CHECK(fixture.total_rows() == 2);
  CHECK(fixture.published() == 2);

  // The prometheus text carries the table label.
  const std::string text = registry.render_prometheus();
  CHECK(text.find("bourse_outbox_published_total{outbox=\"order_outbox\"} 4") != std::string::npos);
  // Each published row's delay from its insert to the acknowledgement: the first three
  // were written 10 s before they went out, the fourth just before.
  CHECK(text.find("bourse_outbox_relay_delay_seconds_count{outbox=\"order_outbox\"} 4") !=
        std::string::npos);
  // Batches produced: 3 rows with Kafka down (it failed, but was produced), 3 rows, 1 row.
  CHECK(text.find("bourse_outbox_batch_rows_count{outbox=\"order_outbox\"} 3") !=
        std::string::npos);
  CHECK(text.find("bourse_outbox_batch_rows_bucket{outbox=\"order_outbox\",le=\"1\"} 1") !=
        std::string::npos);
  CHECK(text.find("bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\",le=\"5\"} 1") !=
        std::string::npos);
  CHECK(text.find("bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\",le=\"30\"} 4") !=
        std::string::npos);
}

TEST_CASE("with Kafka unreachable run_once fails and records nothing",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  fixture.append("bourse-test-unreachable", "AAPL", 1);
  fixture.append("bourse-test-unreachable", "AAPL", 2);
  metrics::Registry registry;
  RelayOptions options = relay_options("unreachable");
  options.delivery_timeout = 500ms;
  auto relay = make_relay(fixture.pool, unreachable_config("relay-unreachable"), registry,
                          SystemClock::instance(), options);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto result = relay->run_once();
    REQUIRE_FALSE(result.ok());
    CHECK((result.error().code == ErrorCode::kTimeout ||
           result.error().code == ErrorCode::kUnavailable));
    CHECK(fixture.unpublished() == 2);
    CHECK(fixture.published() == 0);
  }
  CHECK(counter(registry, kMetricPublishFailuresTotal) == 2);
  CHECK(counter(registry, kMetricPublishedTotal) == 0);
}

}  // namespace
}  // namespace bourse::outbox::testing

namespace bourse::outbox::testing {
namespace {

TEST_CASE("a relay whose lease session is killed stops publishing, then re-acquires",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-lease-lost", 1);
  metrics::Registry registry;
  auto relay = make_relay(fixture.pool, broker_config("relay-lease-lost"), registry,
                          SystemClock::instance(), relay_options("lease-lost"));
  REQUIRE(relay->run_once().ok());
  REQUIRE(relay->lease_held());

  // The server ends the lease session (as after a network partition or a DBA's KILL).
  const std::string lease = relay_lease_name(fixture.database.name(), kTable);
  const long long holder = fixture.scalar("SELECT IS_USED_LOCK('" + lease + "')");
  REQUIRE(holder > 0);
  fixture.execute("KILL CONNECTION " + std::to_string(holder));
  fixture.append(topic, "AAPL", 1);

  auto lost = relay->run_once();
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().reason == kLeaseLostReason);
  CHECK_FALSE(relay->lease_held());
  CHECK(fixture.unpublished() == 1);  // nothing published without the lease
  CHECK(registry.gauge(kMetricLeaseHeld, "", {"outbox"}).with({kTable}).value() == 0.0);

  auto resumed = relay->run_once();
  INFO((resumed.ok() ? "" : resumed.error().message));
  REQUIRE(resumed.ok());
  CHECK(*resumed == 1);
  CHECK(relay->lease_held());
  CHECK(fixture.unpublished() == 0);
}

TEST_CASE("a standby relay reports lease_not_held and publishes nothing",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-standby", 1);
  fixture.append(topic, "AAPL", 1);
  metrics::Registry registry_holder;
  metrics::Registry registry_standby;
  auto holder = make_relay(fixture.pool, broker_config("relay-holder"), registry_holder,
                           SystemClock::instance(), relay_options("holder"));
  auto standby = make_relay(fixture.pool, broker_config("relay-standby"), registry_standby,
                            SystemClock::instance(), relay_options("standby"));
  auto first = holder->run_once();
  REQUIRE(first.ok());
  CHECK(*first == 1);
  fixture.append(topic, "AAPL", 2);

  auto refused = standby->run_once();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kConflict);
  CHECK(refused.error().reason == kLeaseNotHeldReason);
  CHECK(fixture.unpublished() == 1);
  // The standby still reports the backlog (alerts work whoever holds the lease).
  CHECK(registry_standby.gauge(kMetricPendingRows, "", {"outbox"}).with({kTable}).value() == 1.0);
  CHECK(registry_standby.counter(kMetricPublishFailuresTotal, "", {"outbox"})
            .with({kTable})
            .value() == 0);
}

TEST_CASE("wake() publishes a committed row at once instead of after the poll interval",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-wake", 1);
  metrics::Registry registry;
  RelayOptions options = relay_options("wake");
  options.poll_interval = kMaxRelayPollInterval;  // an idle relay would sleep this long
  auto relay = make_relay(fixture.pool, broker_config("relay-wake"), registry,
                          SystemClock::instance(), options);
  REQUIRE(relay->start().ok());
  // The first iteration takes the lease and finds nothing: the relay is now idle.
  REQUIRE(eventually([&] { return relay->lease_held(); }, 10s));
  std::this_thread::sleep_for(200ms);

  fixture.append(topic, "AAPL", 1);
  relay->wake();
  // Well under the poll interval: only the wake can have started that iteration.
  CHECK(eventually([&] { return fixture.published() == 1; }, kMaxRelayPollInterval / 2));
  const auto second_started = std::chrono::steady_clock::now();
  fixture.append(topic, "AAPL", 2);
  relay->wake();
  CHECK(eventually([&] { return fixture.published() == 2; }, kMaxRelayPollInterval / 2));
  CHECK(std::chrono::steady_clock::now() - second_started < kMaxRelayPollInterval);
  relay->stop();
  CHECK(read_topic(topic, 2).size() == 2);
}

TEST_CASE("an idle relay backs off to idle_poll_max and still publishes rows nobody woke it for",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-idle", 1);
  metrics::Registry registry;
  RelayOptions options = relay_options("idle");
  options.poll_interval = std::chrono::milliseconds(1);  // without back-off: ~1,000 fetches/s
  options.idle_poll_max = std::chrono::milliseconds(500);
  auto relay = make_relay(fixture.pool, broker_config("relay-idle"), registry,
                          SystemClock::instance(), options);
  REQUIRE(relay->start().ok());
  REQUIRE(eventually([&] { return relay->lease_held(); }, 10s));
  const std::uint64_t at_lease = counter(registry, kMetricEmptyPollsTotal);
  std::this_thread::sleep_for(2s);
  // Waits of 1, 2, 4, ... 256 ms, then 500 ms: 9 fetches in the first ~0.5 s, 2 a second
  // after. A slower machine only fetches less; 1 ms polling would fetch hundreds of times.
  const std::uint64_t idle_fetches = counter(registry, kMetricEmptyPollsTotal) - at_lease;
  CHECK(idle_fetches >= 1);
  CHECK(idle_fetches <= 20);

  // A row committed elsewhere (no wake): the next poll, at most idle_poll_max away, takes it.
  fixture.append(topic, "AAPL", 1);
  CHECK(eventually([&] { return fixture.published() == 1; }, 10s));
  relay->stop();
  CHECK(read_topic(topic, 1).size() == 1);
}

TEST_CASE("the relay thread sends each batch's progress with the next fetch, which is that "
          "fetch's durability barrier",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-deferred", 2);
  metrics::Registry registry;
  RelayOptions options = relay_options("deferred");
  options.batch_size = 2;
  options.poll_interval = kMaxRelayPollInterval;  // only wakes and pending progress run it
  auto relay = make_relay(fixture.pool, broker_config("relay-deferred"), registry,
                          SystemClock::instance(), options);
  const std::string barriers =
      fmt::format("SELECT COALESCE(SUM(barriers), 0) FROM outbox_relay_barriers WHERE outbox = '{}'",
                  kTable);
  REQUIRE(relay->start().ok());
  REQUIRE(eventually([&] { return relay->lease_held(); }, 10s));
  std::this_thread::sleep_for(200ms);
  CHECK(fixture.scalar(barriers) == 0);  // the idle fetch found nothing and wrote nothing

  // Seven committed rows, three of them on one key, then one wake: batches of 2, 2, 2, 1.
  // Only the first batch has no progress to carry and writes a barrier; each later fetch
  // records the previous batch's progress after its read, and a last fetch (finding
  // nothing) records the fourth batch, all without waiting for the poll interval.
  std::set<std::string> event_ids;
  for (int i = 0; i < 7; ++i) {
    event_ids.insert(fixture.append(topic, i % 3 == 0 ? "AAPL" : "MSFT", i).event_id);
  }
  relay->wake();
  REQUIRE(eventually([&] { return fixture.published() == 7; }, kMaxRelayPollInterval / 2));
  CHECK(fixture.scalar(barriers) == 1);

  // The next burst: again one barrier, for its first batch only.
  for (int i = 7; i < 10; ++i) event_ids.insert(fixture.append(topic, "AAPL", i).event_id);
  relay->wake();
  REQUIRE(eventually([&] { return fixture.published() == 10; }, kMaxRelayPollInterval / 2));
  CHECK(fixture.scalar(barriers) == 2);
  relay->stop();
  // Counted as the broker acknowledged them (read once the thread is joined).
  CHECK(registry.counter(kMetricPublishedTotal, "", {"outbox"}).with({kTable}).value() == 10);

  // Each row once (the fetch started after the rows whose progress it carried), in key
  // order.
  const auto messages = read_topic(topic, 10);
  CHECK(messages.size() == 10);
  std::set<std::string> seen;
  for (const auto& message : messages) seen.insert(event_id_of(message));
  CHECK(seen == event_ids);
  check_per_key_order(messages);
}

TEST_CASE("stop() records what the relay thread produced, so a restart publishes nothing twice",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  const std::string topic = create_topic("relay-stop-marks", 1);
  metrics::Registry registry;
  RelayOptions options = relay_options("stop-marks");
  options.poll_interval = kMaxRelayPollInterval;
  // Stops at moments after the wake from 0 to ~20 ms: before the fetch, between the
  // produce and the next fetch (the progress still owed), and after it.
  int appended = 0;
  for (int round = 0; round < 8; ++round) {
    auto relay = make_relay(fixture.pool, broker_config("relay-stop-marks"), registry,
                            SystemClock::instance(), options);
    REQUIRE(relay->start().ok());
    REQUIRE(eventually([&] { return relay->lease_held(); }, 10s));
    for (int i = 0; i < 3; ++i) fixture.append(topic, "AAPL", appended++);
    relay->wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(round * 3));
    relay->stop();
  }
  // Whatever was produced was recorded: the messages on the topic are exactly the rows up
  // to published_up_to, each once. A last relay publishes the rest.
  const long long recorded = fixture.published();
  auto last = make_relay(fixture.pool, broker_config("relay-stop-marks"), registry,
                         SystemClock::instance(), relay_options("stop-marks-last"));
  auto rest = last->run_once();
  REQUIRE(rest.ok());
  CHECK(recorded + static_cast<long long>(*rest) == appended);
  const auto messages = read_topic(topic, static_cast<std::size_t>(appended));
  CHECK(messages.size() == static_cast<std::size_t>(appended));
  std::set<std::string> seen;
  for (const auto& message : messages) seen.insert(event_id_of(message));
  CHECK(seen.size() == messages.size());
  check_per_key_order(messages);
}

}  // namespace
}  // namespace bourse::outbox::testing

namespace bourse::outbox::testing {
namespace {

TEST_CASE("with the database unreachable the relay thread backs off, counts and keeps going",
          "[outbox][relay][integration]") {
  db::DbConfig unreachable = bourse::testing::stack_db_config();
  unreachable.host = "127.0.0.1";
  unreachable.port = 1;  // nothing listens: connections are refused at once
  db::ConnectionPool pool(unreachable);
  metrics::Registry registry;
  auto relay = make_relay(pool, broker_config("relay-db-down"), registry, SystemClock::instance(),
                          relay_options("db-down"));

  auto once = relay->run_once();
  REQUIRE_FALSE(once.ok());
  CHECK(once.error().code == ErrorCode::kUnavailable);
  CHECK_FALSE(relay->lease_held());

  REQUIRE(relay->start().ok());
  CHECK(relay->running());
  // Back-off 100 ms, 200 ms, 400 ms, ...: a few more failed attempts, not a hot loop.
  REQUIRE(eventually(
      [&] {
        return registry.counter(kMetricPublishFailuresTotal, "", {"outbox"})
                   .with({kTable})
                   .value() >= 3;
      },
      10s));
  const auto stop_started = std::chrono::steady_clock::now();
  relay->stop();
  CHECK(std::chrono::steady_clock::now() - stop_started < 5s);
  CHECK_FALSE(relay->running());
  const auto failures =
      registry.counter(kMetricPublishFailuresTotal, "", {"outbox"}).with({kTable}).value();
  CHECK(failures <= 10);  // about 1 s of exponential back-off
}

TEST_CASE("the migrations move a marked outbox to dense ids: what was unpublished is "
          "renumbered after the highest id, in order, and published next",
          "[outbox][relay][integration]") {
  bourse::testing::TestDatabase database;
  db::ConnectionPool pool{database.config()};
  const char* source_dir = std::getenv("BOURSE_SOURCE_DIR");
  REQUIRE(source_dir != nullptr);
  auto all = db::load_migrations(std::string(source_dir) + "/migrations");
  REQUIRE(all.ok());
  const auto apply = [&](auto keep) {
    std::vector<db::Migration> some;
    for (const db::Migration& migration : *all) {
      if (keep(migration.version)) some.push_back(migration);
    }
    auto applied = db::apply_migrations(pool, some);
    INFO((applied.ok() ? std::string() : applied.error().message));
    REQUIRE(applied.ok());
  };
  // The schema of the marking relay: everything before the sequenced outboxes.
  const auto sequenced = [](int version) {
    return version == 5 || version == 105 || version == 206 || version == 303;
  };
  apply([&](int version) { return !sequenced(version) && version < 400; });
  const auto execute = [&](const std::string& sql) {
    Status status = pool.with_session([&](soci::session& session) { session << sql; });
    INFO((status.ok() ? "" : status.error().message));
    REQUIRE(status.ok());
  };
  // ids 1..6 with holes (AUTO_INCREMENT skips); 2 and 5 unpublished, 4 published late.
  for (int id : {1, 2, 4, 5, 6}) {
    execute(fmt::format("INSERT INTO {} (id, event_id, event_type, topic, message_key, payload, "
                        "published_at) VALUES ({}, 'old-{}', 'RelayTestEvent', 't', 'AAPL', '{{}}', "
                        "{})",
                        kTable, id, id, id == 2 || id == 5 ? "NULL" : "NOW(6)"));
  }
  apply([](int) { return true; });

  long long value = 0;
  const auto scalar = [&](const std::string& sql) {
    REQUIRE(pool.with_session([&](soci::session& session) { session << sql, soci::into(value); })
                .ok());
    return value;
  };
  CHECK(scalar(std::string("SELECT id FROM ") + kTable + " WHERE event_id = 'old-2'") == 7);
  CHECK(scalar(std::string("SELECT id FROM ") + kTable + " WHERE event_id = 'old-5'") == 8);
  CHECK(scalar(std::string("SELECT id FROM ") + kTable + " WHERE event_id = 'old-4'") == 4);
  CHECK(scalar(fmt::format("SELECT published_up_to FROM outbox_relay_barriers WHERE outbox = '{}'",
                           kTable)) == 6);
  CHECK(scalar(fmt::format("SELECT last_id FROM outbox_sequences WHERE outbox = '{}'", kTable)) ==
        8);
  // The next append continues the sequence, and a relay publishes exactly the three rows
  // above published_up_to, in id order.
  const std::string topic = create_topic("relay-migrated", 1);
  execute(fmt::format("UPDATE {} SET topic = '{}'", kTable, topic));
  std::optional<AppendedEvent> appended;
  REQUIRE(pool.in_transaction([&](soci::session& session) -> Status {
                auto result = append_event(session, kTable, RelayFixture::event(topic, "AAPL", 9),
                                           SystemClock::instance());
                if (!result) return result.error();
                appended = *result;
                return Status::success();
              })
              .ok());
  CHECK(appended->outbox_id == 9);
  metrics::Registry registry;
  auto relay = make_relay(pool, broker_config("relay-migrated"), registry, SystemClock::instance(),
                          relay_options("migrated"));
  auto published = relay->run_once();
  REQUIRE(published.ok());
  CHECK(*published == 3);
  const auto messages = read_topic(topic, 3);
  REQUIRE(messages.size() == 3);
  CHECK(event_id_of(messages[0]) == "old-2");
  CHECK(event_id_of(messages[1]) == "old-5");
  CHECK(event_id_of(messages[2]) == appended->event_id);
}

TEST_CASE("the fetch reads a primary-key range from the acknowledged id",
          "[outbox][relay][integration]") {
  RelayFixture fixture;
  // Enough rows that the optimizer has a choice.
  fixture.execute(std::string("INSERT INTO ") + kTable +
                  " (id, event_id, event_type, topic, message_key, payload)"
                  " SELECT seq, UUID(), 'RelayTestEvent', 't', 'k', REPEAT('x', 400)"
                  " FROM seq_1_to_2100");
  fixture.execute(std::string("ANALYZE TABLE ") + kTable);
  OutboxStore store(fixture.pool, kTable);
  std::string key;
  std::string type;
  REQUIRE(fixture.pool
              .with_session([&](soci::session& session) {
                const std::string query =
                    db::render_statement(session, store.rows_after_query(2000, 500));
                soci::rowset<soci::row> rows = (session.prepare << "EXPLAIN " + query);
                int count = 0;
                for (const soci::row& row : rows) {
                  ++count;
                  key = row.get_indicator("key") == soci::i_null ? "" : row.get<std::string>("key");
                  type = row.get<std::string>("type");
                }
                REQUIRE(count == 1);
              })
              .ok());
  CHECK(key == "PRIMARY");
  CHECK(type == "range");
}

}  // namespace
}  // namespace bourse::outbox::testing
