// Goal: what order entry acknowledged is never lost and is published once per event:
// a process killed while answering loses no accepted order (its reservation and event are
// there, and the next process publishes the event); a relay that republishes after a crash
// sends the same event ids again (consumers deduplicate by them); a writer whose
// transaction overlaps another's gets its outbox ids only after that one commits, so ids
// follow commit order and every row is published, in that order; two instances publish
// each row once, in commit order per symbol. Real bourse processes, real MariaDB, real
// Kafka.
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse/order/events.h"
#include "bourse/outbox/outbox_writer.h"
#include "bourse_process.h"
#include "topic_reader.h"

using bourse::testing::BourseEnvironment;
using bourse::testing::BourseProcess;

namespace {

constexpr auto kEventualTimeout = std::chrono::seconds(30);
// How long a second outbox writer is seen waiting for the first one's commit.
constexpr auto kStillQueued = std::chrono::milliseconds(500);

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = kEventualTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return predicate();
}

long long count(bourse::db::ConnectionPool& pool, const std::string& sql) {
  long long n = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
  return n;
}

// Rows of order_outbox no relay has published yet: ids above the outbox's "published up
// to" id (there is no per-row mark).
long long unpublished_orders(bourse::db::ConnectionPool& pool) {
  return count(pool, "SELECT COUNT(*) FROM order_outbox WHERE " +
                         bourse::outbox::unpublished_condition("order_outbox"));
}

void open_account(BourseProcess& server, const std::string& user, const char* cash) {
  auto client = server.client();
  REQUIRE(client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash + R"("})")
              .status == 201);
}

std::string buy(const std::string& user) {
  return R"({"user_id":")" + user +
         R"(","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":1,"price":"150"})";
}

std::int64_t order_id_of(const std::string& body) {
  return boost::json::parse(body).at("order_id").as_int64();
}

// Event id -> copies on the topic.
std::map<std::string, int> copies_by_event_id(const std::vector<bourse::kafka::Message>& messages) {
  std::map<std::string, int> copies;
  for (const auto& message : messages) ++copies[std::string(*message.header("event_id"))];
  return copies;
}

}  // namespace

TEST_CASE("a process killed while answering loses no accepted order", "[flow][integration]") {
  BourseEnvironment environment;
  bourse::db::ConnectionPool pool(environment.database.config());
  std::set<std::int64_t> accepted;
  {
    BourseProcess first(environment, {});
    INFO(first.process().log());
    REQUIRE(first.wait_ready());
    open_account(first, "carol", "1000000");
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::vector<std::future<void>> senders;
    for (int c = 0; c < 8; ++c) {
      senders.push_back(std::async(std::launch::async, [&] {
        try {
          auto client = first.client();
          while (!stop.load()) {
            auto response = client.post("/v1/orders", buy("carol"));
            if (response.status == 202) {
              std::lock_guard lock(mutex);
              accepted.insert(order_id_of(response.body));
            }
          }
        } catch (const std::exception&) {
          // The process died under the connection: expected.
        }
      }));
    }
    REQUIRE(eventually([&] {
      std::lock_guard lock(mutex);
      return accepted.size() >= 100;
    }));
    first.process().signal(SIGKILL);  // mid-traffic: no clean shutdown, no flush
    first.process().wait(std::chrono::seconds(10));
    stop = true;
    for (auto& sender : senders) sender.get();
  }
  // Every acknowledged order is there with its reservation and its event.
  for (std::int64_t id : accepted) {
    INFO("order " << id);
    const std::string where = std::to_string(id);
    REQUIRE(count(pool, "SELECT COUNT(*) FROM orders WHERE order_id = " + where) == 1);
    REQUIRE(count(pool, "SELECT COUNT(*) FROM reservations WHERE order_id = " + where) == 1);
    REQUIRE(count(pool,
                  "SELECT COUNT(*) FROM order_outbox WHERE JSON_VALUE(payload, "
                  "'$.aggregate_id') = '" +
                      where + "'") == 1);
  }
  // Committed but unanswered orders may exist too; they are whole as well.
  const long long orders = count(pool, "SELECT COUNT(*) FROM orders");
  CHECK(orders >= static_cast<long long>(accepted.size()));
  CHECK(count(pool, "SELECT COUNT(*) FROM reservations") == orders);
  CHECK(count(pool, "SELECT COUNT(*) FROM order_outbox") == orders);
  CHECK(count(pool, "SELECT reserved_units FROM cash_balances WHERE user_id = 'carol'") ==
        orders * 150 * 10'000);

  // The next process publishes every event, each event id at least once.
  BourseProcess second(environment, {});
  INFO(second.process().log());
  REQUIRE(second.wait_ready());
  REQUIRE(eventually([&] { return unpublished_orders(pool) == 0; }));
  auto messages =
      bourse::testing::read_topic(environment.topic_prefix + "order-events",
                                  static_cast<std::size_t>(orders), std::chrono::seconds(30));
  std::set<std::int64_t> published;
  for (const auto& message : messages) {
    published.insert(boost::json::parse(message.value).at("data").at("order_id").as_int64());
  }
  CHECK(published.size() == static_cast<std::size_t>(orders));
  for (std::int64_t id : accepted) CHECK(published.contains(id));
}

TEST_CASE("a relay that republishes after a crash sends the same event ids again",
          "[flow][integration]") {
  BourseEnvironment environment;
  bourse::db::ConnectionPool pool(environment.database.config());
  {
    BourseProcess first(environment, {});
    INFO(first.process().log());
    REQUIRE(first.wait_ready());
    open_account(first, "alice", "10000");
    auto client = first.client();
    REQUIRE(client.post("/v1/orders", buy("alice")).status == 202);
    REQUIRE(client.post("/v1/orders", buy("alice")).status == 202);
    REQUIRE(eventually([&] { return unpublished_orders(pool) == 0; }));
    first.process().signal(SIGKILL);
    first.process().wait(std::chrono::seconds(10));
  }
  // The state a relay leaves when it crashes after the broker acknowledged the batch and
  // before it recorded the batch published: the outbox's "published up to" id below the
  // rows. A running relay keeps that id in memory and reads it only when it takes the
  // lease, hence the crash first and the next process after the rewind.
  REQUIRE(pool.with_session([&](soci::session& s) {
                s << "UPDATE outbox_relay_barriers SET published_up_to = 0 "
                     "WHERE outbox = 'order_outbox'";
              })
              .ok());
  REQUIRE(unpublished_orders(pool) == 2);
  BourseProcess second(environment, {});
  INFO(second.process().log());
  REQUIRE(second.wait_ready());
  REQUIRE(eventually([&] { return unpublished_orders(pool) == 0; }));
  auto messages = bourse::testing::read_topic(environment.topic_prefix + "order-events", 4,
                                              std::chrono::seconds(20));
  const auto copies = copies_by_event_id(messages);
  CHECK(copies.size() == 2);  // two events
  for (const auto& [event_id, n] : copies) {
    INFO(event_id);
    CHECK(n == 2);  // each published twice, under its own id both times
  }
  CHECK(second.client().get("/v1/accounts/alice").body.find(R"("reserved":"300")") !=
        std::string::npos);
}

// Before dense ids (AUTO_INCREMENT, assigned at insert) a transaction could commit a row
// below an id already published. Now every append bumps the outbox's sequence row first
// and holds its lock until COMMIT (outbox_writer.h, "Ids"), so an overlapping writer waits.
TEST_CASE("a writer whose transaction overlaps another's gets the next ids after that one "
          "commits, and both rows are published in that order",
          "[flow][integration]") {
  BourseEnvironment environment;
  BourseProcess server(environment, {});
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  bourse::db::ConnectionPool pool(environment.database.config());
  auto early = pool.acquire();
  auto late = pool.acquire();
  REQUIRE(early.ok());
  REQUIRE(late.ok());
  auto event = [&](std::int64_t order_id) {
    bourse::order::OrderCreated created;
    created.order_id = bourse::OrderId(order_id);
    created.user_id = "dave";
    created.symbol = "AAPL";
    created.quantity = bourse::Quantity::of(1);
    created.price = bourse::Amount::parse("150").value();
    created.reserved_cash = created.price;
    return bourse::outbox::outbox_event(created, environment.topic_prefix + "order-events");
  };
  soci::transaction first_tx(early->session());
  auto first_row = bourse::outbox::append_event(early->session(), bourse::order::kOutboxTable,
                                                event(301), bourse::SystemClock::instance());
  REQUIRE(first_row.ok());
  auto second_row = std::async(std::launch::async, [&] {
    soci::transaction second_tx(late->session());
    auto appended = bourse::outbox::append_event(late->session(), bourse::order::kOutboxTable,
                                                 event(302), bourse::SystemClock::instance());
    if (appended.ok()) second_tx.commit();
    return appended;
  });
  CHECK(second_row.wait_for(kStillQueued) == std::future_status::timeout);  // queued
  first_tx.commit();
  const auto second = second_row.get();
  REQUIRE(second.ok());
  CHECK(second->outbox_id == first_row->outbox_id + 1);  // dense, in commit order
  REQUIRE(eventually([&] { return unpublished_orders(pool) == 0; }));
  auto messages = bourse::testing::read_topic(environment.topic_prefix + "order-events", 2,
                                              std::chrono::seconds(20));
  std::vector<std::int64_t> ids;  // one symbol: one partition, in publication order
  for (const auto& message : messages) {
    ids.push_back(boost::json::parse(message.value).at("data").at("order_id").as_int64());
  }
  CHECK(ids == std::vector<std::int64_t>{301, 302});
}

TEST_CASE("two instances publish each outbox row once, each client's orders in the order it "
          "placed them",
          "[flow][integration][instances]") {
  BourseEnvironment environment;
  BourseProcess first(environment, {});
  BourseProcess second(environment, {});
  INFO(first.process().log());
  INFO(second.process().log());
  REQUIRE(first.wait_ready());
  REQUIRE(second.wait_ready());
  open_account(first, "erin", "1000000");
  constexpr int kOrders = 100;
  // Both instances take one account's orders at once, each from a client that sends its
  // next order after the previous 202. Across the two clients there is no order to keep
  // (both groups read erin's cash unlocked and serialize only at their last writes, so
  // ids need not follow commits), but each client's own orders must reach the journal in
  // the order it placed them: an acknowledged order was committed before the next one
  // was even sent.
  std::vector<std::future<std::vector<std::int64_t>>> senders;
  for (BourseProcess* process : {&first, &second}) {
    senders.push_back(std::async(std::launch::async, [process] {
      auto client = process->client();
      std::vector<std::int64_t> placed;
      for (int i = 0; i < kOrders / 2; ++i) {
        auto response = client.post("/v1/orders", buy("erin"));
        if (response.status == 202) placed.push_back(order_id_of(response.body));
      }
      return placed;
    }));
  }
  std::vector<std::vector<std::int64_t>> placed;
  for (auto& sender : senders) placed.push_back(sender.get());
  REQUIRE(placed[0].size() + placed[1].size() == static_cast<std::size_t>(kOrders));
  auto messages = bourse::testing::read_topic(environment.topic_prefix + "order-events", kOrders,
                                              std::chrono::seconds(30));
  const auto copies = copies_by_event_id(messages);
  CHECK(copies.size() == static_cast<std::size_t>(kOrders));
  for (const auto& [event_id, n] : copies) {
    INFO(event_id);
    CHECK(n == 1);
  }
  // One symbol, one partition; each client's orders in its own order.
  std::map<std::int64_t, std::size_t> client_of;
  for (std::size_t c = 0; c < placed.size(); ++c) {
    for (std::int64_t id : placed[c]) client_of[id] = c;
  }
  std::vector<std::vector<std::int64_t>> journaled(placed.size());
  for (const auto& message : messages) {
    CHECK(message.partition == messages.front().partition);
    auto id = boost::json::parse(message.value).at("data").at("order_id").as_int64();
    REQUIRE(client_of.count(id) == 1);
    journaled[client_of[id]].push_back(id);
  }
  CHECK(journaled == placed);
}
