// Goal: a group's orders hold exactly their cash or shares, decided in order; an order
// that does not fit is rejected with what was available and needed and writes nothing;
// the group's locking reads use the primary key (EXPLAIN); concurrent groups on one
// account never over-reserve and never deadlock.
#include <soci/soci.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "account_fixture.h"
#include "balance_store.h"

using bourse::ErrorCode;
using bourse::OrderType;
using bourse::Quantity;
using bourse::Side;
using bourse::account::BalanceReads;
using bourse::account::Rejected;
using bourse::account::RejectReason;
using bourse::account::ReservationDecision;
using bourse::account::Reserved;
using bourse::account::testing::AccountFixture;
using bourse::account::testing::limit_order;
using bourse::account::testing::market_buy;
using bourse::account::testing::OrderRequest;
using bourse::account::testing::reserved;
using bourse::account::testing::usd;

namespace {

const Rejected& rejection(const ReservationDecision& decision) {
  REQUIRE(std::holds_alternative<Rejected>(decision));
  return std::get<Rejected>(decision);
}

const Reserved& held(const ReservationDecision& decision) {
  REQUIRE(std::holds_alternative<Reserved>(decision));
  return std::get<Reserved>(decision);
}

// EXPLAIN of one of the group's locking reads: (type, key) of its single table row.
std::pair<std::string, std::string> explain(AccountFixture& f, const std::string& sql,
                                            const std::vector<std::string>& values) {
  std::string type, key;
  soci::indicator key_indicator = soci::i_ok;
  REQUIRE(f.pool
              .with_session([&](soci::session& session) {
                soci::details::prepare_temp_type statement = (session.prepare << "EXPLAIN " + sql);
                for (const auto& value : values) statement, soci::use(value);
                soci::rowset<soci::row> rows(statement);
                int count = 0;
                for (const soci::row& row : rows) {
                  ++count;
                  type = row.get<std::string>("type");
                  key = row.get_indicator("key") == soci::i_null ? "" : row.get<std::string>("key");
                }
                (void)key_indicator;
                REQUIRE(count == 1);
              })
              .ok());
  return {type, key};
}

}  // namespace

TEST_CASE("a limit buy holds limit x quantity, a sell its shares, a market buy its cap",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("5000"), {{"AAPL", Quantity::of(10)}}).ok());
  auto decisions = f.reserve_group({limit_order(1, "alice", Side::kBuy, "AAPL", 10, "152.25"),
                                    limit_order(2, "alice", Side::kSell, "AAPL", 4, "150"),
                                    market_buy(3, "alice", "AAPL", 10, "100", 500),
                                    market_buy(4, "alice", "AAPL", 3, "33.3333", 333)});
  REQUIRE(decisions.ok());
  REQUIRE(decisions->size() == 4);
  CHECK(held((*decisions)[0]).cash == usd("1522.5"));
  CHECK(held((*decisions)[0]).order_id == bourse::OrderId(1));
  CHECK(held((*decisions)[1]).shares == Quantity::of(4));
  CHECK(held((*decisions)[2]).cash == usd("1050"));      // 10 x 100 x 1.05
  CHECK(held((*decisions)[3]).cash == usd("103.3299"));  // rounded up to 0.0001
  auto account = f.get("alice");
  CHECK(account.cash.total == usd("5000"));
  CHECK(account.cash.reserved == usd("2675.8299"));
  CHECK(account.positions.at(0).reserved == Quantity::of(4));
  CHECK(f.count("SELECT order_id FROM reservations") == 4);
  CHECK(f.count("SELECT entry_id FROM ledger_entries WHERE kind = 'reserve'") == 4);
  f.check_conservation();
}

TEST_CASE("orders that do not fit are rejected with available and needed, and write nothing",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("100"), {{"AAPL", Quantity::of(3)}}).ok());
  auto decisions = f.reserve_group({
      limit_order(1, "alice", Side::kBuy, "AAPL", 2, "50.0001"),  // 100.0002 > 100
      limit_order(2, "alice", Side::kSell, "AAPL", 4, "1"),       // 4 > 3 shares
      limit_order(3, "alice", Side::kSell, "MSFT", 1, "1"),       // never held
      limit_order(4, "nobody", Side::kBuy, "AAPL", 1, "1"),       // no account
      limit_order(5, "nobody", Side::kSell, "AAPL", 1, "1"),      // no account
      market_buy(6, "alice", "AAPL", 1'000'000'000'000, "100000", 0),
      limit_order(7, "alice", Side::kBuy, "AAPL", 2, "50"),  // exactly the balance
  });
  REQUIRE(decisions.ok());
  const auto& d = *decisions;
  CHECK(rejection(d[0]).reason == RejectReason::kInsufficientFunds);
  CHECK(rejection(d[0]).available == "100");
  CHECK(rejection(d[0]).needed == "100.0002");
  CHECK(rejection(d[0]).detail() == "insufficient funds: 100 available, 100.0002 needed");
  CHECK(rejection(d[1]).reason == RejectReason::kInsufficientShares);
  CHECK(rejection(d[1]).available == "3");
  CHECK(rejection(d[1]).needed == "4");
  CHECK(rejection(d[2]).reason == RejectReason::kInsufficientShares);
  CHECK(rejection(d[2]).available == "0");
  CHECK(rejection(d[3]).reason == RejectReason::kUnknownAccount);
  CHECK(rejection(d[4]).reason == RejectReason::kUnknownAccount);
  CHECK(rejection(d[5]).reason == RejectReason::kOrderValueOutOfRange);
  CHECK(held(d[6]).cash == usd("100"));
  CHECK(f.get("alice").cash.available == usd("0"));
  // Only the one reserved order wrote anything.
  CHECK(f.count("SELECT order_id FROM reservations") == 1);
  CHECK(f.count("SELECT order_id FROM reservations WHERE order_id = 7") == 1);
  CHECK(f.count("SELECT entry_id FROM ledger_entries WHERE kind = 'reserve'") == 1);
  f.check_conservation();
}

TEST_CASE("a group is decided in order: earlier orders take the cash first",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("bob", usd("250"), {}).ok());
  std::vector<OrderRequest> orders;
  for (int i = 0; i < 5; ++i)
    orders.push_back(limit_order(10 + i, "bob", Side::kBuy, "AAPL", 1, "100"));
  auto decisions = f.reserve_group(orders);
  REQUIRE(decisions.ok());
  CHECK(reserved((*decisions)[0]));
  CHECK(reserved((*decisions)[1]));
  for (int i = 2; i < 5; ++i) CHECK(rejection((*decisions)[i]).available == "50");
  CHECK(f.get("bob").cash.reserved == usd("200"));
  f.check_conservation();
}

TEST_CASE("no order is created when none can be reserved, and a failing creator aborts",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("carol", usd("10"), {}).ok());
  bool called = false;
  std::vector<bourse::account::ReservationRequest> requests{
      limit_order(1, "carol", Side::kBuy, "AAPL", 1, "20").request};
  REQUIRE(f.pool
              .in_transaction([&](soci::session& session) -> bourse::Status {
                auto decisions = f.accounts.reserve_orders(session, requests, [&](auto) {
                  called = true;
                  return bourse::Result<std::vector<bourse::OrderId>>(
                      std::vector<bourse::OrderId>{});
                });
                REQUIRE(decisions.ok());
                return bourse::Status::success();
              })
              .ok());
  CHECK_FALSE(called);

  requests = {limit_order(1, "carol", Side::kBuy, "AAPL", 1, "5").request};
  bourse::Status failed = f.pool.in_transaction([&](soci::session& session) -> bourse::Status {
    auto decisions = f.accounts.reserve_orders(session, requests, [&](auto) {
      return bourse::Result<std::vector<bourse::OrderId>>(bourse::Error::internal("boom"));
    });
    if (!decisions) return decisions.error();
    return bourse::Status::success();
  });
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message == "boom");
  CHECK(f.get("carol").cash.reserved == usd("0"));
  f.check_conservation();
}

TEST_CASE("invalid reservation requests are errors, not rejections", "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("10"), {}).ok());
  CHECK(f.reserve(limit_order(1, "alice", Side::kBuy, "AAPL", 0, "1")).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve(limit_order(1, "alice", Side::kBuy, "AAPL", 1, "0")).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve(limit_order(1, "a b", Side::kBuy, "AAPL", 1, "1")).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve(market_buy(1, "alice", "AAPL", 1, "1", 20'000)).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve_group({}).error().code == ErrorCode::kInvalidArgument);
  CHECK(f.count("SELECT order_id FROM reservations") == 0);
}

TEST_CASE("the group's locking reads and position updates walk the primary key, not the table",
          "[account][integration][explain]") {
  AccountFixture f;
  // Enough rows that a scan would be visible; FORCE INDEX must hold for small tables too.
  for (int i = 0; i < 50; ++i) {
    REQUIRE(f.accounts
                .open_account("u" + std::to_string(100 + i), usd("1"),
                              {{"AAPL", Quantity::of(1)}, {"MSFT", Quantity::of(1)}})
                .ok());
  }
  for (std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{40}}) {
    INFO("rows named: " << n);
    std::vector<std::string> cash_values{"USD"};
    std::vector<std::string> position_values;
    for (std::size_t i = 0; i < n; ++i) {
      cash_values.push_back("u" + std::to_string(100 + i));
      position_values.push_back("u" + std::to_string(100 + i));
      position_values.push_back("MSFT");
    }
    // The group's reads, locking and plain (BalanceReads).
    for (auto reads : {BalanceReads::kLocking, BalanceReads::kOptimistic}) {
      auto cash = explain(f, bourse::account::cash_rows_sql(n, reads), cash_values);
      CHECK(cash.second == "PRIMARY");
      CHECK((cash.first == "range" || cash.first == "const" || cash.first == "eq_ref"));
      auto positions = explain(f, bourse::account::position_rows_sql(n, reads), position_values);
      CHECK(positions.second == "PRIMARY");
      CHECK((positions.first == "range" || positions.first == "const" ||
             positions.first == "eq_ref"));
    }
    // The relative UPDATEs of the same rows (order groups and settlement): a one-element
    // row IN list here was a full index scan ("index"), so positions name their rows with
    // OR-ed pairs.
    std::vector<std::string> position_delta_values;  // two CASEs of (user, symbol, value)...
    for (int c = 0; c < 2; ++c) {
      for (std::size_t i = 0; i < n; ++i) {
        position_delta_values.push_back(position_values[2 * i]);
        position_delta_values.push_back("MSFT");
        position_delta_values.push_back("1");
      }
    }
    position_delta_values.insert(position_delta_values.end(), position_values.begin(),
                                 position_values.end());
    // Cash: two CASEs of (user, value)..., the currency, then the users.
    std::vector<std::string> cash_delta_values;
    for (int c = 0; c < 2; ++c) {
      for (std::size_t i = 0; i < n; ++i) {
        cash_delta_values.push_back(cash_values[1 + i]);
        cash_delta_values.push_back("1");
      }
    }
    cash_delta_values.insert(cash_delta_values.end(), cash_values.begin(), cash_values.end());
    for (const auto& [name, sql, values] :
         {std::tuple{"add_to_positions", bourse::account::add_to_positions_sql(n),
                     position_delta_values},
          std::tuple{"add_to_cash_balances", bourse::account::add_to_cash_balances_sql(n),
                     cash_delta_values}}) {
      INFO(name);
      auto update = explain(f, sql, values);
      CHECK(update.second == "PRIMARY");
      CHECK((update.first == "range" || update.first == "const" || update.first == "eq_ref"));
    }
  }
}

TEST_CASE("a group locks only the rows it names: other accounts stay writable",
          "[account][integration][locks]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("anna", usd("100"), {}).ok());
  REQUIRE(f.accounts.open_account("bert", usd("100"), {}).ok());
  REQUIRE(f.accounts.open_account("cleo", usd("100"), {{"AAPL", Quantity::of(5)}}).ok());
  auto lease = f.pool.acquire();
  REQUIRE(lease.ok());
  soci::session& held_session = lease->session();
  held_session << "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
  soci::transaction open(held_session);
  // A group of anna and cleo (a sell) plus an unknown account, left uncommitted.
  std::vector<bourse::account::ReservationRequest> requests{
      limit_order(1, "anna", Side::kBuy, "AAPL", 1, "10").request,
      limit_order(2, "cleo", Side::kSell, "AAPL", 1, "10").request,
      limit_order(3, "zed", Side::kBuy, "AAPL", 1, "10").request};
  auto decisions = f.accounts.reserve_orders(held_session, requests, [](auto) {
    return bourse::Result<std::vector<bourse::OrderId>>(
        std::vector<bourse::OrderId>{bourse::OrderId(1), bourse::OrderId(2)});
  });
  REQUIRE(decisions.ok());
  // Meanwhile bert (between anna and cleo in the key order) and a new account past "zed"'s
  // gap can be changed without waiting: no table or gap lock was taken.
  // (A lock wait would end in error 1205 after 1 s and throw here.)
  auto other = f.pool.acquire();
  REQUIRE(other.ok());
  soci::session& s = other->session();
  s << "SET SESSION innodb_lock_wait_timeout = 1";
  CHECK_NOTHROW(s << "SELECT total_units FROM cash_balances WHERE user_id = 'bert' FOR UPDATE");
  CHECK_NOTHROW(s << "INSERT INTO accounts (user_id) VALUES ('zed2')");
  CHECK_NOTHROW(s << "INSERT INTO cash_balances (user_id, currency, total_units, reserved_units) "
                     "VALUES ('zed2', 'USD', 0, 0)");
  CHECK_NOTHROW(s << "INSERT INTO positions (user_id, symbol, total_quantity, reserved_quantity) "
                     "VALUES ('bert', 'AAPL', 0, 0)");
  // The named rows are locked: anna's cash row waits (and times out).
  CHECK_THROWS(s << "SELECT total_units FROM cash_balances WHERE user_id = 'anna' FOR UPDATE");
  open.rollback();
}

TEST_CASE("optimistic reads decide as locking reads do, and funds taken meanwhile send the "
          "group back",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("anna", usd("100"), {}).ok());
  REQUIRE(f.accounts.open_account("cleo", usd("0"), {{"AAPL", Quantity::of(5)}}).ok());
  // Unopposed, the same decisions and balances as under locks.
  auto first = f.reserve_group({limit_order(1, "anna", Side::kBuy, "AAPL", 1, "60"),
                                limit_order(2, "cleo", Side::kSell, "AAPL", 3, "60"),
                                limit_order(3, "anna", Side::kBuy, "AAPL", 1, "50")},
                               3, BalanceReads::kOptimistic, /*fall_back=*/false);
  REQUIRE(first.ok());
  CHECK(reserved((*first)[0]));
  CHECK(reserved((*first)[1]));
  CHECK_FALSE(reserved((*first)[2]));  // 40 left after the first
  CHECK(f.get("anna").cash.reserved == usd("60"));
  CHECK(f.get("cleo").positions.at(0).reserved == Quantity::of(3));

  // anna has 40 available when the group reads; another group takes 20 before it writes.
  // Its 30 no longer fit: the CHECK refuses the write, the group is told so and nothing
  // of it stays.
  auto moved = f.reserve_group(
      {limit_order(4, "anna", Side::kBuy, "AAPL", 1, "30")}, 1, BalanceReads::kOptimistic,
      /*fall_back=*/false, [&] {
        auto other = f.reserve_group({limit_order(5, "anna", Side::kBuy, "AAPL", 1, "20")});
        REQUIRE(other.ok());
        REQUIRE(reserved(other->front()));
      });
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.error().code == ErrorCode::kConflict);
  CHECK(moved.error().reason == bourse::account::kBalancesMovedReason);
  CHECK(f.get("anna").cash.reserved == usd("80"));
  CHECK(f.count("SELECT order_id FROM reservations WHERE order_id = 4") == 0);
  // Run again under locks (as the order committer does), it is decided on what is left.
  auto again = f.reserve_group({limit_order(4, "anna", Side::kBuy, "AAPL", 1, "30")});
  REQUIRE(again.ok());
  CHECK_FALSE(reserved(again->front()));
  CHECK(f.get("anna").cash.reserved == usd("80"));
  f.check_conservation();
}

TEST_CASE("200 concurrent one-order groups on one account with cash for 120 reserve exactly 120",
          "[account][integration][concurrency]") {
  const auto reads = GENERATE(BalanceReads::kLocking, BalanceReads::kOptimistic);
  INFO("reads: " << (reads == BalanceReads::kLocking ? "locking" : "optimistic, then locking"));
  AccountFixture f(/*pool_size=*/16);
  REQUIRE(f.accounts.open_account("alice", usd("12000"), {}).ok());
  constexpr int kOrders = 200;
  std::atomic<int> accepted{0};
  std::atomic<int> rejected{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kOrders; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      auto decision =
          f.reserve_group({limit_order(1000 + i, "alice", Side::kBuy, "AAPL", 1, "100")}, 10,
                          reads);
      if (!decision) {
        std::lock_guard lock(failures_mutex);
        failures.push_back(decision.error().message);
        return;
      }
      if (reserved(decision->front())) {
        ++accepted;
      } else {
        ++rejected;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(accepted == 120);
  CHECK(rejected == 80);
  CHECK(f.get("alice").cash.reserved == usd("12000"));
  CHECK(f.count("SELECT order_id FROM reservations") == 120);
  f.check_conservation();
}
