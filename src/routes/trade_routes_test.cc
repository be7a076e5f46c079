// Goal: GET /v1/trades over real HTTP and a real MariaDB serves the trade record that the
// order status follower wrote: newest first, filtered by symbol, user (buyer or seller)
// and order (either side), paged with a cursor without gaps or repeats, settled_at null
// until settlement; bad parameters are 422 problems and write nothing.
#include "routes/trade_routes.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "bourse/account/events.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/matching/events.h"
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

// The trade route on an ephemeral loopback port over a scratch database, and the status
// follower's handler to record trades the way production does.
struct TradeApi {
  TradeApi()
      : fixture(order::OrderServiceOptions{}, 8),
        pool({"test", 2, 1'024}, registry),
        router(pool),
        handler(order::make_status_handler(registry)) {
    add_trade_routes(router, *fixture.orders);
    http::ServerConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.io_threads = 1;
    server.emplace(config, router, registry);
    REQUIRE(server->start().ok());
    for (const char* user : {"alice", "bob", "carol"}) fixture.add_user(user);
  }
  ~TradeApi() {
    server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    pool.stop();
  }

  HttpClient client() { return HttpClient("127.0.0.1", server->port()); }

  OrderId place(const std::string& user, Side side, const char* symbol, const char* price) {
    order::OrderRequest request = fixture.limit_buy(user, 100, price);
    request.symbol = symbol;
    request.side = side;
    auto placed = order::testing::submit_and_wait(*fixture.orders, std::move(request));
    REQUIRE(placed.ok());
    REQUIRE(placed->http_status == 202);
    return placed->order_id;
  }

  template <typename Event>
  void deliver(const Event& event) {
    const envelope::Envelope wrapped{random_uuid_v4(),
                                     std::string(Event::kType),
                                     Event::kVersion,
                                     format_rfc3339_utc(std::chrono::system_clock::now()),
                                     std::string(Event::kAggregateType),
                                     event.aggregate_id(),
                                     event.to_json()};
    const kafka::Message message;
    REQUIRE(fixture.pool
                .in_transaction([&](soci::session& session) {
                  return handler->handle(session, wrapped, message);
                })
                .ok());
  }

  // A trade of 1 share, executed at 10:00:<second>, settled if `settle`.
  matching::events::TradeExecuted trade(long long trade_id, const char* symbol, const char* price,
                                        OrderId buy, const std::string& buyer, OrderId sell,
                                        const std::string& seller, int second, bool settle) {
    matching::events::TradeExecuted executed;
    executed.trade_id = TradeId(trade_id);
    executed.symbol = symbol;
    executed.price = Amount::parse(price).value();
    executed.quantity = Quantity::of(1);
    executed.buy_order_id = buy;
    executed.sell_order_id = sell;
    executed.buyer = buyer;
    executed.seller = seller;
    executed.taker_side = Side::kBuy;
    executed.buy_remaining = Quantity::of(50);
    executed.sell_remaining = Quantity::of(50);
    executed.executed_at = "2026-11-30T10:00:0" + std::to_string(second) + ".000001Z";
    deliver(executed);
    if (settle) {
      account::events::TradeSettled settled;
      settled.trade_id = executed.trade_id;
      settled.symbol = executed.symbol;
      settled.price = executed.price;
      settled.quantity = executed.quantity;
      settled.buy_order_id = buy;
      settled.sell_order_id = sell;
      settled.buyer = buyer;
      settled.seller = seller;
      settled.executed_at = executed.executed_at;
      settled.settled_at = "2026-11-30T10:00:09.5Z";
      deliver(settled);
    }
    return executed;
  }

  std::vector<long long> counts() {
    return {fixture.rows("trades"), fixture.rows("orders"), fixture.rows("order_outbox")};
  }

  OrderFixture fixture;
  metrics::Registry registry;
  http::BlockingPool pool;
  http::Router router;
  std::unique_ptr<consumer::EventHandler> handler;
  std::optional<http::Server> server;
};

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

std::string problem_type(const HttpResponse& response) {
  REQUIRE(response.header("Content-Type") == "application/problem+json");
  std::string type(json(response.body).at("type").as_string());
  return type.substr(type.rfind('/') + 1);
}

// The trade ids of one page, in order.
std::vector<long long> ids(const boost::json::object& page) {
  std::vector<long long> out;
  for (const auto& trade : page.at("data").as_array()) out.push_back(trade.at("trade_id").as_int64());
  return out;
}

// Every page of `target` (with limit `limit`), following the cursor.
std::vector<long long> all_pages(HttpClient& client, const std::string& target, int limit) {
  std::vector<long long> seen;
  const std::string separator = target.find('?') == std::string::npos ? "?" : "&";
  std::string next = target + separator + "limit=" + std::to_string(limit);
  for (int pages = 0; pages < 20; ++pages) {
    auto response = client.get(next);
    REQUIRE(response.status == 200);
    auto page = json(response.body);
    auto page_ids = ids(page);
    CHECK(page_ids.size() <= static_cast<std::size_t>(limit));
    seen.insert(seen.end(), page_ids.begin(), page_ids.end());
    if (!page.at("has_more").as_bool()) return seen;
    CHECK(page_ids.size() == static_cast<std::size_t>(limit));
    next = target + separator + "limit=" + std::to_string(limit) +
           "&starting_after=" + std::to_string(seen.back());
  }
  FAIL("more than 20 pages");
  return seen;
}

}  // namespace

TEST_CASE("GET /v1/trades: newest first, filters, cursor paging, settled_at",
          "[trade][routes][integration]") {
  TradeApi api;
  const OrderId alice_buy_cent = api.place("alice", Side::kBuy, "CENT", "100");
  const OrderId bob_sell_cent = api.place("bob", Side::kSell, "CENT", "100");
  const OrderId carol_buy_cent = api.place("carol", Side::kBuy, "CENT", "100");
  const OrderId alice_sell_cent = api.place("alice", Side::kSell, "CENT", "99");
  const OrderId bob_buy_aapl = api.place("bob", Side::kBuy, "AAPL", "151");
  const OrderId carol_sell_aapl = api.place("carol", Side::kSell, "AAPL", "150");
  const OrderId alice_buy_aapl = api.place("alice", Side::kBuy, "AAPL", "150");
  // Trade ids are global, not in time order across symbols (they carry the partition):
  // the list is ordered by execution time, then trade id.
  api.trade(3072, "CENT", "100", alice_buy_cent, "alice", bob_sell_cent, "bob", 1, true);
  api.trade(1024, "CENT", "99.5", carol_buy_cent, "carol", alice_sell_cent, "alice", 2, false);
  api.trade(1025, "AAPL", "150.25", bob_buy_aapl, "bob", carol_sell_aapl, "carol", 3, true);
  api.trade(4096, "CENT", "100", alice_buy_cent, "alice", bob_sell_cent, "bob", 4, false);
  api.trade(2049, "AAPL", "150", alice_buy_aapl, "alice", carol_sell_aapl, "carol", 4, true);
  // Newest first: 10:00:04 (4096, 2049: same instant, larger id first), :03, :02, :01.
  const std::vector<long long> newest_first = {4096, 2049, 1025, 1024, 3072};

  HttpClient client = api.client();
  auto everything = client.get("/v1/trades");
  REQUIRE(everything.status == 200);
  auto page = json(everything.body);
  CHECK(ids(page) == newest_first);
  CHECK_FALSE(page.at("has_more").as_bool());

  // One trade in full.
  const auto& first = page.at("data").as_array().at(2).as_object();
  CHECK(first == boost::json::object{{"trade_id", 1025},
                                     {"symbol", "AAPL"},
                                     {"price", "150.25"},
                                     {"quantity", 1},
                                     {"buy_order_id", bob_buy_aapl.value()},
                                     {"sell_order_id", carol_sell_aapl.value()},
                                     {"buyer", "bob"},
                                     {"seller", "carol"},
                                     {"executed_at", "2026-11-30T10:00:03.000001Z"},
                                     {"settled_at", "2026-11-30T10:00:09.500000Z"}});
  CHECK(page.at("data").as_array().at(0).at("settled_at").is_null());  // 4096: not settled

  const auto list = [&](const std::string& target) {
    auto response = client.get(target);
    REQUIRE(response.status == 200);
    return ids(json(response.body));
  };
  CHECK(list("/v1/trades?symbol=CENT") == std::vector<long long>{4096, 1024, 3072});
  CHECK(list("/v1/trades?symbol=MSFT").empty());
  // A user's trades as buyer or seller.
  CHECK(list("/v1/trades?user_id=alice") == std::vector<long long>{4096, 2049, 1024, 3072});
  CHECK(list("/v1/trades?user_id=carol") == std::vector<long long>{2049, 1025, 1024});
  CHECK(list("/v1/trades?user_id=alice&symbol=AAPL") == std::vector<long long>{2049});
  CHECK(list("/v1/trades?user_id=nobody").empty());
  // An order's trades, whichever side it is on.
  CHECK(list("/v1/trades?order_id=" + std::to_string(alice_buy_cent.value())) ==
        std::vector<long long>{4096, 3072});
  CHECK(list("/v1/trades?order_id=" + std::to_string(carol_sell_aapl.value())) ==
        std::vector<long long>{2049, 1025});
  CHECK(list("/v1/trades?order_id=" + std::to_string(carol_sell_aapl.value()) +
             "&user_id=bob") == std::vector<long long>{1025});
  CHECK(list("/v1/trades?order_id=" + std::to_string(alice_sell_cent.value()) +
             "&symbol=AAPL")
            .empty());

  // Paging returns every trade exactly once, in order, whatever the page size.
  for (int limit : {1, 2, 3, 5, 500}) {
    INFO("limit " << limit);
    CHECK(all_pages(client, "/v1/trades", limit) == newest_first);
    CHECK(all_pages(client, "/v1/trades?user_id=alice", limit) ==
          std::vector<long long>{4096, 2049, 1024, 3072});
  }
  auto first_page = json(client.get("/v1/trades?limit=2").body);
  CHECK(ids(first_page) == std::vector<long long>{4096, 2049});
  CHECK(first_page.at("has_more").as_bool());
  auto last_page = json(client.get("/v1/trades?limit=2&starting_after=1024").body);
  CHECK(ids(last_page) == std::vector<long long>{3072});
  CHECK_FALSE(last_page.at("has_more").as_bool());
}

TEST_CASE("GET /v1/trades: bad parameters are 422 problems and write nothing",
          "[trade][routes][integration]") {
  TradeApi api;
  const OrderId buy = api.place("alice", Side::kBuy, "CENT", "100");
  const OrderId sell = api.place("bob", Side::kSell, "CENT", "100");
  api.trade(1024, "CENT", "100", buy, "alice", sell, "bob", 1, true);
  HttpClient client = api.client();
  const auto before = api.counts();
  struct Case {
    const char* target;
    const char* type;
  };
  for (const Case& c : {Case{"/v1/trades?limit=0", "invalid-limit"},
                        Case{"/v1/trades?limit=501", "invalid-limit"},
                        Case{"/v1/trades?limit=x", "invalid-limit"},
                        Case{"/v1/trades?limit=-1", "invalid-limit"},
                        Case{"/v1/trades?symbol=cent", "invalid-symbol"},
                        Case{"/v1/trades?symbol=", "invalid-symbol"},
                        Case{"/v1/trades?user_id=a%20b", "invalid-user-id"},
                        Case{"/v1/trades?order_id=x", "invalid-order-id"},
                        Case{"/v1/trades?order_id=0", "invalid-order-id"},
                        Case{"/v1/trades?starting_after=x", "invalid-cursor"},
                        Case{"/v1/trades?starting_after=999999", "invalid-cursor"}}) {
    INFO(c.target);
    auto response = client.get(c.target);
    CHECK(response.status == 422);
    CHECK(problem_type(response) == c.type);
    CHECK(json(response.body).at("status").as_int64() == 422);
  }
  CHECK(api.counts() == before);
  CHECK(client.get("/v1/trades?limit=500").status == 200);
}

}  // namespace bourse::routes
