// Goal: accounts open once, deposits apply exactly once per reference, and balances
// read back exactly, against the real MariaDB.
#include "bourse/account/account_service.h"

#include <catch2/catch.hpp>

#include "account_fixture.h"

using bourse::ErrorCode;
using bourse::Quantity;
using bourse::account::testing::AccountFixture;
using bourse::account::testing::usd;

TEST_CASE("an opened account reads back its cash and positions", "[account][integration]") {
  AccountFixture f;
  auto opened = f.accounts.open_account("alice", usd("1000.5"),
                                        {{"MSFT", Quantity::of(0)}, {"AAPL", Quantity::of(10)}});
  INFO((opened.ok() ? std::string() : opened.error().message));
  REQUIRE(opened.ok());
  auto account = f.get("alice");
  CHECK(account.user_id == "alice");
  CHECK(account.cash.currency == "USD");
  CHECK(account.cash.total == usd("1000.5"));
  CHECK(account.cash.reserved == usd("0"));
  CHECK(account.cash.available == usd("1000.5"));
  REQUIRE(account.positions.size() == 2);
  CHECK(account.positions[0].symbol == "AAPL");
  CHECK(account.positions[0].quantity == Quantity::of(10));
  CHECK(account.positions[0].available == Quantity::of(10));
  CHECK(account.positions[1].symbol == "MSFT");
  CHECK(account.positions[1].quantity == Quantity::of(0));
  f.check_conservation();
}

TEST_CASE("opening an existing account is a conflict and changes nothing",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("10"), {}).ok());
  auto again = f.accounts.open_account("alice", usd("99"), {{"AAPL", Quantity::of(1)}});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kConflict);
  CHECK(again.error().reason == "account_exists");
  auto account = f.get("alice");
  CHECK(account.cash.total == usd("10"));
  CHECK(account.positions.empty());
  // User ids are case-sensitive: "Alice" is another user.
  CHECK(f.accounts.open_account("Alice", usd("1"), {}).ok());
  f.check_conservation();
}

TEST_CASE("invalid account input is rejected before any write", "[account][integration]") {
  AccountFixture f;
  CHECK(f.accounts.open_account("", usd("1"), {}).error().code == ErrorCode::kInvalidArgument);
  CHECK(f.accounts.open_account("bad user", usd("1"), {}).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.accounts.open_account("bob", usd("-1"), {}).error().code == ErrorCode::kInvalidArgument);
  CHECK(f.accounts.open_account("bob", usd("1"), {{"aapl", Quantity::of(1)}}).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.accounts.open_account("bob", usd("1"), {{"AAPL", Quantity::of(-1)}}).error().code ==
        ErrorCode::kInvalidArgument);
  auto missing = f.accounts.get_account("bob");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("a cash deposit applies once per reference and reports the replay",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("100"), {}).ok());
  auto first = f.accounts.deposit_cash("alice", usd("25.0001"), "key-1");
  REQUIRE(first.ok());
  CHECK_FALSE(first->replayed);
  auto second = f.accounts.deposit_cash("alice", usd("25.0001"), "key-1");
  REQUIRE(second.ok());
  CHECK(second->replayed);
  CHECK(f.get("alice").cash.total == usd("125.0001"));

  // The same reference with another amount is a reused key, not a deposit.
  auto reused = f.accounts.deposit_cash("alice", usd("1"), "key-1");
  REQUIRE_FALSE(reused.ok());
  CHECK(reused.error().code == ErrorCode::kConflict);
  CHECK(reused.error().reason == "idempotency_key_reused");
  // References are scoped per user.
  REQUIRE(f.accounts.open_account("bob", usd("0"), {}).ok());
  auto bob = f.accounts.deposit_cash("bob", usd("5"), "key-1");
  REQUIRE(bob.ok());
  CHECK_FALSE(bob->replayed);
  CHECK(f.get("bob").cash.total == usd("5"));
  CHECK(f.get("alice").cash.total == usd("125.0001"));
  f.check_conservation();
}

TEST_CASE("a share deposit applies once per reference and creates the position",
          "[account][integration]") {
  AccountFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("0"), {}).ok());
  auto first = f.accounts.deposit_shares("alice", "AAPL", Quantity::of(7), "dep-1");
  REQUIRE(first.ok());
  CHECK_FALSE(first->replayed);
  auto again = f.accounts.deposit_shares("alice", "AAPL", Quantity::of(7), "dep-1");
  REQUIRE(again.ok());
  CHECK(again->replayed);
  auto account = f.get("alice");
  REQUIRE(account.positions.size() == 1);
  CHECK(account.positions[0].quantity == Quantity::of(7));
  // A cash deposit with a share deposit's reference is a reused key.
  CHECK(f.accounts.deposit_cash("alice", usd("7"), "dep-1").error().reason ==
        "idempotency_key_reused");
  f.check_conservation();
}

TEST_CASE("deposits to an unknown account or of non-positive values fail",
          "[account][integration]") {
  AccountFixture f;
  auto unknown = f.accounts.deposit_cash("nobody", usd("1"), "k");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  CHECK(f.accounts.deposit_shares("nobody", "AAPL", Quantity::of(1), "k").error().code ==
        ErrorCode::kNotFound);
  REQUIRE(f.accounts.open_account("alice", usd("0"), {}).ok());
  CHECK(f.accounts.deposit_cash("alice", usd("0"), "k").error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.accounts.deposit_shares("alice", "AAPL", Quantity::of(0), "k").error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(f.accounts.deposit_cash("alice", usd("1"), "").error().code == ErrorCode::kInvalidArgument);
  CHECK(f.get("alice").cash.total == usd("0"));
}
