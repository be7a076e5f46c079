// Goal: the whole order-entry flow of DESIGN.md through the real process: POST
// /v1/orders answers 202 only after the order and its OrderCreated are committed;
// OrderCreated reaches Kafka on the partition of its symbol; the account module
// reserves exactly once and the order shows it; insufficient funds end REJECTED with
// the reason and nothing reserved; 200 concurrent orders on one account never
// over-reserve and never deadlock.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <soci/soci.h>
#include <thread>

#include "bourse/db/connection_pool.h"
#include "bourse/kafka/producer.h"
#include "bourse_process.h"
#include "topic_reader.h"

using bourse::testing::BourseProcess;
using bourse::testing::HttpClient;

namespace {

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return predicate();
}

BourseProcess& server() {
  // Destroyed at exit, which stops the process.
  static std::unique_ptr<BourseProcess> instance = [] {
    auto process = std::make_unique<BourseProcess>();
    if (!process->wait_ready()) FAIL("bourse did not become ready:\n" << process->process().log());
    return process;
  }();
  return *instance;
}

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

int count(const std::string& sql) {
  bourse::db::ConnectionPool pool(server().database().config());
  int n = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
  return n;
}

void open_account(const std::string& user, const std::string& cash) {
  auto client = server().client();
  REQUIRE(client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash +
                                          R"(","positions":{"MSFT":50}})")
              .status == 201);
}

std::string order_body(const std::string& user, const char* symbol, const char* side,
                       std::int64_t quantity, const char* price) {
  return R"({"user_id":")" + user + R"(","symbol":")" + symbol + R"(","side":")" + side +
         R"(","type":"LIMIT","quantity":)" + std::to_string(quantity) + R"(,"price":")" + price +
         R"("})";
}

boost::json::object get_json(const std::string& path) {
  auto client = server().client();
  auto response = client.get(path);
  REQUIRE(response.status == 200);
  return json(response.body);
}

}  // namespace

TEST_CASE("an accepted order is committed, published on its symbol's partition and reserved",
          "[orders][integration]") {
  open_account("olga", "10000");
  auto client = server().client();
  auto response = client.post("/v1/orders", order_body("olga", "AAPL", "BUY", 10, "150.25"));
  REQUIRE(response.status == 202);
  auto body = json(response.body);
  CHECK(body.at("status").as_string() == "PENDING");
  const std::int64_t order_id = body.at("order_id").as_int64();
  CHECK(response.header("Location") == "/v1/orders/" + std::to_string(order_id));
  // 202 means committed: the order row and its OrderCreated are there right now.
  CHECK(count("SELECT COUNT(*) FROM orders WHERE order_id = " + std::to_string(order_id)) == 1);
  CHECK(count("SELECT COUNT(*) FROM order_outbox WHERE event_type = 'OrderCreated' AND "
              "payload LIKE '%\"aggregate_id\":\"" + std::to_string(order_id) + "\"%'") == 1);

  // Reserved exactly once, and the order knows it.
  REQUIRE(eventually([&] {
    return get_json("/v1/accounts/olga").at("cash").at("reserved").as_string() == "1502.5";
  }));
  auto order = get_json("/v1/orders/" + std::to_string(order_id));
  CHECK(order.at("status").as_string() == "PENDING");
  CHECK(order.at("filled_quantity").as_int64() == 0);
  CHECK(order.at("remaining_quantity").as_int64() == 10);

  // OrderCreated is on the partition the producer's partitioner picks for "AAPL".
  auto messages = bourse::testing::read_topic(server().topic_prefix() + "order-events", 1,
                                              std::chrono::seconds(20));
  bourse::kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = "test-partition-probe";
  auto probe = bourse::kafka::Producer::create(config);
  REQUIRE(probe.ok());
  auto probe_report = (*probe)->produce_sync({server().topic_prefix() + "matching-events", "AAPL", "probe", {}, {}});
  REQUIRE(probe_report.ok());
  bool found = false;
  for (const auto& message : messages) {
    auto envelope = json(message.value);
    if (envelope.at("data").at("order_id").as_int64() != order_id) continue;
    found = true;
    CHECK(message.key == "AAPL");
    CHECK(message.partition == probe_report->partition);
    CHECK(envelope.at("event_type").as_string() == "OrderCreated");
    CHECK(envelope.at("data").at("price").as_string() == "150.25");
  }
  CHECK(found);
}

TEST_CASE("insufficient funds end REJECTED with the reason and nothing reserved",
          "[orders][integration]") {
  open_account("pavel", "100");
  auto client = server().client();
  auto buy = client.post("/v1/orders", order_body("pavel", "AAPL", "BUY", 10, "150"));
  REQUIRE(buy.status == 202);
  auto sell = client.post("/v1/orders", order_body("pavel", "MSFT", "SELL", 51, "400"));
  REQUIRE(sell.status == 202);
  for (auto* response : {&buy, &sell}) {
    const auto id = json(response->body).at("order_id").as_int64();
    REQUIRE(eventually([&] {
      return get_json("/v1/orders/" + std::to_string(id)).at("status").as_string() == "REJECTED";
    }));
  }
  CHECK(get_json("/v1/orders/" + std::to_string(json(buy.body).at("order_id").as_int64()))
            .at("reject_reason")
            .as_string() == "insufficient_cash");
  CHECK(get_json("/v1/orders/" + std::to_string(json(sell.body).at("order_id").as_int64()))
            .at("reject_reason")
            .as_string() == "insufficient_shares");
  auto account = get_json("/v1/accounts/pavel");
  CHECK(account.at("cash").at("reserved").as_string() == "0");
  CHECK(account.at("positions").as_array()[0].at("reserved").as_int64() == 0);
}

TEST_CASE("200 concurrent orders on one account never over-reserve and never deadlock",
          "[orders][integration]") {
  // Cash for exactly 120 of the 200 orders (each holds 150).
  open_account("quinn", "18000");
  constexpr int kOrders = 200;
  constexpr int kConnections = 20;
  std::vector<std::future<std::vector<std::int64_t>>> senders;
  for (int c = 0; c < kConnections; ++c) {
    senders.push_back(std::async(std::launch::async, [c] {
      HttpClient client = server().client();
      std::vector<std::int64_t> ids;
      for (int i = c; i < kOrders; i += kConnections) {
        auto response = client.post("/v1/orders", order_body("quinn", "AAPL", "BUY", 1, "150"));
        if (response.status == 202) {
          ids.push_back(json(response.body).at("order_id").as_int64());
        } else {
          UNSCOPED_INFO("order refused: " << response.status << " " << response.body);
        }
      }
      return ids;
    }));
  }
  std::vector<std::int64_t> ids;
  for (auto& sender : senders) {
    auto part = sender.get();
    ids.insert(ids.end(), part.begin(), part.end());
  }
  REQUIRE(ids.size() == static_cast<std::size_t>(kOrders));
  // Every order decided: reserved (still PENDING, funds held) or REJECTED.
  REQUIRE(eventually([&] {
    return count("SELECT COUNT(*) FROM reservations WHERE user_id = 'quinn'") == kOrders;
  }));
  const int reserved = count(
      "SELECT COUNT(*) FROM reservations WHERE user_id = 'quinn' AND status = 'RESERVED'");
  const int rejected = count(
      "SELECT COUNT(*) FROM reservations WHERE user_id = 'quinn' AND status = 'REJECTED'");
  CHECK(reserved == 120);
  CHECK(rejected == 80);
  auto account = get_json("/v1/accounts/quinn");
  CHECK(account.at("cash").at("reserved").as_string() == "18000");
  CHECK(account.at("cash").at("available").as_string() == "0");
  CHECK(count("SELECT COUNT(*) FROM dead_letters") == 0);
  REQUIRE(eventually([&] {
    return count("SELECT COUNT(*) FROM orders WHERE user_id = 'quinn' AND status = 'REJECTED'") == 80;
  }));
}
