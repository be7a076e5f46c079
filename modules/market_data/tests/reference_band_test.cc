// Goal: order entry checks the price band and caps market BUYs against the LIVE
// reference price: once a new reference is stored in reference_prices and the
// ReferencePrices view has refreshed, an order is accepted or refused per the new band
// and a market BUY reserves from the new reference, while an order accepted earlier
// keeps what it reserved. Real MariaDB, the real OrderService.
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "bourse/market_data/reference_price_store.h"
#include "bourse/market_data/reference_prices.h"
#include "order_fixture.h"

namespace bourse::market_data {
namespace {

using order::OrderRequest;
using order::OrderService;
using order::OrderServiceOptions;
using order::testing::OrderFixture;
using order::testing::submit_and_wait;

Amount money(const char* text) { return Amount::parse(text).value(); }

// Stores `price` as AAPL's reference (what the generator's round does).
void store_reference(db::ConnectionPool& pool, const order::InstrumentTable& instruments,
                     const char* price) {
  REQUIRE(pool.with_session([&](soci::session& s) {
                std::vector<Instrument> all;
                for (const auto& [symbol, instrument] : instruments) all.push_back(instrument);
                seed_reference_prices(s, all);
                const auto stored = load_reference_prices(s);
                REQUIRE(update_reference_price(s, "AAPL", money(price), stored.at("AAPL").seq));
              })
              .ok());
}

// Lets the view's own thread pick the stored price up (bounded wait on the view's state).
void await_reference(const ReferencePrices& view, const char* price) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (view.loaded("AAPL") != money(price) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(view.loaded("AAPL") == money(price));
}

OrderRequest market_buy(const std::string& user, long long quantity) {
  OrderRequest request;
  request.user_id = user;
  request.symbol = "AAPL";
  request.side = Side::kBuy;
  request.type = OrderType::kMarket;
  request.time_in_force = TimeInForce::kIoc;
  request.quantity = Quantity::of(quantity);
  return request;
}

boost::json::object limit_body(const char* price) {
  return boost::json::object{{"user_id", "alice"}, {"symbol", "AAPL"}, {"side", "BUY"},
                             {"type", "LIMIT"},    {"quantity", 10},   {"price", price}};
}

TEST_CASE("the price band and the market-buy cap follow the stored reference price",
          "[market_data][order][integration]") {
  OrderFixture f;
  ReferencePrices view(f.pool, f.instruments, std::chrono::milliseconds(50));
  // The fixture's service reads configuration; this one reads the live view.
  f.orders->stop();
  OrderServiceOptions options;
  options.order_events_topic = "test.order-events";
  options.reference_prices = &view;
  f.orders = std::make_unique<OrderService>(f.pool, f.accounts, f.instruments, options);
  f.add_user("alice");

  // Before any load: the configured 150, band [135, 165].
  CHECK(view.reference_price(f.instruments.at("AAPL")) == money("150"));
  CHECK(f.orders->parse_request(limit_body("165")).ok());
  auto refused = f.orders->parse_request(limit_body("170"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason == "price_outside_band");
  auto refused_submit = submit_and_wait(*f.orders, f.limit_buy("alice", 10, "170"));
  REQUIRE_FALSE(refused_submit.ok());
  CHECK(refused_submit.error().reason == "price_outside_band");
  auto before = submit_and_wait(*f.orders, market_buy("alice", 10));
  REQUIRE(before.ok());
  REQUIRE(before->http_status == 202);

  // The generator moves AAPL to 180: band [162, 198].
  store_reference(f.pool, f.instruments, "180");
  view.start();
  await_reference(view, "180");
  CHECK(f.orders->parse_request(limit_body("170")).ok());
  CHECK(f.orders->parse_request(limit_body("198")).ok());
  auto below = f.orders->parse_request(limit_body("150"));
  REQUIRE_FALSE(below.ok());
  CHECK(below.error().reason == "price_outside_band");
  CHECK(f.orders->parse_request(limit_body("198.01")).error().reason == "price_outside_band");
  auto accepted = submit_and_wait(*f.orders, f.limit_buy("alice", 10, "170"));
  REQUIRE(accepted.ok());
  CHECK(accepted->http_status == 202);
  auto now_refused = submit_and_wait(*f.orders, f.limit_buy("alice", 10, "150"));
  REQUIRE_FALSE(now_refused.ok());
  CHECK(now_refused.error().reason == "price_outside_band");
  auto after = submit_and_wait(*f.orders, market_buy("alice", 10));
  REQUIRE(after.ok());
  REQUIRE(after->http_status == 202);

  // A market BUY reserves quantity x reference x (1 + band) of the reference in force.
  auto first_order = f.orders->get_order(before->order_id);
  auto second_order = f.orders->get_order(after->order_id);
  REQUIRE(first_order.ok());
  REQUIRE(second_order.ok());
  CHECK(first_order->reserved_cash == money("1650"));   // 10 x 150 x 1.1
  CHECK(second_order->reserved_cash == money("1980"));  // 10 x 180 x 1.1
  CHECK(second_order->cash_cap == money("1980"));

  // The reference moves again: the accepted orders keep what they reserved.
  store_reference(f.pool, f.instruments, "120");
  await_reference(view, "120");
  CHECK(f.orders->get_order(after->order_id)->reserved_cash == money("1980"));
  CHECK(f.orders->get_order(accepted->order_id)->reserved_cash == money("1700"));
  CHECK(f.orders->parse_request(limit_body("170")).error().reason == "price_outside_band");
  view.stop();
}

TEST_CASE("the view serves configuration until loaded and ignores unusable rows",
          "[market_data][integration]") {
  OrderFixture f;
  ReferencePrices view(f.pool, f.instruments, std::chrono::milliseconds(50));
  const Instrument& aapl = f.instruments.at("AAPL");
  REQUIRE(view.refresh().ok());  // no rows yet
  CHECK(view.reference_price(aapl) == money("150"));
  REQUIRE(f.pool
              .with_session([](soci::session& s) {
                s << "INSERT INTO reference_prices (symbol, price) VALUES"
                     " ('AAPL', '151.005'), ('CENT', '-3'), ('LOTS', '21.5'), ('ZZZZ', '5')";
              })
              .ok());
  REQUIRE(view.refresh().ok());
  CHECK(view.reference_price(aapl) == money("150"));  // off the 0.01 tick
  CHECK_FALSE(view.loaded("AAPL").has_value());
  CHECK(view.reference_price(f.instruments.at("CENT")) == money("100"));  // not positive
  CHECK(view.reference_price(f.instruments.at("LOTS")) == money("21.5"));
  CHECK_FALSE(view.loaded("ZZZZ").has_value());  // not in the symbol table
}

}  // namespace
}  // namespace bourse::market_data
