// Goal: a trade moves cash at the trade price and shares exactly once, consumes the
// reservations, releases the price improvement and any leftover, and a release gives
// back exactly what an order still holds.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "account_fixture.h"

using bourse::ErrorCode;
using bourse::OrderId;
using bourse::Quantity;
using bourse::Side;
using bourse::TradeId;
using bourse::account::ReleaseStatus;
using bourse::account::TradeSettlement;
using bourse::account::testing::AccountFixture;
using bourse::account::testing::limit_order;
using bourse::account::testing::market_buy;
using bourse::account::testing::reserved;
using bourse::account::testing::usd;

namespace {

TradeSettlement trade(std::int64_t id, std::int64_t buy_order, std::int64_t sell_order,
                      const char* buyer, const char* seller, const char* price,
                      std::int64_t quantity) {
  return TradeSettlement{TradeId(id), OrderId(buy_order), OrderId(sell_order),   buyer, seller,
                         "AAPL",      usd(price),         Quantity::of(quantity)};
}

// Buyer "bob" with 10000 cash, seller "sue" with 100 AAPL.
void open_two(AccountFixture& f) {
  REQUIRE(f.accounts.open_account("bob", usd("10000"), {}).ok());
  REQUIRE(f.accounts.open_account("sue", usd("0"), {{"AAPL", Quantity::of(100)}}).ok());
}

}  // namespace

TEST_CASE("partial fills settle at the trade price, release the improvement and add up",
          "[account][integration]") {
  AccountFixture f;
  open_two(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 10, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "95")).value()));

  auto first = f.settle(trade(1, 1, 2, "bob", "sue", "98", 4));
  REQUIRE(first.ok());
  CHECK_FALSE(first->replayed);
  CHECK(first->cash_paid == usd("392"));
  CHECK(first->buyer_cash_released == usd("8"));  // (100 - 98) x 4
  CHECK_FALSE(first->buy_order_completed);
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9608"));
  CHECK(bob.cash.reserved == usd("600"));  // 100 x 6 unfilled
  CHECK(bob.positions.at(0).quantity == Quantity::of(4));
  auto sue = f.get("sue");
  CHECK(sue.cash.total == usd("392"));
  CHECK(sue.positions.at(0).quantity == Quantity::of(96));
  CHECK(sue.positions.at(0).reserved == Quantity::of(6));
  f.check_conservation();

  // A redelivered trade changes nothing.
  auto replay = f.settle(trade(1, 1, 2, "bob", "sue", "98", 4));
  REQUIRE(replay.ok());
  CHECK(replay->replayed);
  CHECK(f.get("bob").cash.total == usd("9608"));

  auto second = f.settle(trade(2, 1, 2, "bob", "sue", "100", 6));
  REQUIRE(second.ok());
  CHECK(second->buy_order_completed);
  CHECK(second->sell_order_completed);
  bob = f.get("bob");
  CHECK(bob.cash.total == usd("9008"));
  CHECK(bob.cash.reserved == usd("0"));
  CHECK(bob.positions.at(0).quantity == Quantity::of(10));
  sue = f.get("sue");
  CHECK(sue.cash.total == usd("992"));
  CHECK(sue.positions.at(0).quantity == Quantity::of(90));
  CHECK(sue.positions.at(0).reserved == Quantity::of(0));
  // Nothing is left to release for completed orders.
  CHECK(f.release(1, "cancel-1")->status == ReleaseStatus::kNothingHeld);
  CHECK(f.release(2, "cancel-2")->status == ReleaseStatus::kNothingHeld);
  f.check_conservation();
}

TEST_CASE("a completed market buy gets its unspent cap back", "[account][integration]") {
  AccountFixture f;
  open_two(f);
  REQUIRE(reserved(f.reserve(market_buy(1, "bob", "AAPL", 10, "100", 500)).value()));  // 1050
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "90")).value()));
  auto settled = f.settle(trade(1, 1, 2, "bob", "sue", "101", 10));
  REQUIRE(settled.ok());
  CHECK(settled->cash_paid == usd("1010"));
  CHECK(settled->buyer_cash_released == usd("40"));
  CHECK(settled->buy_order_completed);
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("8990"));
  CHECK(bob.cash.reserved == usd("0"));
  f.check_conservation();
}

TEST_CASE("releasing an unfilled remainder returns exactly what the order holds, once",
          "[account][integration]") {
  AccountFixture f;
  open_two(f);
  REQUIRE(reserved(f.reserve(market_buy(1, "bob", "AAPL", 10, "100", 500)).value()));  // 1050
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "90")).value()));
  REQUIRE(f.settle(trade(1, 1, 2, "bob", "sue", "100", 5)).ok());
  CHECK(f.get("bob").cash.reserved == usd("550"));

  auto buy_release = f.release(1, "cancel-1");
  REQUIRE(buy_release.ok());
  CHECK(buy_release->status == ReleaseStatus::kReleased);
  CHECK(buy_release->cash == usd("550"));
  auto sell_release = f.release(2, "cancel-2");
  REQUIRE(sell_release.ok());
  CHECK(sell_release->shares == Quantity::of(5));
  CHECK(f.release(1, "cancel-1")->status == ReleaseStatus::kAlreadyReleased);
  CHECK(f.release(99, "cancel-99")->status == ReleaseStatus::kUnknownOrder);

  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9500"));
  CHECK(bob.cash.reserved == usd("0"));
  auto sue = f.get("sue");
  CHECK(sue.positions.at(0).quantity == Quantity::of(95));
  CHECK(sue.positions.at(0).reserved == Quantity::of(0));
  // A released order takes no more fills.
  auto late = f.settle(trade(2, 1, 2, "bob", "sue", "100", 1));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().reason == "settlement_mismatch");
  f.check_conservation();
}

TEST_CASE("a trade that does not fit its reservations is refused and changes nothing",
          "[account][integration]") {
  AccountFixture f;
  open_two(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 10, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "95")).value()));
  CHECK(f.settle(trade(1, 1, 2, "bob", "sue", "100.0001", 1)).error().reason ==
        "settlement_mismatch");  // above the limit
  CHECK(f.settle(trade(1, 1, 2, "bob", "sue", "99", 11)).error().reason ==
        "settlement_mismatch");  // overfill
  CHECK(f.settle(trade(1, 2, 1, "sue", "bob", "99", 1)).error().reason ==
        "settlement_mismatch");  // sides swapped
  CHECK(f.settle(trade(1, 1, 2, "bob", "sue", "99", 0)).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.count("SELECT trade_id FROM settled_trades") == 0);
  CHECK(f.get("bob").cash.reserved == usd("1000"));
  // The refused trade id can still settle once the trade is right.
  REQUIRE(f.settle(trade(1, 1, 2, "bob", "sue", "99", 1)).ok());
  f.check_conservation();
}

TEST_CASE("a self-trade nets cash and shares to reservation changes only",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("sam", usd("1000"), {{"AAPL", Quantity::of(10)}}).ok());
  REQUIRE(reserved(f.reserve(limit_order(1, "sam", Side::kBuy, "AAPL", 5, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sam", Side::kSell, "AAPL", 5, "90")).value()));
  auto settled = f.settle(trade(1, 1, 2, "sam", "sam", "95", 5));
  REQUIRE(settled.ok());
  auto sam = f.get("sam");
  CHECK(sam.cash.total == usd("1000"));
  CHECK(sam.cash.reserved == usd("0"));
  CHECK(sam.positions.at(0).quantity == Quantity::of(10));
  CHECK(sam.positions.at(0).reserved == Quantity::of(0));
  f.check_conservation();
}

TEST_CASE(
    "concurrent settlements between the same accounts in both directions never deadlock "
    "and each trade settles once",
    "[account][integration][concurrency]") {
  // Lock order by user id makes opposite-direction trades (a->b while b->a) safe; with
  // one attempt per transaction any deadlock would show up as a failure.
  AccountFixture f(/*pool_size=*/16);
  const std::vector<std::string> users{"u1", "u2", "u3", "u4"};
  for (const auto& user : users) {
    REQUIRE(f.accounts.open_account(user, usd("100000"), {{"AAPL", Quantity::of(1000)}}).ok());
  }
  constexpr int kTrades = 120;
  std::vector<TradeSettlement> trades;
  for (int i = 0; i < kTrades; ++i) {
    const std::string& buyer = users[i % 4];
    // Offset 1..3 from the buyer: every ordered pair of distinct users occurs.
    const std::string& seller = users[(i % 4 + 1 + (i / 4) % 3) % 4];
    const std::int64_t buy_order = 10'000 + 2 * i;
    const std::int64_t sell_order = buy_order + 1;
    REQUIRE(
        reserved(f.reserve(limit_order(buy_order, buyer, Side::kBuy, "AAPL", 3, "10")).value()));
    REQUIRE(
        reserved(f.reserve(limit_order(sell_order, seller, Side::kSell, "AAPL", 3, "9")).value()));
    trades.push_back(TradeSettlement{TradeId(i + 1), OrderId(buy_order), OrderId(sell_order), buyer,
                                     seller, "AAPL", usd("9.5"), Quantity::of(3)});
  }
  std::atomic<int> next{0};
  std::atomic<int> settled{0};
  std::atomic<int> replayed{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      // Every trade is submitted twice: redelivery racing the first delivery.
      for (int i = next++; i < 2 * kTrades; i = next++) {
        const TradeSettlement& trade = trades[i % kTrades];
        std::optional<bourse::Result<bourse::account::SettlementOutcome>> result;
        bourse::Status status = f.pool.in_transaction(
            [&](soci::session& session) -> bourse::Status {
              result.emplace(f.accounts.settle_trade(session, trade));
              if (!*result) return result->error();
              return bourse::Status::success();
            },
            /*max_attempts=*/1);
        if (!status) {
          std::lock_guard lock(failures_mutex);
          failures.push_back(status.error().message);
        } else if (result->value().replayed) {
          ++replayed;
        } else {
          ++settled;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(settled == kTrades);
  CHECK(replayed == kTrades);
  CHECK(f.count("SELECT trade_id FROM settled_trades") == kTrades);
  // Every order was filled completely by its one trade.
  CHECK(f.count("SELECT order_id FROM reservations WHERE status <> 'COMPLETED'") == 0);
  long long total_cash = 0;
  long long total_shares = 0;
  for (const auto& user : users) {
    auto account = f.get(user);
    CHECK(account.cash.reserved == usd("0"));
    CHECK(account.positions.at(0).reserved == Quantity::of(0));
    total_cash += account.cash.total.units();
    total_shares += account.positions.at(0).quantity.value();
  }
  CHECK(total_cash == 4 * usd("100000").units());
  CHECK(total_shares == 4 * 1000);
  f.check_conservation();
}
