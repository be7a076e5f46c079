// Goal: GET /v1/market/{symbol} and /v1/market/{symbol}/book over a real HTTP server
// answer what market_view holds (the contract in market_routes.h): reference and last
// trade prices, best bid and ask, levels cut at the asked depth, an empty book for a
// configured symbol with no row yet, 404 for an unknown symbol, 422 for a bad depth.
#include "routes/market_routes.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "bourse/market_data/market_view_store.h"
#include "bourse/market_data/reference_price_store.h"
#include "bourse/market_data/reference_prices.h"
#include "http/blocking_pool.h"
#include "http/server.h"
#include "http_client.h"
#include "project_migrations.h"
#include "test_database.h"

namespace bourse::routes {
namespace {

using bourse::testing::HttpClient;

Instrument instrument(const std::string& symbol, const char* reference) {
  Instrument result;
  result.symbol = symbol;
  result.tick_size = Amount::parse("0.01").value();
  result.reference_price = Amount::parse(reference).value();
  REQUIRE(validate_instrument(result).ok());
  return result;
}

market_data::PriceLevel level(const char* price, std::int64_t quantity, std::int64_t orders) {
  return {Amount::parse(price).value(), Quantity::of(quantity), orders};
}

struct MarketApi {
  MarketApi() : pool({"test", 2, 64}, registry), router(pool) {
    bourse::testing::apply_project_migrations(db_pool);
    symbols.emplace("AAPL", instrument("AAPL", "150"));
    symbols.emplace("MSFT", instrument("MSFT", "400"));
    add_market_routes(router, db_pool, symbols, references);
    http::ServerConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.io_threads = 1;
    server.emplace(config, router, registry);
    REQUIRE(server->start().ok());
  }
  ~MarketApi() {
    server->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    pool.stop();
  }
  HttpClient client() { return HttpClient("127.0.0.1", server->port()); }

  bourse::testing::TestDatabase database;
  db::ConnectionPool db_pool{database.config()};
  std::map<std::string, Instrument> symbols;
  // The live view; it serves configuration until refresh() loads a stored price.
  market_data::ReferencePrices references{db_pool, symbols};
  metrics::Registry registry;
  http::BlockingPool pool;
  http::Router router;
  std::optional<http::Server> server;
};

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

}  // namespace

TEST_CASE("the market routes answer the stored market view", "[market][routes][integration]") {
  MarketApi api;
  market_data::MarketView view;
  view.symbol = "AAPL";
  view.bids = {level("149.5", 10, 2), level("149", 3, 1), level("148", 1, 1)};
  view.asks = {level("150.5", 7, 1)};
  view.last_trade_price = Amount::parse("150.25").value();
  view.last_trade_quantity = Quantity::of(4);
  REQUIRE(api.db_pool
              .with_session([&](soci::session& session) {
                market_data::upsert_market_views(session, std::span(&view, 1), 0, 12);
              })
              .ok());
  HttpClient client = api.client();

  auto summary = client.get("/v1/market/AAPL");
  REQUIRE(summary.status == 200);
  CHECK(json(summary.body) ==
        boost::json::object{{"symbol", "AAPL"},
                            {"reference_price", "150"},
                            {"last_trade_price", "150.25"},
                            {"last_trade_quantity", 4},
                            {"best_bid", {{"price", "149.5"}, {"quantity", 10}, {"orders", 2}}},
                            {"best_ask", {{"price", "150.5"}, {"quantity", 7}, {"orders", 1}}}});

  auto book = client.get("/v1/market/AAPL/book?depth=2");
  REQUIRE(book.status == 200);
  const auto body = json(book.body);
  CHECK(body.at("symbol") == "AAPL");
  REQUIRE(body.at("bids").as_array().size() == 2);
  CHECK(body.at("bids").as_array()[1] ==
        boost::json::object{{"price", "149"}, {"quantity", 3}, {"orders", 1}});
  CHECK(body.at("asks").as_array().size() == 1);
  CHECK(json(client.get("/v1/market/AAPL/book").body).at("bids").as_array().size() == 3);
}

TEST_CASE("a configured symbol that never traded answers an empty book",
          "[market][routes][integration]") {
  MarketApi api;
  HttpClient client = api.client();
  auto summary = client.get("/v1/market/MSFT");
  REQUIRE(summary.status == 200);
  const auto body = json(summary.body);
  CHECK(body.at("reference_price") == "400");
  CHECK(body.at("last_trade_price").is_null());
  CHECK(body.at("best_bid").is_null());
  CHECK(body.at("best_ask").is_null());
  auto book = client.get("/v1/market/MSFT/book");
  REQUIRE(book.status == 200);
  CHECK(json(book.body) == boost::json::object{{"bids", boost::json::array{}},
                                               {"asks", boost::json::array{}},
                                               {"symbol", "MSFT"}});
}

TEST_CASE("the market route serves the live reference price once the view loads it",
          "[market][routes][integration]") {
  MarketApi api;
  HttpClient client = api.client();
  CHECK(json(client.get("/v1/market/AAPL").body).at("reference_price") == "150");
  REQUIRE(api.db_pool
              .with_session([&](soci::session& session) {
                std::vector<Instrument> all{api.symbols.at("AAPL"), api.symbols.at("MSFT")};
                market_data::seed_reference_prices(session, all);
                REQUIRE(market_data::update_reference_price(
                    session, "AAPL", Amount::parse("157.23").value(), 0));
              })
              .ok());
  CHECK(json(client.get("/v1/market/AAPL").body).at("reference_price") == "150");  // not loaded
  REQUIRE(api.references.refresh().ok());
  CHECK(json(client.get("/v1/market/AAPL").body).at("reference_price") == "157.23");
  CHECK(json(client.get("/v1/market/MSFT").body).at("reference_price") == "400");
}

TEST_CASE("unknown symbols are 404 and depths out of limits are 422",
          "[market][routes][integration]") {
  MarketApi api;
  HttpClient client = api.client();
  CHECK(client.get("/v1/market/NOPE").status == 404);
  CHECK(client.get("/v1/market/NOPE/book").status == 404);
  CHECK(client.get("/v1/market/AAPL/book?depth=0").status == 422);
  CHECK(client.get("/v1/market/AAPL/book?depth=51").status == 422);
  CHECK(client.get("/v1/market/AAPL/book?depth=abc").status == 422);
  CHECK(client.get("/v1/market/AAPL/book?depth=50").status == 200);
}

}  // namespace bourse::routes
