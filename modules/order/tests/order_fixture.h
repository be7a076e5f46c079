// Shared set-up for the order module's integration tests (and the order routes test): a
// scratch database with the project's migrations, a pool, the account module (orders
// reserve through it) and an OrderService.
#pragma once

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/order/order_service.h"
#include "order_test_instruments.h"
#include "project_migrations.h"
#include "test_database.h"

namespace bourse::order::testing {

inline db::DbConfig with_pool_size(db::DbConfig config, int pool_size) {
  config.pool_size = pool_size;
  return config;
}

// The stack's database settings aimed at a port nothing listens on: every connect fails
// (within a second).
inline db::DbConfig unreachable_db_config() {
  db::DbConfig config = bourse::testing::stack_db_config();
  config.port = 1;
  config.connect_timeout = std::chrono::seconds(1);
  return config;
}

inline void migrate(db::ConnectionPool& pool) { bourse::testing::apply_project_migrations(pool); }

// submit() and wait for its completion.
// Submits without waiting: the answer arrives through the returned future.
inline std::future<Result<SubmitResult>> submit_async(
    OrderService& service, OrderRequest request, std::optional<std::string> key = std::nullopt) {
  auto promise = std::make_shared<std::promise<Result<SubmitResult>>>();
  auto future = promise->get_future();
  service.submit(std::move(request), std::move(key),
                 [promise](Result<SubmitResult> result) { promise->set_value(std::move(result)); });
  return future;
}

inline Result<SubmitResult> submit_and_wait(OrderService& service, OrderRequest request,
                                            std::optional<std::string> key = std::nullopt) {
  return submit_async(service, std::move(request), std::move(key)).get();
}

// Waits for every future; REQUIRES each to succeed. Returns {202s, other answers}.
inline std::pair<int, int> count_answers(std::vector<std::future<Result<SubmitResult>>>& futures) {
  int accepted = 0, rejected = 0;
  for (auto& future : futures) {
    auto result = future.get();
    INFO((result.ok() ? std::string() : result.error().message));
    REQUIRE(result.ok());
    (result->http_status == 202 ? accepted : rejected)++;
  }
  return {accepted, rejected};
}

struct OrderFixture {
  explicit OrderFixture(OrderServiceOptions options = {}, int pool_size = 8)
      : pool(with_pool_size(database.config(), pool_size)),
        instruments(test_instruments()),
        accounts(pool) {
    migrate(pool);
    options.order_events_topic = "test.order-events";
    orders = std::make_unique<OrderService>(pool, accounts, instruments, options);
  }

  // Opens an account with `cash` and 100,000 shares of every test symbol.
  void add_user(const std::string& user_id, const char* cash = "1000000000") {
    std::map<std::string, Quantity> positions;
    for (const auto& [symbol, instrument] : instruments) positions[symbol] = Quantity::of(100'000);
    const Status opened = accounts.open_account(user_id, Amount::parse(cash).value(), positions);
    INFO((opened.ok() ? std::string() : opened.error().message));
    REQUIRE(opened.ok());
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
  account::AccountService accounts;
  std::unique_ptr<OrderService> orders;  // last: stopped before the pool goes
};

}  // namespace bourse::order::testing
