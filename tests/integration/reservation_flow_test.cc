// Goal: OrderCreated events written to the order outbox reach Kafka through the relay
// and reserve funds exactly once in the account module, whatever happens in between:
// an event delivered twice, a relay that republishes after a crash, a process killed
// after its DB commit, outbox rows that commit out of order, two instances at once.
// Real bourse processes, real MariaDB, real Kafka.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <soci/soci.h>
#include <thread>

#include "bourse/db/connection_pool.h"
#include "bourse/kafka/producer.h"
#include "bourse/outbox/outbox_writer.h"
#include "bourse_process.h"
#include "topic_reader.h"

using bourse::testing::BourseEnvironment;
using bourse::testing::BourseProcess;

namespace {

constexpr auto kEventualTimeout = std::chrono::seconds(30);

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = kEventualTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return predicate();
}

boost::json::object order_created(std::int64_t id, const std::string& user, const char* side,
                                  std::int64_t quantity, const char* price) {
  return {{"order_id", id},      {"user_id", user}, {"symbol", "AAPL"},     {"side", side},
          {"type", "LIMIT"},     {"quantity", quantity}, {"price", price}, {"time_in_force", "GTC"}};
}

bourse::outbox::OutboxEvent order_event(const std::string& prefix, boost::json::object data) {
  bourse::outbox::OutboxEvent event;
  event.event_type = "OrderCreated";
  event.topic = prefix + "order-events";
  event.key = "AAPL";
  event.aggregate_type = "order";
  event.aggregate_id = std::to_string(data.at("order_id").as_int64());
  event.data = std::move(data);
  return event;
}

// Appends an OrderCreated to order_outbox in its own transaction, as the order module does.
void append(bourse::db::ConnectionPool& pool, const std::string& prefix, boost::json::object data) {
  auto event = order_event(prefix, std::move(data));
  REQUIRE(pool.in_transaction([&](soci::session& s) -> bourse::Status {
    auto appended = bourse::outbox::append_event(s, "order_outbox", event,
                                                 bourse::SystemClock::instance());
    if (!appended) return appended.error();
    return bourse::Status::success();
  }).ok());
}

std::string reserved_cash(BourseProcess& server, const std::string& user) {
  auto client = server.client();
  auto response = client.get("/v1/accounts/" + user);
  if (response.status != 200) return "?";
  return std::string(boost::json::parse(response.body).at("cash").at("reserved").as_string());
}

int count(bourse::db::ConnectionPool& pool, const std::string& sql) {
  int n = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
  return n;
}

void open_account(BourseProcess& server, const std::string& user, const char* cash) {
  auto client = server.client();
  auto response = client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash +
                                                  R"(","positions":{"AAPL":100}})");
  REQUIRE(response.status == 201);
}

}  // namespace

TEST_CASE("an OrderCreated reserves once, even when delivered twice or republished",
          "[flow][integration]") {
  BourseEnvironment environment;
  BourseProcess server(environment, {});
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  bourse::db::ConnectionPool pool(environment.database.config());
  open_account(server, "alice", "10000");

  append(pool, environment.topic_prefix, order_created(1, "alice", "BUY", 10, "150"));
  REQUIRE(eventually([&] { return reserved_cash(server, "alice") == "1500"; }));
  // FundsReserved was announced once and published by the account relay.
  REQUIRE(eventually([&] {
    return count(pool, "SELECT COUNT(*) FROM account_outbox WHERE event_type = 'FundsReserved' "
                       "AND published_at IS NOT NULL") == 1;
  }));

  SECTION("the same event produced again by hand changes nothing") {
    std::string payload;
    REQUIRE(pool.with_session([&](soci::session& s) {
      s << "SELECT payload FROM order_outbox ORDER BY id LIMIT 1", soci::into(payload);
    }).ok());
    bourse::kafka::KafkaConfig config;
    config.brokers = bourse::testing::kafka_brokers();
    config.client_id = "test-republisher";
    auto producer = bourse::kafka::Producer::create(config);
    REQUIRE(producer.ok());
    REQUIRE((*producer)->produce_sync({environment.topic_prefix + "order-events", "AAPL", payload, {}, {}}).ok());
    // A marker event after the duplicate proves the duplicate was consumed before we look.
    append(pool, environment.topic_prefix, order_created(2, "alice", "BUY", 1, "100"));
    REQUIRE(eventually([&] { return reserved_cash(server, "alice") == "1600"; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(reserved_cash(server, "alice") == "1600");
    CHECK(count(pool, "SELECT COUNT(*) FROM account_outbox WHERE event_type = 'FundsReserved'") == 2);
  }
  SECTION("a relay that republishes (crash before marking published) changes nothing") {
    // The state a relay leaves when it crashes after the broker acknowledged the batch
    // and before it marked the rows published.
    REQUIRE(pool.with_session([&](soci::session& s) {
      s << "UPDATE order_outbox SET published_at = NULL";
    }).ok());
    REQUIRE(eventually([&] {
      return count(pool, "SELECT COUNT(*) FROM order_outbox WHERE published_at IS NULL") == 0;
    }));
    append(pool, environment.topic_prefix, order_created(3, "alice", "BUY", 1, "100"));
    REQUIRE(eventually([&] { return reserved_cash(server, "alice") == "1600"; }));
    auto messages = bourse::testing::read_topic(environment.topic_prefix + "order-events", 3,
                                                std::chrono::seconds(20));
    CHECK(messages.size() == 3);  // order 1 twice (republished), order 3 once
    CHECK(reserved_cash(server, "alice") == "1600");
  }
}

TEST_CASE("insufficient funds are rejected and nothing is reserved", "[flow][integration]") {
  BourseEnvironment environment;
  BourseProcess server(environment, {});
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  bourse::db::ConnectionPool pool(environment.database.config());
  open_account(server, "bob", "100");
  append(pool, environment.topic_prefix, order_created(10, "bob", "BUY", 10, "150"));
  REQUIRE(eventually([&] {
    return count(pool, "SELECT COUNT(*) FROM account_outbox WHERE event_type = 'OrderRejected' "
                       "AND payload LIKE '%insufficient_cash%'") == 1;
  }));
  CHECK(reserved_cash(server, "bob") == "0");
}

TEST_CASE("a process killed after its commit resumes from the stored offset without double effects",
          "[flow][integration]") {
  BourseEnvironment environment;
  bourse::db::ConnectionPool pool(environment.database.config());
  {
    BourseProcess first(environment, {});
    INFO(first.process().log());
    REQUIRE(first.wait_ready());
    open_account(first, "carol", "100000");
    for (int i = 0; i < 20; ++i) {
      append(pool, environment.topic_prefix, order_created(100 + i, "carol", "BUY", 1, "100"));
    }
    REQUIRE(eventually([&] { return reserved_cash(first, "carol") == "2000"; }));
    first.process().signal(SIGKILL);  // no clean close, no Kafka offset commit
    first.process().wait(std::chrono::seconds(10));
  }
  BourseProcess second(environment, {});
  INFO(second.process().log());
  REQUIRE(second.wait_ready());
  append(pool, environment.topic_prefix, order_created(200, "carol", "BUY", 1, "100"));
  REQUIRE(eventually([&] { return reserved_cash(second, "carol") == "2100"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1'000));
  CHECK(reserved_cash(second, "carol") == "2100");
  CHECK(count(pool, "SELECT COUNT(*) FROM account_outbox WHERE event_type = 'FundsReserved'") == 21);
}

TEST_CASE("outbox rows that commit out of order are all published", "[flow][integration]") {
  BourseEnvironment environment;
  BourseProcess server(environment, {});
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  open_account(server, "dave", "100000");
  bourse::db::ConnectionPool pool(environment.database.config());
  auto early = pool.acquire();
  auto late = pool.acquire();
  REQUIRE(early.ok());
  REQUIRE(late.ok());
  soci::transaction first_tx(early->session());   // will commit last
  soci::transaction second_tx(late->session());
  auto first_event = order_event(environment.topic_prefix, order_created(301, "dave", "BUY", 1, "100"));
  auto second_event = order_event(environment.topic_prefix, order_created(302, "dave", "BUY", 2, "100"));
  auto first_row = bourse::outbox::append_event(early->session(), "order_outbox", first_event,
                                                bourse::SystemClock::instance());
  auto second_row = bourse::outbox::append_event(late->session(), "order_outbox", second_event,
                                                 bourse::SystemClock::instance());
  REQUIRE(first_row.ok());
  REQUIRE(second_row.ok());
  REQUIRE(first_row->outbox_id < second_row->outbox_id);  // ids assigned at insert
  second_tx.commit();
  REQUIRE(eventually([&] { return reserved_cash(server, "dave") == "200"; }));
  first_tx.commit();  // the lower id commits after the higher one was published
  REQUIRE(eventually([&] { return reserved_cash(server, "dave") == "300"; }));
  CHECK(count(pool, "SELECT COUNT(*) FROM order_outbox WHERE published_at IS NULL") == 0);
}

TEST_CASE("two instances publish each outbox row once and split the work",
          "[flow][integration]") {
  BourseEnvironment environment;
  BourseProcess first(environment, {});
  BourseProcess second(environment, {});
  INFO(first.process().log());
  INFO(second.process().log());
  REQUIRE(first.wait_ready());
  REQUIRE(second.wait_ready());
  open_account(first, "erin", "1000000");
  bourse::db::ConnectionPool pool(environment.database.config());
  constexpr int kOrders = 100;
  for (int i = 0; i < kOrders; ++i) {
    append(pool, environment.topic_prefix, order_created(400 + i, "erin", "BUY", 1, "100"));
  }
  REQUIRE(eventually([&] { return reserved_cash(second, "erin") == "10000"; }));
  auto messages = bourse::testing::read_topic(environment.topic_prefix + "order-events", kOrders,
                                              std::chrono::seconds(30));
  std::map<std::string, int> by_event_id;
  for (const auto& message : messages) ++by_event_id[std::string(*message.header("event_id"))];
  CHECK(by_event_id.size() == static_cast<std::size_t>(kOrders));
  for (const auto& [event_id, copies] : by_event_id) {
    INFO(event_id);
    CHECK(copies == 1);
  }
  // Per-key order: one symbol, one partition, in outbox order.
  std::int64_t previous = 0;
  for (const auto& message : messages) {
    CHECK(message.partition == messages.front().partition);
    auto id = boost::json::parse(message.value).at("data").at("order_id").as_int64();
    CHECK(id > previous);
    previous = id;
  }
}
