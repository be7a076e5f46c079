// Shared set-up for the account module's integration tests: a scratch database with
// the project's migrations, a pool, the service, and ledger conservation checks.
#pragma once

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bourse/account/account_service.h"
#include "bourse/account/ledger.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "project_migrations.h"
#include "test_database.h"

namespace bourse::account::testing {

inline db::DbConfig with_pool_size(db::DbConfig config, int pool_size) {
  config.pool_size = pool_size;
  return config;
}

inline Amount usd(const char* text) { return Amount::parse(text).value(); }

// A reservation request with the order id that the test's "order module" gives it.
struct OrderRequest {
  OrderId order_id;
  ReservationRequest request;
};

struct AccountFixture {
  explicit AccountFixture(int pool_size = 8)
      : pool(with_pool_size(database.config(), pool_size)), accounts(pool) {
    bourse::testing::apply_project_migrations(pool);
  }

  // reserve_orders for `orders` in one READ COMMITTED transaction, as the order
  // module's group commit calls it; the reserved orders get the ids given with them.
  // `reads` as BalanceReads; with `fall_back`, a kOptimistic group whose balances moved
  // runs again with locking reads, as the order committer does. `meanwhile` runs inside
  // the creator callback: after the reads, before any write.
  Result<std::vector<ReservationDecision>> reserve_group(
      const std::vector<OrderRequest>& orders, int max_attempts = 3,
      BalanceReads reads = BalanceReads::kLocking, bool fall_back = true,
      const std::function<void()>& meanwhile = {}) {
    std::vector<ReservationRequest> requests;
    for (const auto& order : orders) requests.push_back(order.request);
    std::optional<Result<std::vector<ReservationDecision>>> result;
    Status status = pool.in_transaction(
        [&](soci::session& session) -> Status {
          result.emplace(accounts.reserve_orders(
              session, requests,
              [&](std::span<const ReservationDecision> decisions) -> Result<std::vector<OrderId>> {
                if (meanwhile) meanwhile();
                std::vector<OrderId> ids;
                for (std::size_t i = 0; i < decisions.size(); ++i) {
                  if (std::holds_alternative<Reserved>(decisions[i])) {
                    ids.push_back(orders[i].order_id);
                  }
                }
                return ids;
              },
              reads));
          if (!*result) return result->error();
          return Status::success();
        },
        max_attempts, db::Isolation::kReadCommitted);
    if (!status && fall_back && reads == BalanceReads::kOptimistic &&
        status.error().reason == kBalancesMovedReason) {
      return reserve_group(orders, max_attempts, BalanceReads::kLocking);
    }
    if (!status) return status.error();
    return std::move(*result);
  }

  // One order: its decision.
  Result<ReservationDecision> reserve(const OrderRequest& order) {
    auto decisions = reserve_group({order});
    if (!decisions) return decisions.error();
    REQUIRE(decisions->size() == 1);
    return decisions->front();
  }

  Result<ReleaseOutcome> release(std::int64_t order_id, const std::string& reference) {
    std::optional<Result<ReleaseOutcome>> result;
    Status status = pool.in_transaction([&](soci::session& session) -> Status {
      result.emplace(accounts.release_reservation(session, OrderId(order_id), reference));
      if (!*result) return result->error();
      return Status::success();
    });
    if (!status) return status.error();
    return std::move(*result);
  }

  Result<SettlementOutcome> settle(const TradeSettlement& trade) {
    std::optional<Result<SettlementOutcome>> result;
    Status status = pool.in_transaction([&](soci::session& session) -> Status {
      result.emplace(accounts.settle_trade(session, trade));
      if (!*result) return result->error();
      return Status::success();
    });
    if (!status) return status.error();
    return std::move(*result);
  }

  AccountSnapshot get(const std::string& user) {
    auto snapshot = accounts.get_account(user);
    INFO((snapshot.ok() ? std::string() : snapshot.error().message));
    REQUIRE(snapshot.ok());
    return std::move(snapshot).value();
  }

  // The number of rows returned by a query that lists violations (must be 0).
  long long count(const std::string& sql) {
    long long n = -1;
    REQUIRE(pool.with_session([&](soci::session& session) {
                  session << "SELECT COUNT(*) FROM (" + sql + ") AS violations", soci::into(n);
                })
                .ok());
    return n;
  }

  // Conservation and reservation invariants, checked from the tables alone.
  void check_conservation() {
    // Every balance equals the sum of its deltas in the ledger of record (ledger_entries
    // and the trade journal's legs, bourse/account/ledger.h).
    const std::string ledger = "(" + bourse::account::ledger_of_record_sql() + ")";
    CHECK(count("SELECT c.user_id FROM cash_balances c LEFT JOIN (SELECT user_id, asset, "
                "SUM(total_delta) AS t, SUM(reserved_delta) AS r FROM " + ledger + " lr GROUP BY "
                "user_id, asset) l ON l.user_id = c.user_id AND l.asset = CONCAT('cash:', "
                "c.currency) WHERE COALESCE(l.t, 0) <> c.total_units OR COALESCE(l.r, 0) <> "
                "c.reserved_units") == 0);
    CHECK(count("SELECT p.user_id FROM positions p LEFT JOIN (SELECT user_id, asset, "
                "SUM(total_delta) AS t, SUM(reserved_delta) AS r FROM " + ledger + " lr GROUP BY "
                "user_id, asset) l ON l.user_id = p.user_id AND l.asset = CONCAT('shares:', "
                "p.symbol) WHERE COALESCE(l.t, 0) <> p.total_quantity OR COALESCE(l.r, 0) <> "
                "p.reserved_quantity") == 0);
    // Every ledger account except @external has its balance row.
    CHECK(count("SELECT l.user_id FROM " + ledger + " l WHERE l.user_id <> '@external' AND NOT "
                "EXISTS (SELECT 1 FROM cash_balances c WHERE c.user_id = l.user_id AND "
                "CONCAT('cash:', c.currency) = l.asset) AND NOT EXISTS (SELECT 1 FROM positions "
                "p WHERE p.user_id = l.user_id AND CONCAT('shares:', p.symbol) = l.asset)") == 0);
    // Double entry: each event's total deltas sum to zero per asset.
    CHECK(count("SELECT kind FROM " + ledger + " l GROUP BY kind, reference, asset "
                "HAVING SUM(total_delta) <> 0") == 0);
    // Per currency and symbol, the sum over all accounts is what came in from outside.
    CHECK(count("SELECT asset FROM " + ledger + " l GROUP BY asset HAVING SUM(total_delta) <> 0") ==
          0);
    // Reserved balances equal what the open reservations still hold.
    CHECK(count("SELECT c.user_id FROM cash_balances c WHERE c.reserved_units <> (SELECT "
                "COALESCE(SUM(r.remaining), 0) FROM reservations r WHERE r.user_id = c.user_id "
                "AND r.asset = CONCAT('cash:', c.currency) AND r.status = 'RESERVED')") == 0);
    CHECK(count("SELECT p.user_id FROM positions p WHERE p.reserved_quantity <> (SELECT "
                "COALESCE(SUM(r.remaining), 0) FROM reservations r WHERE r.user_id = p.user_id "
                "AND r.asset = CONCAT('shares:', p.symbol) AND r.status = 'RESERVED')") == 0);
    CHECK(count("SELECT user_id FROM cash_balances WHERE reserved_units < 0 OR total_units < "
                "reserved_units") == 0);
    CHECK(count("SELECT user_id FROM positions WHERE reserved_quantity < 0 OR total_quantity < "
                "reserved_quantity") == 0);
  }

  bourse::testing::TestDatabase database;
  db::ConnectionPool pool;
  AccountService accounts;
};

inline ReservationRequest limit_request(std::string user, Side side, std::string symbol,
                                        std::int64_t quantity, const char* price) {
  ReservationRequest request;
  request.user_id = std::move(user);
  request.side = side;
  request.type = OrderType::kLimit;
  request.symbol = std::move(symbol);
  request.quantity = Quantity::of(quantity);
  request.limit_price = usd(price);
  return request;
}

inline OrderRequest limit_order(std::int64_t order_id, std::string user, Side side,
                                std::string symbol, std::int64_t quantity, const char* price) {
  return {OrderId(order_id),
          limit_request(std::move(user), side, std::move(symbol), quantity, price)};
}

inline OrderRequest market_buy(std::int64_t order_id, std::string user, std::string symbol,
                               std::int64_t quantity, const char* reference_price,
                               std::int32_t band_basis_points) {
  ReservationRequest request;
  request.user_id = std::move(user);
  request.side = Side::kBuy;
  request.type = OrderType::kMarket;
  request.symbol = std::move(symbol);
  request.quantity = Quantity::of(quantity);
  request.reference_price = usd(reference_price);
  request.band_basis_points = band_basis_points;
  return {OrderId(order_id), std::move(request)};
}

inline bool reserved(const ReservationDecision& decision) {
  return std::holds_alternative<Reserved>(decision);
}

}  // namespace bourse::account::testing
