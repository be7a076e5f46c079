// Goal: against a real MariaDB, the reconciler is OK for accounts opened with unequal
// balances and later cash and share deposits (written by the account module itself),
// names the account and asset of a balance corrupted directly in SQL, and is OK again
// once repaired; each order and trade check names the order or trade a corruption of
// the order or account module's rows makes it disagree with; the store keeps only the
// newest runs; and of two jobs on one database only the lease holder runs, the other
// taking over when it stops.
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bourse/account/account_service.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/scheduler/reconciler.h"
#include "bourse/scheduler/reconciliation_job.h"
#include "bourse/scheduler/reconciliation_service.h"
#include "bourse/scheduler/reconciliation_store.h"
#include "project_migrations.h"
#include "test_database.h"

using namespace bourse;
using namespace bourse::scheduler;

namespace {

constexpr const char* kGroup = "t.order-status-account";

struct Fixture {
  Fixture() : pool(database.config()), accounts(pool) {
    bourse::testing::apply_project_migrations(pool);
  }
  std::size_t order_pass_slice = kDefaultOrderPassSliceOrders;
  void execute(const std::string& sql) {
    REQUIRE(pool.with_session([&](soci::session& session) { session << sql; }).ok());
  }
  long long count(const std::string& sql) {
    long long n = -1;
    REQUIRE(pool.with_session([&](soci::session& session) { session << sql, soci::into(n); }).ok());
    return n;
  }
  ReconciliationReport run() {
    ReconcilerOptions options{kGroup};
    options.order_pass_slice_orders = order_pass_slice;
    Reconciler reconciler(pool, options, SystemClock::instance());
    auto report = reconciler.run();
    INFO((report ? std::string() : report.error().message));
    REQUIRE(report.ok());
    return std::move(*report);
  }
  void open_unequal_accounts_and_deposit() {
    REQUIRE(
        accounts.open_account("alice", Amount::parse("10000").value(), {{"AAPL", Quantity::of(50)}})
            .ok());
    REQUIRE(accounts.open_account("bob", Amount::parse("2500.50").value(), {}).ok());
    REQUIRE(accounts.open_account("carol", Amount::parse("0").value(), {{"MSFT", Quantity::of(7)}})
                .ok());
    REQUIRE(accounts.deposit_cash("carol", Amount::parse("1234.5").value(), "d1").ok());
    REQUIRE(accounts.deposit_cash("bob", Amount::parse("0.0001").value(), "d2").ok());
    REQUIRE(accounts.deposit_shares("bob", "AAPL", Quantity::of(3), "d3").ok());
  }

  // Order 1 (alice buys 5 at 100) and 2 (bob sells 5) traded fully in trade 7: the
  // orders FILLED, the reservations COMPLETED, the order module's trade record settled.
  // The caller books the trade (settled_trades, ledger) as its test needs.
  void insert_filled_pair() {
    execute(
        "INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force,"
        " quantity, price_units, status, filled_quantity, filled_notional_units,"
        " reserved_cash_units, reserved_quantity) VALUES"
        " (1, 'alice', 'AAPL', 'BUY', 'LIMIT', 'GTC', 5, 1000000, 'FILLED', 5, 5000000, 5000000,"
        " NULL),"
        " (2, 'bob', 'AAPL', 'SELL', 'LIMIT', 'GTC', 5, 1000000, 'FILLED', 5, 5000000, NULL, 5)");
    execute(
        "INSERT INTO reservations (order_id, user_id, side, order_type, symbol, asset, quantity,"
        " filled_quantity, limit_price_units, reserved, remaining, status) VALUES"
        " (1, 'alice', 'BUY', 'LIMIT', 'AAPL', 'cash:USD', 5, 5, 1000000, 5000000, 0,"
        " 'COMPLETED'),"
        " (2, 'bob', 'SELL', 'LIMIT', 'AAPL', 'shares:AAPL', 5, 5, 1000000, 5, 0, 'COMPLETED')");
    execute(
        "INSERT INTO trades (trade_id, symbol, price_units, quantity, buy_order_id, sell_order_id,"
        " buyer, seller, executed_at, settled_at) VALUES"
        " (7, 'AAPL', 1000000, 5, 1, 2, 'alice', 'bob', NOW(6), NOW(6))");
  }

  bourse::testing::TestDatabase database;
  db::ConnectionPool pool;
  account::AccountService accounts;
};

// "<subject> <field>" of each mismatch of `check`, in report order.
using Fields = std::vector<std::string>;
Fields fields(const CheckResult& check) {
  Fields out;
  for (const Mismatch& m : check.mismatches) out.push_back(m.subject + " " + m.field);
  return out;
}

const CheckResult& check_named(const ReconciliationReport& report, const std::string& name) {
  for (const CheckResult& check : report.checks) {
    if (check.name == name) return check;
  }
  FAIL("no check " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE(
    "unequal opening balances and later deposits reconcile; a corrupted balance is named "
    "until repaired",
    "[reconciliation][integration]") {
  Fixture f;
  CHECK(f.run().ok());  // an empty system is right too
  f.open_unequal_accounts_and_deposit();
  const ReconciliationReport healthy = f.run();
  INFO(serialize(healthy));
  CHECK(healthy.ok());
  CHECK(healthy.checks.size() == 9);
  CHECK(healthy.in_flight_events == 0);

  f.execute("UPDATE positions SET total_quantity = 4 WHERE user_id = 'bob' AND symbol = 'AAPL'");
  const ReconciliationReport corrupted = f.run();
  INFO(serialize(corrupted));
  CHECK_FALSE(corrupted.ok());
  const CheckResult& ledger = check_named(corrupted, "balances_match_ledger");
  REQUIRE(ledger.mismatches.size() == 1);
  CHECK(ledger.mismatches[0].subject_kind == "account");
  CHECK(ledger.mismatches[0].subject == "bob");
  CHECK(ledger.mismatches[0].asset == "shares:AAPL");
  CHECK(ledger.mismatches[0].field == "total");
  CHECK(ledger.mismatches[0].expected == 3);
  CHECK(ledger.mismatches[0].actual == 4);
  const CheckResult& totals = check_named(corrupted, "asset_totals_match_inflows");
  REQUIRE(totals.mismatches.size() == 1);
  CHECK(totals.mismatches[0].subject == "shares:AAPL");
  CHECK(totals.mismatches[0].expected == 53);
  CHECK(totals.mismatches[0].actual == 54);

  f.execute("UPDATE positions SET total_quantity = 3 WHERE user_id = 'bob' AND symbol = 'AAPL'");
  CHECK(f.run().ok());
}

TEST_CASE("reserved above total and a deposit row without its ledger entry are named",
          "[reconciliation][integration]") {
  Fixture f;
  f.open_unequal_accounts_and_deposit();
  REQUIRE(f.pool
              .with_session([](soci::session& session) {
                session << "SET SESSION check_constraint_checks = 0";
                session << "UPDATE cash_balances SET reserved_units = total_units + 1"
                           " WHERE user_id = 'carol'";
                session << "SET SESSION check_constraint_checks = 1";
              })
              .ok());
  const ReconciliationReport report = f.run();
  INFO(serialize(report));
  const CheckResult& negative = check_named(report, "balances_not_negative");
  REQUIRE(negative.mismatches.size() == 1);
  CHECK(negative.mismatches[0].subject == "carol");
  CHECK(negative.mismatches[0].field == "reserved_at_most_total");
  CHECK_FALSE(check_named(report, "reserved_matches_reservations").ok());
  REQUIRE(f.pool
              .with_session([](soci::session& session) {
                session << "UPDATE cash_balances SET reserved_units = 0 WHERE user_id = 'carol'";
              })
              .ok());
  CHECK(f.run().ok());

  f.execute(
      "INSERT INTO deposits (user_id, reference, asset, amount) VALUES"
      " ('alice', 'ghost', 'cash:USD', 5)");
  const ReconciliationReport ghost = f.run();
  const CheckResult& totals = check_named(ghost, "asset_totals_match_inflows");
  REQUIRE(totals.mismatches.size() == 1);
  CHECK(totals.mismatches[0].field == "deposits_booked");
  CHECK(totals.mismatches[0].subject == "cash:USD");
}

TEST_CASE(
    "each order and trade check names what it disagrees with, from the shared order and trade "
    "passes",
          "[reconciliation][integration]") {
  Fixture f;
  // The order pass in one statement, and in slices that split the orders of trade 7 (1 and
  // 2) and the mismatches between statements: the same findings.
  f.order_pass_slice =
      GENERATE(values<std::size_t>({kDefaultOrderPassSliceOrders, std::size_t{1}, std::size_t{2}}));
  INFO("order pass slice: " << f.order_pass_slice);
  // Order 1 (alice buys 5) and 2 (bob sells 5) traded fully in trade 7, settled in both
  // modules; order 3 (alice buys 2) is open. Written in SQL, so only the order checks
  // and reservation_fills_match_settled_trades are asserted (no balances behind them).
  // Trade 7 is booked as before migration 0104: a settled_trades row without legs and
  // four ledger entries.
  f.insert_filled_pair();
  f.execute(
      "INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force, quantity,"
      " price_units, status, filled_quantity, filled_notional_units, reserved_cash_units,"
      " reserved_quantity) VALUES"
      " (3, 'alice', 'AAPL', 'BUY', 'LIMIT', 'GTC', 2, 1000000, 'OPEN', 0, 0, 2000000, NULL)");
  f.execute(
      "INSERT INTO reservations (order_id, user_id, side, order_type, symbol, asset, quantity,"
      " filled_quantity, limit_price_units, reserved, remaining, status) VALUES"
      " (3, 'alice', 'BUY', 'LIMIT', 'AAPL', 'cash:USD', 2, 0, 1000000, 2000000, 2000000,"
      " 'RESERVED')");
  f.execute(
      "INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, symbol, price_units,"
      " quantity) VALUES (7, 1, 2, 'AAPL', 1000000, 5)");
  f.execute(
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta)"
      " VALUES ('trade', 'trade:7', 'alice', 'cash:USD', -5000000, -5000000),"
      " ('trade', 'trade:7', 'bob', 'cash:USD', 5000000, 0),"
      " ('trade', 'trade:7', 'bob', 'shares:AAPL', -5, -5),"
      " ('trade', 'trade:7', 'alice', 'shares:AAPL', 5, 0)");
  {
    const ReconciliationReport report = f.run();
    CHECK(check_named(report, "order_fills_match_trades").ok());
    CHECK(check_named(report, "orders_match_reservations").ok());
    CHECK(check_named(report, "order_fills_match_settlement").ok());
    CHECK(check_named(report, "reservation_fills_match_settled_trades").ok());
    CHECK(check_named(report, "asset_totals_match_inflows").ok());
    CHECK(check_named(report, "trades_settled_once").ok());
  }
  // The trade ledger pass, shared by the double entry and trades_settled_once: a share
  // entry of trade 7 off by one unbalances it and delivers 4 shares of 5.
  f.execute(
      "UPDATE ledger_entries SET total_delta = 4 WHERE reference = 'trade:7' AND"
      " user_id = 'alice' AND asset = 'shares:AAPL'");
  {
    const ReconciliationReport report = f.run();
    CHECK(fields(check_named(report, "asset_totals_match_inflows")) ==
          Fields{"trade trade:7 sum_of_total_deltas"});
    const CheckResult& once = check_named(report, "trades_settled_once");
    CHECK(fields(once) == Fields{"7 shares_delivered"});
    CHECK(once.mismatches[0].expected == 5);
    CHECK(once.mismatches[0].actual == 4);
  }
  f.execute(
      "UPDATE ledger_entries SET total_delta = 5 WHERE reference = 'trade:7' AND"
      " user_id = 'alice' AND asset = 'shares:AAPL'");
  // A ledger trade entry without its settled trade; a settled trade without ledger entries.
  f.execute(
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta)"
      " VALUES ('trade', 'trade:8', 'alice', 'cash:USD', 0, 0)");
  f.execute(
      "INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, symbol, price_units,"
      " quantity) VALUES (9, 1, 2, 'AAPL', 1000000, 3)");
  {
    const ReconciliationReport report = f.run();
    const CheckResult& once = check_named(report, "trades_settled_once");
    CHECK(fields(once) == Fields{"8 settled_trade_claim", "9 shares_delivered"});
    CHECK(once.mismatches[1].expected == 3);
    CHECK(once.mismatches[1].actual == 0);
    CHECK(check_named(report, "asset_totals_match_inflows").ok());
  }
  f.execute("DELETE FROM ledger_entries WHERE reference = 'trade:8'");
  f.execute("DELETE FROM settled_trades WHERE trade_id = 9");
  // A trade reference not spelled "trade:<id>" (its id is trade 7's): each check runs its
  // own statement, by reference.
  f.execute(
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta)"
      " VALUES ('trade', 'trade:07', 'alice', 'cash:USD', 1, 0)");
  {
    const ReconciliationReport report = f.run();
    const CheckResult& totals = check_named(report, "asset_totals_match_inflows");
    CHECK(fields(totals) == Fields{"trade trade:07 sum_of_total_deltas"});
    CHECK(totals.mismatches[0].actual == 1);
    CHECK(check_named(report, "trades_settled_once").ok());
  }
  f.execute("DELETE FROM ledger_entries WHERE reference = 'trade:07'");
  // An order's fill counter off by one: the trade record, FILLED and the settlement all
  // disagree with it.
  f.execute("UPDATE orders SET filled_quantity = 4 WHERE order_id = 1");
  {
    const ReconciliationReport report = f.run();
    const CheckResult& fills = check_named(report, "order_fills_match_trades");
    CHECK(fields(fills) == Fields{"1 filled_quantity", "1 filled_quantity_of_filled_order"});
    CHECK(fills.mismatches[0].expected == 5);
    CHECK(fills.mismatches[0].actual == 4);
    const CheckResult& settlement = check_named(report, "order_fills_match_settlement");
    CHECK(fields(settlement) == Fields{"1 filled_quantity"});
    CHECK(check_named(report, "orders_match_reservations").ok());
  }
  f.execute("UPDATE orders SET filled_quantity = 5 WHERE order_id = 1");
  // One row disagreeing with two checks: other reservation quantity, and a final status
  // the reservation does not have.
  f.execute("UPDATE reservations SET quantity = 3 WHERE order_id = 3");
  f.execute("UPDATE orders SET status = 'CANCELLED' WHERE order_id = 3");
  {
    const ReconciliationReport report = f.run();
    const CheckResult& terms = check_named(report, "orders_match_reservations");
    CHECK(fields(terms) == Fields{"3 reservation_quantity"});
    CHECK(terms.mismatches[0].expected == 2);
    CHECK(terms.mismatches[0].actual == 3);
    const CheckResult& settlement = check_named(report, "order_fills_match_settlement");
    CHECK(fields(settlement) == Fields{"3 status"});
    CHECK(settlement.mismatches[0].actual_text == "CANCELLED");
    CHECK(check_named(report, "order_fills_match_trades").ok());
  }
  f.execute("UPDATE reservations SET quantity = 2 WHERE order_id = 3");
  f.execute("UPDATE orders SET status = 'OPEN' WHERE order_id = 3");
  // A reservation's fill below its settled trades, still COMPLETED.
  f.execute("UPDATE reservations SET filled_quantity = 4 WHERE order_id = 2");
  {
    const ReconciliationReport report = f.run();
    const CheckResult& reservation = check_named(report, "reservation_fills_match_settled_trades");
    CHECK(fields(reservation) == Fields{"2 filled_quantity", "2 reservation_status"});
    const CheckResult& settlement = check_named(report, "order_fills_match_settlement");
    CHECK(fields(settlement) == Fields{"2 filled_quantity"});
    CHECK(settlement.mismatches[0].expected == 4);
    CHECK(settlement.mismatches[0].actual == 5);
  }
  f.execute("UPDATE reservations SET filled_quantity = 5 WHERE order_id = 2");
  // An order without its reservation and a reservation without its order.
  f.execute("UPDATE reservations SET order_id = 9 WHERE order_id = 3");
  {
    const ReconciliationReport report = f.run();
    CHECK(fields(check_named(report, "orders_match_reservations")) ==
          Fields{"3 reservation", "9 order"});
  }
  f.execute("UPDATE reservations SET order_id = 3 WHERE order_id = 9");
  {
    const ReconciliationReport report = f.run();
    CHECK(check_named(report, "order_fills_match_trades").ok());
    CHECK(check_named(report, "orders_match_reservations").ok());
    CHECK(check_named(report, "order_fills_match_settlement").ok());
    CHECK(check_named(report, "reservation_fills_match_settled_trades").ok());
    CHECK(check_named(report, "asset_totals_match_inflows").ok());
    CHECK(check_named(report, "trades_settled_once").ok());
  }
}

TEST_CASE(
    "a trade booked in its settled_trades row reconciles by its legs; a wrong payment, a trade "
    "booked twice and other parties are named",
    "[reconciliation][integration]") {
  Fixture f;
  REQUIRE(f.accounts.open_account("alice", Amount::parse("1000").value(), {}).ok());
  REQUIRE(f.accounts.open_account("bob", Amount::parse("0").value(), {{"AAPL", Quantity::of(50)}})
              .ok());
  // Trade 7 booked as the account module books it since migration 0104: the reservations
  // in ledger_entries, the trade's four legs in its settled_trades row only, the balances
  // moved to match.
  f.insert_filled_pair();
  f.execute(
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta)"
      " VALUES ('reserve', 'order:1', 'alice', 'cash:USD', 0, 5000000),"
      " ('reserve', 'order:2', 'bob', 'shares:AAPL', 0, 5)");
  f.execute(
      "INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, symbol, price_units,"
      " quantity, buyer, seller, paid_units, buyer_reserved_units) VALUES"
      " (7, 1, 2, 'AAPL', 1000000, 5, 'alice', 'bob', 5000000, 5000000)");
  f.execute("UPDATE cash_balances SET total_units = total_units - 5000000 WHERE user_id = 'alice'");
  f.execute("UPDATE cash_balances SET total_units = total_units + 5000000 WHERE user_id = 'bob'");
  f.execute("INSERT INTO positions (user_id, symbol, total_quantity, reserved_quantity) VALUES"
            " ('alice', 'AAPL', 5, 0)");
  f.execute("UPDATE positions SET total_quantity = 45 WHERE user_id = 'bob'");
  {
    // Every check agrees: without the legs, four balances would differ from the ledger.
    const ReconciliationReport report = f.run();
    INFO(serialize(report));
    CHECK(report.ok());
  }
  // A payment other than price x quantity: named by trades_settled_once, and the two cash
  // balances no longer match the legs.
  f.execute("UPDATE settled_trades SET paid_units = 4999999 WHERE trade_id = 7");
  {
    const ReconciliationReport report = f.run();
    const CheckResult& once = check_named(report, "trades_settled_once");
    CHECK(fields(once) == Fields{"7 paid"});
    CHECK(once.mismatches[0].expected == 5000000);
    CHECK(once.mismatches[0].actual == 4999999);
    CHECK(fields(check_named(report, "balances_match_ledger")) ==
          Fields{"alice total", "bob total"});
  }
  f.execute("UPDATE settled_trades SET paid_units = 5000000 WHERE trade_id = 7");
  // The same trade booked as ledger entries too (as before migration 0104): booked twice,
  // from the trade ledger pass and, with a reference not spelled "trade:<id>" making the
  // pass unusable, from the check's own statement.
  f.execute(
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta)"
      " VALUES ('trade', 'trade:7', 'alice', 'cash:USD', -5000000, 0),"
      " ('trade', 'trade:7', 'bob', 'cash:USD', 5000000, 0)");
  {
    const ReconciliationReport report = f.run();
    CHECK(fields(check_named(report, "trades_settled_once")) == Fields{"7 booked_twice"});
    CHECK(fields(check_named(report, "balances_match_ledger")) ==
          Fields{"alice total", "bob total"});
  }
  f.execute(
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta)"
      " VALUES ('trade', 'trade:07', 'alice', 'cash:USD', 0, 0)");
  CHECK(fields(check_named(f.run(), "trades_settled_once")) == Fields{"7 booked_twice"});
  f.execute("DELETE FROM ledger_entries WHERE kind = 'trade'");
  // The order module's trade record names another buyer than the journal row.
  f.execute("UPDATE trades SET buyer = 'carol' WHERE trade_id = 7");
  CHECK(fields(check_named(f.run(), "trades_settled_once")) == Fields{"7 settled_parties"});
  f.execute("UPDATE trades SET buyer = 'alice' WHERE trade_id = 7");
  CHECK(f.run().ok());
}

TEST_CASE("the store keeps the newest runs and answers the last one",
          "[reconciliation][integration]") {
  Fixture f;
  metrics::Registry registry;
  ReconciliationService service(f.pool, ReconciliationOptions{ReconcilerOptions{kGroup}, 2},
                                registry, SystemClock::instance());
  auto none = service.last_report();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  std::string last_run_id;
  for (int i = 0; i < 3; ++i) {
    auto report = service.run_now();
    REQUIRE(report.ok());
    last_run_id = report->run_id;
  }
  CHECK(f.count("SELECT COUNT(*) FROM reconciliation_runs") == 2);
  auto last = service.last_report();
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK(boost::json::parse(**last).as_object().at("run_id").as_string() == last_run_id);
  const std::string metrics = registry.render_prometheus();
  CHECK(metrics.find(R"(bourse_reconciliation_runs_total{status="OK"} 3)") != std::string::npos);
}

TEST_CASE("of two jobs on one database only the lease holder runs; the other takes over",
          "[reconciliation][integration]") {
  Fixture f;
  metrics::Registry registry;
  ReconciliationService service(f.pool, ReconciliationOptions{ReconcilerOptions{kGroup}, 10},
                                registry, SystemClock::instance());
  ReconciliationJob first(service, f.database.config(), std::chrono::milliseconds(60'000));
  ReconciliationJob second(service, f.database.config(), std::chrono::milliseconds(60'000));
  CHECK(first.run_once() == ReconciliationJob::Outcome::kRan);
  CHECK(second.run_once() == ReconciliationJob::Outcome::kStandby);
  CHECK(first.run_once() == ReconciliationJob::Outcome::kRan);
  CHECK(f.count("SELECT COUNT(*) FROM reconciliation_runs") == 2);
  first.stop();  // releases the lease by closing its session
  // The server drops the lock when it has processed the disconnect, a moment later: the
  // standby takes over at one of its next ticks.
  ReconciliationJob::Outcome takeover = ReconciliationJob::Outcome::kStandby;
  for (int tick = 0; tick < 200 && takeover == ReconciliationJob::Outcome::kStandby; ++tick) {
    takeover = second.run_once();
    if (takeover == ReconciliationJob::Outcome::kStandby) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  CHECK(takeover == ReconciliationJob::Outcome::kRan);
  CHECK(f.count("SELECT COUNT(*) FROM reconciliation_runs") == 3);
}
