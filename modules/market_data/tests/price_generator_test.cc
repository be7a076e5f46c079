// Goal: the price generator, against a real MariaDB, seeds reference_prices from
// configuration without ever rewinding a stored price, writes only positive on-tick
// prices, writes only while it holds the "price_generator" lease (one of two generators
// writes), and a standby that takes the lease over continues from the stored price.
#include "bourse/market_data/price_generator.h"

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <span>
#include <thread>

#include "bourse/market_data/market_view_store.h"
#include "bourse/market_data/reference_price_store.h"
#include "project_migrations.h"
#include "test_database.h"

namespace bourse::market_data {
namespace {

Amount money(const char* text) { return Amount::parse(text).value(); }

Instrument instrument(const char* symbol, const char* tick, const char* reference) {
  Instrument result;
  result.symbol = symbol;
  result.tick_size = money(tick);
  result.reference_price = money(reference);
  REQUIRE(validate_instrument(result).ok());
  return result;
}

std::vector<Instrument> symbols() {
  return {instrument("AAPL", "0.01", "150"), instrument("BRK.A", "1", "700000")};
}

struct Database {
  Database() { bourse::testing::apply_project_migrations(pool); }

  std::map<std::string, StoredReferencePrice> stored() {
    std::map<std::string, StoredReferencePrice> rows;
    REQUIRE(pool.with_session([&](soci::session& s) { rows = load_reference_prices(s); }).ok());
    return rows;
  }
  Amount price(const std::string& symbol) {
    auto rows = stored();
    REQUIRE(rows.count(symbol) == 1);
    REQUIRE(rows.at(symbol).price.has_value());
    return *rows.at(symbol).price;
  }
  std::int64_t seq(const std::string& symbol) { return stored().at(symbol).seq; }
  // The matching service's write of a trade at `price`.
  void trade(const char* symbol, const char* price) {
    MarketView view;
    view.symbol = symbol;
    view.last_trade_price = money(price);
    view.last_trade_quantity = Quantity::of(1);
    REQUIRE(pool.with_session(
                    [&](soci::session& s) { upsert_market_views(s, std::span(&view, 1), 0, 1); })
                .ok());
  }

  bourse::testing::TestDatabase database;
  db::ConnectionPool pool{database.config()};
};

PriceGeneratorOptions lively() {
  PriceGeneratorOptions options;
  options.model.volatility = 2.0;
  options.model.step_interval = std::chrono::minutes(10);
  options.model.pull = 0;
  options.seed = 11;
  return options;
}

// Deterministic: no noise, each step goes all the way to the last trade (bounded 10%).
PriceGeneratorOptions follow_trades() {
  PriceGeneratorOptions options;
  options.model.volatility = 0;
  options.model.pull = 1;
  options.model.max_step_move_bps = 1'000;
  return options;
}

TEST_CASE("the generator seeds from configuration and writes positive on-tick prices",
          "[market_data][integration]") {
  Database db;
  PriceGenerator generator(db.pool, symbols(), lively());
  CHECK(db.stored().empty());
  bool moved = false;
  for (int round = 0; round < 60; ++round) {
    auto result = generator.run_once();
    REQUIRE(result.ok());
    REQUIRE(result->held);
    CHECK(result->conflicts == 0);
    for (const auto& [symbol, row] : db.stored()) {
      REQUIRE(row.price.has_value());
      const std::int64_t tick = symbol == "AAPL" ? 100 : 10'000;
      REQUIRE(row.price->units() > 0);
      REQUIRE(row.price->units() % tick == 0);
    }
    moved = moved || db.price("AAPL") != money("150");
  }
  CHECK(moved);
  CHECK(db.seq("AAPL") > 0);
  CHECK(generator.holds_lease());
  CHECK(generator.stats().rounds_held == 60);
}

TEST_CASE("seeding never rewinds a stored price; the generator continues from it",
          "[market_data][integration]") {
  Database db;
  REQUIRE(
      db.pool
          .with_session([](soci::session& s) {
            s << "INSERT INTO reference_prices (symbol, price, seq) VALUES ('AAPL', '171.5', 7)";
          })
          .ok());
  db.trade("AAPL", "180");
  PriceGenerator generator(db.pool, symbols(), follow_trades());
  auto first = generator.run_once();
  REQUIRE(first.ok());
  // From 171.5 (stored), not 150 (configured): 150 would be capped at 165.
  CHECK(db.price("AAPL") == money("180"));
  CHECK(db.seq("AAPL") == 8);
  CHECK(db.price("BRK.A") == money("700000"));  // seeded, no trade: unchanged
  CHECK(db.seq("BRK.A") == 0);
}

TEST_CASE("only the lease holder writes; the standby takes over from the stored price",
          "[market_data][integration]") {
  Database db;
  db::ConnectionPool other_instance(db.database.config());
  PriceGenerator first(db.pool, symbols(), follow_trades());
  PriceGenerator second(other_instance, symbols(), follow_trades());

  db.trade("AAPL", "180");
  REQUIRE(first.run_once()->held);
  CHECK(db.price("AAPL") == money("165"));  // 150 + 10%: the per-step bound
  auto standby = second.run_once();
  REQUIRE(standby.ok());
  CHECK_FALSE(standby->held);
  CHECK(standby->written == 0);
  REQUIRE(first.run_once()->held);
  CHECK(db.price("AAPL") == money("180"));
  const std::int64_t seq = db.seq("AAPL");

  db.trade("AAPL", "190");
  for (int i = 0; i < 3; ++i) {
    auto round = second.run_once();
    REQUIRE(round.ok());
    CHECK_FALSE(round->held);
  }
  CHECK(db.price("AAPL") == money("180"));  // the standby wrote nothing
  CHECK(db.seq("AAPL") == seq);
  CHECK_FALSE(second.holds_lease());

  first.stop();  // releases the lease, as a dead holder's session does
  auto took_over = second.run_once();
  REQUIRE(took_over.ok());
  CHECK(took_over->held);
  // From the stored 180: one step to 190. From configuration (150) it would be 165.
  CHECK(db.price("AAPL") == money("190"));
  CHECK(db.seq("AAPL") == seq + 1);
  CHECK(second.holds_lease());
}

TEST_CASE("two writers of one step: the compare-and-set lets one through",
          "[market_data][integration]") {
  Database db;
  const std::vector<Instrument> instruments = symbols();
  REQUIRE(db.pool
              .with_session([&](soci::session& s) {
                seed_reference_prices(s, instruments);
                CHECK(update_reference_price(s, "AAPL", money("151"), 0));
                CHECK_FALSE(update_reference_price(s, "AAPL", money("152"), 0));
                seed_reference_prices(s, instruments);  // idempotent
              })
              .ok());
  CHECK(db.price("AAPL") == money("151"));
  CHECK(db.seq("AAPL") == 1);
}

TEST_CASE("started, the generator steps on its own thread until stopped",
          "[market_data][integration]") {
  Database db;
  PriceGeneratorOptions options;
  options.model.volatility = kMaxAnnualVolatility;
  options.model.step_interval = std::chrono::milliseconds(20);
  PriceGenerator generator(db.pool, symbols(), options);
  generator.start();
  // Waits for progress (bounded, so a broken thread fails instead of hanging).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (generator.stats().prices_written < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  generator.stop();
  CHECK(generator.stats().prices_written >= 5);
  CHECK_FALSE(generator.holds_lease());
  const std::int64_t seq = db.seq("AAPL");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(db.seq("AAPL") == seq);  // stopped means stopped
}

}  // namespace
}  // namespace bourse::market_data
