// Shared set-up for the order module's integration tests (and the order routes test): a
// scratch database with the project's migrations, a pool, a UserDirectory backed by the
// `accounts` table, and an OrderService.
#pragma once

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/order/order_service.h"
#include "order_test_instruments.h"
#include "project_migrations.h"
#include "test_database.h"

namespace bourse::order::testing {

// The fake directory "that also works against the DB": a user exists iff it has a row in
// the account module's `accounts` table (tests insert those rows directly).
class DbUserDirectory final : public UserDirectory {
 public:
  explicit DbUserDirectory(db::ConnectionPool& pool) : pool_(pool) {}
  Result<bool> user_exists(std::string_view user_id) override {
    int count = 0;
    const std::string id(user_id);
    Status read = pool_.with_session([&](soci::session& session) {
      session << "SELECT COUNT(*) FROM accounts WHERE user_id = :user_id", soci::use(id),
          soci::into(count);
    });
    if (!read) return read.error();
    return count > 0;
  }

 private:
  db::ConnectionPool& pool_;
};

// Says yes to everyone (for tests whose database is deliberately unreachable).
class EveryoneExists final : public UserDirectory {
 public:
  Result<bool> user_exists(std::string_view) override { return true; }
};

inline db::DbConfig with_pool_size(db::DbConfig config, int pool_size) {
  config.pool_size = pool_size;
  return config;
}

inline void migrate(db::ConnectionPool& pool) { bourse::testing::apply_project_migrations(pool); }

// submit() and wait for its completion.
inline Result<SubmitResult> submit_and_wait(OrderService& service, OrderRequest request,
                                            std::optional<std::string> key = std::nullopt) {
  auto promise = std::make_shared<std::promise<Result<SubmitResult>>>();
  auto future = promise->get_future();
  service.submit(std::move(request), std::move(key),
                 [promise](Result<SubmitResult> result) { promise->set_value(std::move(result)); });
  return future.get();
}

struct OrderFixture {
  explicit OrderFixture(OrderServiceOptions options = {}, int pool_size = 8)
      : pool(with_pool_size(database.config(), pool_size)),
        instruments(test_instruments()),
        users(pool) {
    migrate(pool);
    options.order_events_topic = "test.order-events";
    orders = std::make_unique<OrderService>(pool, users, instruments, options);
  }

  void add_user(const std::string& user_id) {
    REQUIRE(pool.with_session([&](soci::session& session) {
                  session << "INSERT INTO accounts (user_id) VALUES (:user_id)", soci::use(user_id);
                })
                .ok());
  }

  long long count(const std::string& sql) {
    long long n = -1;
    REQUIRE(pool.with_session([&](soci::session& session) { session << sql, soci::into(n); }).ok());
    return n;
  }
  long long rows(const std::string& table) { return count("SELECT COUNT(*) FROM " + table); }

  OrderRequest limit_buy(const std::string& user, long long quantity = 10,
                         const char* price = "150") {
    OrderRequest request;
    request.user_id = user;
    request.symbol = "AAPL";
    request.side = Side::kBuy;
    request.type = OrderType::kLimit;
    request.time_in_force = TimeInForce::kGtc;
    request.quantity = Quantity::of(quantity);
    request.price = Amount::parse(price).value();
    return request;
  }

  bourse::testing::TestDatabase database;
  db::ConnectionPool pool;
  InstrumentTable instruments;
  DbUserDirectory users;
  std::unique_ptr<OrderService> orders;  // last: stopped before the pool goes
};

}  // namespace bourse::order::testing
