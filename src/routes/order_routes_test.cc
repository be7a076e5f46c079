// Goal: the order API over real HTTP and a real MariaDB answers as the README's contract
// says: a 202 means the order, its reservation and its OrderCreated event are committed,
// funds or shares that are not there are a 422 at once, idempotent replays are
// byte-identical, concurrent duplicates create one order, every kind of bad input gets its
// documented status and problem type and writes nothing, and reads, paging and cancel
// requests behave.
#include "routes/order_routes.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <thread>

#include "bourse/account/events.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/matching/events.h"
#include "bourse/order/events.h"
#include "bourse/order/status_follower.h"
#include "http/blocking_pool.h"
#include "http/server.h"
#include "http_client.h"
#include "order_fixture.h"

namespace bourse::routes {
namespace {

using bourse::testing::HttpClient;
using bourse::testing::HttpResponse;
using order::testing::OrderFixture;

// The order routes on an ephemeral loopback port over a scratch database. Declared in
// dependency order: the server goes first, the OrderService (in the fixture) last.
struct OrderApi {
  OrderApi()
      : fixture(order::OrderServiceOptions{}, 16),
        pool({"test", 4, 1'024}, registry),
        router(pool) {
    add_order_routes(router, *fixture.orders);
    http::ServerConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.io_threads = 2;
    server.emplace(config, router, registry);
    REQUIRE(server->start().ok());
    fixture.add_user("alice");
    fixture.add_user("bob");
    fixture.add_user("poor", "10");
  }
  ~OrderApi() {
    server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    pool.stop();
  }

  HttpClient client() { return HttpClient("127.0.0.1", server->port()); }
  std::vector<long long> counts() {
    return {fixture.rows("orders"), fixture.rows("order_outbox"),
            fixture.rows("order_idempotency_keys")};
  }
  // counts() and everything a reservation writes.
  std::vector<long long> state() {
    std::vector<long long> all = counts();
    for (long long n :
         {fixture.rows("reservations"), fixture.rows("ledger_entries"),
          fixture.count("SELECT CAST(SUM(reserved_units) AS SIGNED) FROM cash_balances"),
          fixture.count("SELECT CAST(SUM(reserved_quantity) AS SIGNED) FROM positions")}) {
      all.push_back(n);
    }
    return all;
  }

  OrderFixture fixture;
  metrics::Registry registry;
  http::BlockingPool pool;
  http::Router router;
  std::optional<http::Server> server;
};

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

std::string problem_type(const HttpResponse& response) {
  REQUIRE(response.header("Content-Type") == "application/problem+json");
  std::string type(json(response.body).at("type").as_string());
  return type.substr(type.rfind('/') + 1);
}

std::string order_body(const std::string& user = "alice", long long quantity = 10,
                       const std::string& price = "150.25") {
  return R"({"user_id":")" + user + R"(","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":)" +
         std::to_string(quantity) + R"(,"price":")" + price + R"("})";
}

long long order_id_of(const HttpResponse& response) {
  return json(response.body).at("order_id").as_int64();
}

}  // namespace

TEST_CASE("POST /v1/orders answers 202 only once the order and its event are committed",
          "[order][routes][integration]") {
  OrderApi api;
  HttpClient client = api.client();
  auto response = client.post("/v1/orders", order_body());
  REQUIRE(response.status == 202);
  const long long id = order_id_of(response);
  CHECK(response.body == R"({"order_id":)" + std::to_string(id) + R"(,"status":"PENDING"})");
  CHECK(response.header("Location") == "/v1/orders/" + std::to_string(id));
  // Right after the answer, from another connection: both rows are there.
  const std::string where = " WHERE order_id = " + std::to_string(id);
  CHECK(api.fixture.count("SELECT COUNT(*) FROM orders" + where) == 1);
  CHECK(api.fixture.count("SELECT COUNT(*) FROM order_outbox WHERE event_type = '" +
                          std::string(order::OrderCreated::kType) +
                          "' "
                          "AND JSON_VALUE(payload, '$.data.order_id') = " +
                          std::to_string(id)) == 1);
  std::string payload;
  REQUIRE(api.fixture.pool
              .with_session([&](soci::session& session) {
                session << "SELECT payload FROM order_outbox", soci::into(payload);
              })
              .ok());
  const auto data = json(payload).at("data").as_object();
  CHECK(data == boost::json::object{{"order_id", id},
                                    {"user_id", "alice"},
                                    {"symbol", "AAPL"},
                                    {"side", "BUY"},
                                    {"type", "LIMIT"},
                                    {"quantity", 10},
                                    {"price", "150.25"},
                                    {"time_in_force", "GTC"},
                                    {"reserved_cash", "1502.5"}});

  auto got = client.get("/v1/orders/" + std::to_string(id));
  REQUIRE(got.status == 200);
  auto order = json(got.body);
  CHECK(order.at("order_id").as_int64() == id);
  CHECK(order.at("user_id").as_string() == "alice");
  CHECK(order.at("symbol").as_string() == "AAPL");
  CHECK(order.at("side").as_string() == "BUY");
  CHECK(order.at("type").as_string() == "LIMIT");
  CHECK(order.at("time_in_force").as_string() == "GTC");
  CHECK(order.at("quantity").as_int64() == 10);
  CHECK(order.at("price").as_string() == "150.25");
  CHECK(order.at("status").as_string() == "PENDING");
  CHECK(order.at("reserved").as_string() == "1502.5");  // 10 x 150.25, held at entry
  CHECK(order.at("filled_quantity").as_int64() == 0);
  CHECK(order.at("remaining_quantity").as_int64() == 10);
  CHECK(order.at("average_price").is_null());
  CHECK(order.at("reject_reason").is_null());
  const std::string created(order.at("created_at").as_string());
  CHECK(created.size() == 27);
  CHECK(created.back() == 'Z');
  CHECK(created[10] == 'T');
  CHECK(order.at("updated_at").is_string());
}

TEST_CASE("a 422 at entry says what is available and needed, and its key replays it",
          "[order][routes][integration]") {
  OrderApi api;
  HttpClient client = api.client();
  const auto before = api.counts();
  const auto before_all = api.state();
  auto refused =
      client.post("/v1/orders", order_body("poor", 1, "150"), {{"Idempotency-Key", "p-1"}});
  REQUIRE(refused.status == 422);
  CHECK(problem_type(refused) == "insufficient-funds");
  CHECK(json(refused.body).at("detail").as_string() ==
        "insufficient funds: 10 available, 150 needed");
  CHECK(refused.header("Location").empty());
  // Only the key's answer was written.
  auto after = api.state();
  CHECK(after[2] == before[2] + 1);
  after[2] = before_all[2];
  CHECK(after == before_all);
  // The same key and body replay the 422, even once the cash is there.
  REQUIRE(api.fixture.accounts.deposit_cash("poor", Amount::parse("1000").value(), "top-up").ok());
  auto replay =
      client.post("/v1/orders", order_body("poor", 1, "150"), {{"Idempotency-Key", "p-1"}});
  CHECK(replay.status == 422);
  CHECK(replay.header("Idempotent-Replayed") == "true");
  CHECK(json(replay.body).at("detail") == json(refused.body).at("detail"));
  // A new key now succeeds.
  CHECK(client.post("/v1/orders", order_body("poor", 1, "150"), {{"Idempotency-Key", "p-2"}})
            .status == 202);
}

TEST_CASE("Idempotency-Key: replay is identical, reuse is 422, nothing extra is written",
          "[order][routes][integration]") {
  OrderApi api;
  HttpClient client = api.client();
  auto first = client.post("/v1/orders", order_body(), {{"Idempotency-Key", "k-1"}});
  REQUIRE(first.status == 202);
  const auto after_first = api.counts();
  CHECK(after_first == std::vector<long long>{1, 1, 1});
  // Same request, other spelling: a replay.
  auto replay = client.post(
      "/v1/orders",
      R"({ "price":"150.250", "quantity":10, "type":"LIMIT", "side":"BUY", "symbol":"AAPL", "user_id":"alice" })",
      {{"Idempotency-Key", "k-1"}});
  CHECK(replay.status == 202);
  CHECK(replay.body == first.body);
  CHECK(replay.header("Location") == first.header("Location"));
  CHECK(replay.header("Idempotent-Replayed") == "true");
  auto reused = client.post("/v1/orders", order_body("alice", 11), {{"Idempotency-Key", "k-1"}});
  CHECK(reused.status == 422);
  CHECK(problem_type(reused) == "idempotency-key-reused");
  CHECK(api.counts() == after_first);
  // Keys are scoped per user.
  auto bob = client.post("/v1/orders", order_body("bob"), {{"Idempotency-Key", "k-1"}});
  CHECK(bob.status == 202);
  CHECK(order_id_of(bob) != order_id_of(first));
}

TEST_CASE("50 concurrent requests with the same key create exactly one order",
          "[order][routes][integration]") {
  OrderApi api;
  constexpr int kRequests = 50;
  std::vector<HttpResponse> responses(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client = api.client();
      responses[i] = client.post("/v1/orders", order_body(), {{"Idempotency-Key", "same-key"}});
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> bodies;
  for (const auto& response : responses) {
    REQUIRE(response.status == 202);
    bodies.insert(response.body);
  }
  CHECK(bodies.size() == 1);
  CHECK(api.counts() == std::vector<long long>{1, 1, 1});
}

TEST_CASE("200 concurrent distinct orders are all committed with one event each",
          "[order][routes][integration]") {
  OrderApi api;
  constexpr int kThreads = 20;
  constexpr int kPerThread = 10;
  std::vector<std::vector<long long>> ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client = api.client();
      for (int i = 0; i < kPerThread; ++i) {
        auto response = client.post("/v1/orders", order_body(t % 2 ? "alice" : "bob", 1 + i));
        if (response.status != 202) {
          ++failures;
          continue;
        }
        ids[t].push_back(order_id_of(response));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  std::set<long long> all;
  for (const auto& list : ids) all.insert(list.begin(), list.end());
  CHECK(all.size() == kThreads * kPerThread);
  CHECK(api.fixture.rows("orders") == kThreads * kPerThread);
  CHECK(api.fixture.count("SELECT COUNT(DISTINCT JSON_VALUE(payload, '$.data.order_id')) FROM "
                          "order_outbox WHERE event_type = '" +
                          std::string(order::OrderCreated::kType) + "'") == kThreads * kPerThread);
  CHECK(api.fixture.rows("order_outbox") == kThreads * kPerThread);
}

TEST_CASE("bad input gets its documented status and problem type and writes nothing",
          "[order][routes][integration]") {
  OrderApi api;
  HttpClient client = api.client();
  REQUIRE(client.post("/v1/orders", order_body("alice", 5), {{"Idempotency-Key", "used"}}).status ==
          202);
  const auto before = api.state();
  struct Case {
    const char* name;
    std::string body;
    int status;
    const char* type;
    bourse::testing::HeaderList headers = {};
  };
  const std::string market =
      R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"MARKET","quantity":1)";
  const std::vector<Case> cases = {
      {"malformed JSON", R"({"user_id":"alice",)", 400, "malformed-json"},
      {"empty body", "", 400, "malformed-json"},
      {"not an object", "[1,2]", 400, "json-not-object"},
      {"quantity as a string",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":"10","price":"150"})",
       400, "wrong-type"},
      {"quantity as a float",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":1.5,"price":"150"})",
       400, "wrong-type"},
      {"price as a number",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":150})",
       400, "wrong-type"},
      {"missing symbol",
       R"({"user_id":"alice","side":"BUY","type":"LIMIT","quantity":10,"price":"150"})", 400,
       "missing-field"},
      {"missing quantity",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","price":"150"})", 400,
       "missing-field"},
      {"unknown symbol",
       R"({"user_id":"alice","symbol":"ZZZZ","side":"BUY","type":"LIMIT","quantity":10,"price":"150"})",
       422, "unknown-symbol"},
      {"unknown account", order_body("nobody"), 422, "unknown-account"},
      {"insufficient funds", order_body("poor", 1, "150"), 422, "insufficient-funds"},
      {"insufficient shares",
       R"({"user_id":"alice","symbol":"AAPL","side":"SELL","type":"LIMIT","quantity":200000,"price":"150"})",
       422, "insufficient-shares"},
      {"market buy over the funds",
       R"({"user_id":"poor","symbol":"AAPL","side":"BUY","type":"MARKET","quantity":1})", 422,
       "insufficient-funds"},
      {"invalid user id", order_body("no body"), 422, "invalid-user-id"},
      {"bad side",
       R"({"user_id":"alice","symbol":"AAPL","side":"HOLD","type":"LIMIT","quantity":10,"price":"150"})",
       422, "invalid-side"},
      {"bad type",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"STOP","quantity":10,"price":"150"})",
       422, "invalid-order-type"},
      {"zero quantity", order_body("alice", 0), 422, "invalid-quantity"},
      {"negative quantity", order_body("alice", -3), 422, "invalid-quantity"},
      {"oversized quantity", order_body("alice", 1'000'001), 422, "quantity-too-large"},
      {"huge quantity",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":99999999999999999999,"price":"150"})",
       400, ""},
      {"off-tick price", order_body("alice", 10, "150.255"), 422, "off-tick-price"},
      {"price below the band", order_body("alice", 10, "100"), 422, "price-outside-band"},
      {"price above the band", order_body("alice", 10, "200"), 422, "price-outside-band"},
      {"too many decimals", order_body("alice", 10, "150.12345"), 422, "amount-scale"},
      {"not a decimal", order_body("alice", 10, "1e2"), 422, "invalid-amount"},
      {"LIMIT without price",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10})", 422,
       "missing-price"},
      {"MARKET with price", market + R"(,"price":"150"})", 422, "unexpected-price"},
      {"MARKET GTC", market + R"(,"time_in_force":"GTC"})", 422, "invalid-time-in-force"},
      {"bad time in force", market + R"(,"time_in_force":"DAY"})", 422, "invalid-time-in-force"},
      {"key reused with another body",
       order_body("alice", 6),
       422,
       "idempotency-key-reused",
       {{"Idempotency-Key", "used"}}},
      {"key too long",
       order_body("alice", 6),
       422,
       "invalid-idempotency-key",
       {{"Idempotency-Key", std::string(129, 'k')}}},
      {"text body", "hello", 415, "unsupported-media-type", {{"Content-Type", "text/plain"}}},
      {"duplicate user_id",
       R"({"user_id":"alice","user_id":"bob","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150"})",
       400,
       "duplicate-key",
       {{"Idempotency-Key", "dup-key"}}},
      {"duplicate key with one value",
       R"({"user_id":"alice","symbol":"AAPL","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150"})",
       400, "duplicate-key"},
      {"duplicate quantity", market + R"(,"quantity":2})", 400, "duplicate-key"},
  };
  for (const Case& c : cases) {
    INFO(c.name << ": " << c.body);
    auto response = client.post("/v1/orders", c.body, c.headers);
    CHECK(response.status == c.status);
    CHECK(response.header("Content-Type") == "application/problem+json");
    if (std::string(c.type).size() > 0) CHECK(problem_type(response) == c.type);
  }
  SECTION("a 10 MB body is 413") {
    bourse::testing::RawConnection raw("127.0.0.1", api.server->port());
    const std::size_t size = 10 * 1024 * 1024;
    raw.send(
        "POST /v1/orders HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(size) + "\r\n\r\n");
    (void)raw.send(std::string(size, ' '));  // may fail once the server has closed
    auto response = raw.read_response();
    REQUIRE(response.has_value());
    CHECK(response->status == 413);
    CHECK(response->header("Content-Type") == "application/problem+json");
  }
  CHECK(api.state() == before);
  // The refused duplicate-key request stored nothing under its key: it is still fresh.
  auto fresh = client.post("/v1/orders", order_body("alice", 7), {{"Idempotency-Key", "dup-key"}});
  CHECK(fresh.status == 202);
  CHECK_FALSE(fresh.has_header("Idempotent-Replayed"));
}

TEST_CASE("GET and list: 404, filters, cursor paging and bad parameters",
          "[order][routes][integration]") {
  OrderApi api;
  HttpClient client = api.client();
  std::vector<long long> alice;
  for (int i = 0; i < 5; ++i) {
    alice.push_back(order_id_of(client.post("/v1/orders", order_body("alice", 1 + i))));
    REQUIRE(client.post("/v1/orders", order_body("bob")).status == 202);
  }
  CHECK(problem_type(client.get("/v1/orders/999999")) == "order-not-found");
  CHECK(client.get("/v1/orders/999999").status == 404);
  CHECK(client.get("/v1/orders/abc").status == 404);
  CHECK(client.get("/v1/orders/-1").status == 404);

  std::vector<long long> seen;
  std::string target = "/v1/orders?user_id=alice&limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto response = client.get(target);
    REQUIRE(response.status == 200);
    auto page = json(response.body);
    for (const auto& order : page.at("data").as_array()) {
      CHECK(order.at("user_id").as_string() == "alice");
      seen.push_back(order.at("order_id").as_int64());
    }
    if (!page.at("has_more").as_bool()) break;
    target = "/v1/orders?user_id=alice&limit=2&starting_after=" + std::to_string(seen.back());
  }
  std::reverse(alice.begin(), alice.end());
  CHECK(seen == alice);

  auto all = json(client.get("/v1/orders?symbol=AAPL&status=PENDING").body);
  CHECK(all.at("data").as_array().size() == 10);
  CHECK_FALSE(all.at("has_more").as_bool());
  CHECK(json(client.get("/v1/orders?status=FILLED").body).at("data").as_array().empty());

  for (const char* bad : {"/v1/orders?limit=0", "/v1/orders?limit=501", "/v1/orders?limit=x",
                          "/v1/orders?status=DONE", "/v1/orders?starting_after=x",
                          "/v1/orders?user_id=a%20b", "/v1/orders?symbol=aapl"}) {
    INFO(bad);
    CHECK(client.get(bad).status == 422);
  }
  CHECK(problem_type(client.get("/v1/orders?limit=0")) == "invalid-limit");
  CHECK(problem_type(client.get("/v1/orders?status=DONE")) == "invalid-status");
}

TEST_CASE("DELETE writes CancelRequested once, 409 when terminal, 404 when unknown",
          "[order][routes][integration]") {
  OrderApi api;
  HttpClient client = api.client();
  const long long id = order_id_of(client.post("/v1/orders", order_body()));
  const std::string path = "/v1/orders/" + std::to_string(id);
  auto first = client.request("DELETE", path);
  CHECK(first.status == 202);
  CHECK(json(first.body).at("status").as_string() == "PENDING");
  CHECK(client.request("DELETE", path).status == 202);
  CHECK(api.fixture.count("SELECT COUNT(*) FROM order_outbox WHERE event_type = '" +
                          std::string(order::CancelRequested::kType) + "'") == 1);
  CHECK(client.request("DELETE", "/v1/orders/999999").status == 404);

  // Another order ends REJECTED (as matching will say, e.g. book full): not cancellable.
  const long long other = order_id_of(client.post("/v1/orders", order_body("alice", 3)));
  REQUIRE(api.fixture.pool
              .with_session([&](soci::session& session) {
                session << "UPDATE orders SET status = 'REJECTED', reject_reason = 'book_full' "
                           "WHERE order_id = " +
                               std::to_string(other);
              })
              .ok());
  auto order = json(client.get("/v1/orders/" + std::to_string(other)).body);
  CHECK(order.at("status").as_string() == "REJECTED");
  CHECK(order.at("reject_reason").as_string() == "book_full");
  auto conflict = client.request("DELETE", "/v1/orders/" + std::to_string(other));
  CHECK(conflict.status == 409);
  CHECK(problem_type(conflict) == "order-not-cancellable");
  CHECK(api.fixture.count("SELECT COUNT(*) FROM order_outbox WHERE event_type = '" +
                          std::string(order::CancelRequested::kType) + "'") == 1);
}

namespace {

// Hands `event` to the order status follower in one transaction, as its consumer does.
template <typename Event>
void follow(OrderApi& api, consumer::EventHandler& handler, const Event& event) {
  const envelope::Envelope wrapped{random_uuid_v4(),
                                   std::string(Event::kType),
                                   Event::kVersion,
                                   format_rfc3339_utc(std::chrono::system_clock::now()),
                                   std::string(Event::kAggregateType),
                                   event.aggregate_id(),
                                   event.to_json()};
  REQUIRE(api.fixture.pool
              .in_transaction([&](soci::session& session) {
                return handler.handle(session, wrapped, kafka::Message{});
              })
              .ok());
}

account::events::TradeSettled settled_trade(long long trade_id, long long buy, long long sell,
                                            long long quantity, const char* price) {
  account::events::TradeSettled trade;
  trade.trade_id = TradeId(trade_id);
  trade.symbol = "AAPL";
  trade.price = Amount::parse(price).value();
  trade.quantity = Quantity::of(quantity);
  trade.buy_order_id = OrderId(buy);
  trade.sell_order_id = OrderId(sell);
  trade.buyer = "alice";
  trade.seller = "bob";
  trade.executed_at = "2026-11-30T10:00:00Z";
  trade.settled_at = "2026-11-30T10:00:01Z";
  return trade;
}

}  // namespace

TEST_CASE("DELETE follows the status: 202 while live, 409 once FILLED or CANCELLED",
          "[order][routes][integration]") {
  OrderApi api;
  metrics::Registry follower_metrics;
  auto handler = order::make_status_handler(follower_metrics);
  HttpClient client = api.client();
  const long long buy = order_id_of(client.post("/v1/orders", order_body("alice", 10, "150")));
  const std::string sell_body =
      R"({"user_id":"bob","symbol":"AAPL","side":"SELL","type":"LIMIT","quantity":4,"price":"149"})";
  const long long sell = order_id_of(client.post("/v1/orders", sell_body));
  const auto cancel_requests = [&] {
    return api.fixture.count("SELECT COUNT(*) FROM order_outbox WHERE event_type = '" +
                             std::string(order::CancelRequested::kType) + "'");
  };

  // OPEN, then PARTIALLY_FILLED: cancellable.
  follow(api, *handler,
         matching::events::OrderAccepted{OrderId(buy), "alice", "AAPL", Side::kBuy,
                                         Amount::parse("150").value(), Quantity::of(10)});
  CHECK(json(client.get("/v1/orders/" + std::to_string(buy)).body).at("status") == "OPEN");
  follow(api, *handler, settled_trade(1024, buy, sell, 4, "149.5"));
  auto partial = json(client.get("/v1/orders/" + std::to_string(buy)).body);
  CHECK(partial.at("status") == "PARTIALLY_FILLED");
  CHECK(partial.at("filled_quantity") == 4);
  CHECK(partial.at("remaining_quantity") == 6);
  CHECK(partial.at("average_price") == "149.5");
  CHECK(partial.at("cash_cap").is_null());
  auto accepted = client.request("DELETE", "/v1/orders/" + std::to_string(buy));
  CHECK(accepted.status == 202);
  CHECK(json(accepted.body).at("status") == "PARTIALLY_FILLED");
  CHECK(cancel_requests() == 1);

  // The sell filled: 409, nothing written.
  CHECK(json(client.get("/v1/orders/" + std::to_string(sell)).body).at("status") == "FILLED");
  auto filled = client.request("DELETE", "/v1/orders/" + std::to_string(sell));
  CHECK(filled.status == 409);
  CHECK(problem_type(filled) == "order-not-cancellable");
  CHECK(cancel_requests() == 1);

  // The buy's remainder is released after the cancel: CANCELLED (reason user), keeps its
  // fill; a second DELETE is now 409.
  account::events::ReservationReleased released;
  released.order_id = OrderId(buy);
  released.user_id = "alice";
  released.symbol = "AAPL";
  released.side = Side::kBuy;
  released.cause = account::events::ReleaseCause::kCancelled;
  released.reason = "user";
  released.released_cash = Amount::parse("902").value();
  follow(api, *handler, released);
  auto cancelled = json(client.get("/v1/orders/" + std::to_string(buy)).body);
  CHECK(cancelled.at("status") == "CANCELLED");
  CHECK(cancelled.at("cancel_reason") == "user");
  CHECK(cancelled.at("reject_reason").is_null());
  CHECK(cancelled.at("filled_quantity") == 4);
  CHECK(cancelled.at("average_price") == "149.5");
  auto again = client.request("DELETE", "/v1/orders/" + std::to_string(buy));
  CHECK(again.status == 409);
  CHECK(problem_type(again) == "order-not-cancellable");
  CHECK(cancel_requests() == 1);
}

}  // namespace bourse::routes
