// Goal: an order's cash or shares are held exactly once, in the exact amount, and
// concurrent reservations on one account never over-reserve and never deadlock.
#include <atomic>
#include <catch2/catch.hpp>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "account_fixture.h"

using bourse::ErrorCode;
using bourse::Quantity;
using bourse::account::Rejected;
using bourse::account::RejectReason;
using bourse::account::Reserved;
using bourse::account::Side;
using bourse::account::testing::AccountFixture;
using bourse::account::testing::limit_order;
using bourse::account::testing::market_buy;
using bourse::account::testing::usd;

namespace {
RejectReason reason_of(const bourse::account::ReservationOutcome& outcome) {
  REQUIRE_FALSE(outcome.reserved());
  return std::get<Rejected>(outcome.decision).reason;
}
}  // namespace

TEST_CASE("a limit buy holds limit price times quantity of cash", "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("2000"), {}).ok());
  auto outcome = f.reserve(limit_order(1, "alice", Side::kBuy, "AAPL", 10, "152.25"));
  REQUIRE(outcome.ok());
  REQUIRE(outcome->reserved());
  CHECK_FALSE(outcome->replayed);
  CHECK(std::get<Reserved>(outcome->decision).cash == usd("1522.5"));
  auto account = f.get("alice");
  CHECK(account.cash.total == usd("2000"));
  CHECK(account.cash.reserved == usd("1522.5"));
  CHECK(account.cash.available == usd("477.5"));
  f.check_conservation();
}

TEST_CASE("a sell holds its quantity of shares", "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("0"), {{"AAPL", Quantity::of(10)}}).ok());
  auto outcome = f.reserve(limit_order(1, "alice", Side::kSell, "AAPL", 4, "150"));
  REQUIRE(outcome.ok());
  REQUIRE(outcome->reserved());
  CHECK(std::get<Reserved>(outcome->decision).shares == Quantity::of(4));
  auto position = f.get("alice").positions.at(0);
  CHECK(position.quantity == Quantity::of(10));
  CHECK(position.reserved == Quantity::of(4));
  CHECK(position.available == Quantity::of(6));
  f.check_conservation();
}

TEST_CASE("a market buy holds quantity x reference x (1 + band), rounded up",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("5000"), {}).ok());
  auto outcome = f.reserve(market_buy(1, "alice", "AAPL", 10, "100", 500));
  REQUIRE(outcome.ok());
  REQUIRE(outcome->reserved());
  CHECK(std::get<Reserved>(outcome->decision).cash == usd("1050"));
  auto odd = f.reserve(market_buy(2, "alice", "AAPL", 3, "33.3333", 333));
  REQUIRE(odd.ok());
  CHECK(std::get<Reserved>(odd->decision).cash == usd("103.3299"));
  CHECK(f.get("alice").cash.reserved == usd("1153.3299"));
  f.check_conservation();
}

TEST_CASE("insufficient cash or shares and unknown accounts are rejected, holding nothing",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("100"), {{"AAPL", Quantity::of(3)}}).ok());
  auto cash = f.reserve(limit_order(1, "alice", Side::kBuy, "AAPL", 2, "50.0001"));
  REQUIRE(cash.ok());
  CHECK(reason_of(*cash) == RejectReason::kInsufficientCash);
  auto shares = f.reserve(limit_order(2, "alice", Side::kSell, "AAPL", 4, "1"));
  REQUIRE(shares.ok());
  CHECK(reason_of(*shares) == RejectReason::kInsufficientShares);
  auto never_held = f.reserve(limit_order(3, "alice", Side::kSell, "MSFT", 1, "1"));
  REQUIRE(never_held.ok());
  CHECK(reason_of(*never_held) == RejectReason::kInsufficientShares);
  auto unknown = f.reserve(limit_order(4, "nobody", Side::kBuy, "AAPL", 1, "1"));
  REQUIRE(unknown.ok());
  CHECK(reason_of(*unknown) == RejectReason::kUnknownAccount);
  auto too_big = f.reserve(market_buy(5, "alice", "AAPL", 1'000'000'000'000, "100000", 0));
  REQUIRE(too_big.ok());
  CHECK(reason_of(*too_big) == RejectReason::kOrderValueOutOfRange);

  auto account = f.get("alice");
  CHECK(account.cash.reserved == usd("0"));
  CHECK(account.positions.at(0).reserved == Quantity::of(0));
  // Exactly the full balance fits.
  auto exact = f.reserve(limit_order(6, "alice", Side::kBuy, "AAPL", 2, "50"));
  REQUIRE(exact.ok());
  CHECK(exact->reserved());
  CHECK(f.get("alice").cash.available == usd("0"));
  f.check_conservation();
}

TEST_CASE("the same order reserved twice changes the account once", "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("1000"), {{"AAPL", Quantity::of(5)}}).ok());
  auto buy = limit_order(7, "alice", Side::kBuy, "AAPL", 3, "100");
  REQUIRE(f.reserve(buy).ok());
  auto again = f.reserve(buy);
  REQUIRE(again.ok());
  CHECK(again->replayed);
  CHECK(std::get<Reserved>(again->decision).cash == usd("300"));
  CHECK(f.get("alice").cash.reserved == usd("300"));

  auto sell = limit_order(8, "alice", Side::kSell, "AAPL", 5, "100");
  REQUIRE(f.reserve(sell).ok());
  REQUIRE(f.reserve(sell)->replayed);
  CHECK(f.get("alice").positions.at(0).reserved == Quantity::of(5));
  CHECK(f.count("SELECT entry_id FROM ledger_entries WHERE kind = 'reserve'") == 2);
  f.check_conservation();
}

TEST_CASE("a rejection is remembered even after the account could afford the order",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("10"), {}).ok());
  auto order = limit_order(9, "alice", Side::kBuy, "AAPL", 1, "20");
  REQUIRE(reason_of(*f.reserve(order)) == RejectReason::kInsufficientCash);
  REQUIRE(f.accounts.deposit_cash("alice", usd("100"), "top-up").ok());
  auto replay = f.reserve(order);
  REQUIRE(replay.ok());
  CHECK(replay->replayed);
  CHECK(reason_of(*replay) == RejectReason::kInsufficientCash);
  CHECK(f.get("alice").cash.reserved == usd("0"));
  // And an order id cannot be reused for a different order.
  auto other = f.reserve(limit_order(9, "alice", Side::kSell, "AAPL", 1, "20"));
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == ErrorCode::kConflict);
  CHECK(other.error().reason == "order_id_reused");
}

TEST_CASE("invalid reservation requests are errors, not rejections", "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("10"), {}).ok());
  CHECK(f.reserve(limit_order(0, "alice", Side::kBuy, "AAPL", 1, "1")).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve(limit_order(1, "alice", Side::kBuy, "AAPL", 0, "1")).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve(limit_order(1, "alice", Side::kBuy, "AAPL", 1, "0")).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.reserve(market_buy(1, "alice", "AAPL", 1, "1", 20'000)).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.count("SELECT order_id FROM reservations") == 0);
}

TEST_CASE("200 concurrent reservations on one account never over-reserve or deadlock",
          "[account][integration][concurrency]") {
  AccountFixture f(/*pool_size=*/16);
  REQUIRE(f.accounts.open_account("alice", usd("10000"), {{"AAPL", Quantity::of(200)}}).ok());
  constexpr int kOrders = 200;
  std::atomic<long long> accepted_cash_units{0};
  std::atomic<long long> accepted_shares{0};
  std::atomic<int> accepted{0};
  std::atomic<int> rejected{0};
  std::atomic<long long> smallest_rejected_buy{std::numeric_limits<long long>::max()};
  std::atomic<long long> smallest_rejected_sell{std::numeric_limits<long long>::max()};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::atomic<bool> go{false};
  auto lower = [](std::atomic<long long>& target, long long value) {
    long long current = target.load();
    while (value < current && !target.compare_exchange_weak(current, value)) {
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < kOrders; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      const bool buy = i % 2 == 0;
      auto request = buy ? limit_order(1000 + i, "alice", Side::kBuy, "AAPL", 1 + i % 3, "100")
                         : limit_order(1000 + i, "alice", Side::kSell, "AAPL", 1 + i % 4, "100");
      std::optional<bourse::Result<bourse::account::ReservationOutcome>> result;
      bourse::Status status = f.pool.in_transaction(
          [&](soci::session& session) -> bourse::Status {
            result.emplace(f.accounts.reserve_for_order(session, request));
            if (!*result) return result->error();
            return bourse::Status::success();
          },
          /*max_attempts=*/10);
      if (!status) {
        std::lock_guard lock(failures_mutex);
        failures.push_back(status.error().message);
        return;
      }
      const auto& outcome = result->value();
      if (outcome.reserved()) {
        ++accepted;
        const auto& held = std::get<Reserved>(outcome.decision);
        accepted_cash_units += held.cash.units();
        accepted_shares += held.shares.value();
      } else {
        ++rejected;
        const auto reason = std::get<Rejected>(outcome.decision).reason;
        // Catch2 assertions are not thread-safe: record, check after the join.
        if (reason != (buy ? RejectReason::kInsufficientCash : RejectReason::kInsufficientShares)) {
          std::lock_guard lock(failures_mutex);
          failures.push_back(std::string("unexpected reject reason ") + to_string(reason));
        }
        if (buy) {
          lower(smallest_rejected_buy, request.quantity.value() * 100 * 10'000);
        } else {
          lower(smallest_rejected_sell, request.quantity.value());
        }
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();

  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(accepted + rejected == kOrders);
  auto account = f.get("alice");
  CHECK(account.cash.reserved.units() == accepted_cash_units.load());
  CHECK(account.cash.reserved <= account.cash.total);
  CHECK(account.positions.at(0).reserved.value() == accepted_shares.load());
  CHECK(account.positions.at(0).reserved <= account.positions.at(0).quantity);
  // Rejections were real: once rejected, an amount never fit again (holds only grow).
  CHECK(account.cash.available.units() < smallest_rejected_buy.load());
  CHECK(account.positions.at(0).available.value() < smallest_rejected_sell.load());
  // Demand exceeds supply on both sides (100 buys of 200 on average for 10000 cash;
  // 100 sells of 2.5 shares on average for 200 shares): both outcomes happened.
  CHECK(rejected > 0);
  CHECK(accepted > 0);
  CHECK(f.count("SELECT order_id FROM reservations") == kOrders);
  f.check_conservation();
}
