// Goal: a running `bourse serve` has exactly the relays, topics and consumer groups of the
// wiring table (src/app/event_streams.cc), and the database exactly its outbox tables:
// nothing is wired outside the table.
#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "app/event_pipeline.h"
#include "app/event_streams.h"
#include "bourse/db/connection_pool.h"
#include "bourse/kafka/admin.h"
#include "bourse_process.h"

using bourse::testing::BourseProcess;

TEST_CASE("topics, outboxes, relays and consumer groups are exactly the wiring table's",
          "[wiring][integration]") {
  BourseProcess server;
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  const auto streams = bourse::app::event_streams(bourse::app::EventHandlers{});
  std::set<std::string> topics, outboxes, groups;
  for (const auto& stream : streams) {
    topics.insert(server.topic_prefix() + std::string(stream.topic));
    outboxes.insert(std::string(stream.outbox_table));
    for (const auto& subscription : stream.subscriptions) {
      groups.insert(server.topic_prefix() + std::string(subscription.group));
    }
  }

  bourse::kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = "test-wiring";
  auto admin = bourse::kafka::Admin::create(config);
  REQUIRE(admin.ok());
  auto listed_topics = (*admin)->list_topics(server.topic_prefix(), std::chrono::seconds(10));
  REQUIRE(listed_topics.ok());
  CHECK(std::set<std::string>(listed_topics->begin(), listed_topics->end()) == topics);

  // Consumers join their groups a moment after readiness; give them time to show up.
  std::set<std::string> listed_groups;
  for (int i = 0; i < 20; ++i) {
    auto listed = (*admin)->list_consumer_groups(server.topic_prefix(), std::chrono::seconds(10));
    REQUIRE(listed.ok());
    listed_groups = std::set<std::string>(listed->begin(), listed->end());
    if (listed_groups == groups && !groups.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  CHECK(listed_groups == groups);

  bourse::db::ConnectionPool pool(server.database().config());
  std::set<std::string> tables;
  REQUIRE(pool.with_session([&](soci::session& session) {
                soci::rowset<std::string> rows =
                    (session.prepare
                     << "SELECT table_name FROM information_schema.tables WHERE "
                        "table_schema = DATABASE() AND table_name LIKE '%\\_outbox'");
                for (const std::string& name : rows) tables.insert(name);
              })
              .ok());
  CHECK(tables == outboxes);

  // One relay per outbox runs (this single instance holds every lease).
  auto metrics = server.client().get("/metrics");
  REQUIRE(metrics.status == 200);
  for (const std::string& table : outboxes) {
    INFO(table);
    CHECK(metrics.body.find("bourse_outbox_lease_held{outbox=\"" + table + "\"}") !=
          std::string::npos);
  }
}
