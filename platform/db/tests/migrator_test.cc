// Goal: migrations apply once against the real database, are idempotent, refuse an
// edited migration, and serialize concurrent migrators through the named lock.
#include "bourse/db/migrator.h"

#include <catch2/catch.hpp>
#include <soci/soci.h>
#include <thread>

#include "test_database.h"

using bourse::db::ConnectionPool;
using bourse::db::Migration;

namespace {

std::vector<Migration> sample_migrations() {
  Migration first{1, "0001_t", "00000000000000a1",
                  {"CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB"}};
  Migration second{2, "0002_rows", "00000000000000a2", {"INSERT INTO t VALUES (1)",
                                                         "INSERT INTO t VALUES (2)"}};
  return {first, second};
}

int count(ConnectionPool& pool, const std::string& sql) {
  int n = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
  return n;
}

}  // namespace

TEST_CASE("migrations apply once and a second run is a no-op", "[migrations][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  auto first = bourse::db::apply_migrations(pool, sample_migrations());
  REQUIRE(first.ok());
  CHECK(first->applied == std::vector<int>{1, 2});
  auto second = bourse::db::apply_migrations(pool, sample_migrations());
  REQUIRE(second.ok());
  CHECK(second->applied.empty());
  CHECK(second->already_applied == 2);
  CHECK(count(pool, "SELECT COUNT(*) FROM t") == 2);
  CHECK(count(pool, "SELECT COUNT(*) FROM schema_migrations") == 2);
}

TEST_CASE("an applied migration that changed is refused", "[migrations][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  REQUIRE(bourse::db::apply_migrations(pool, sample_migrations()).ok());
  auto edited = sample_migrations();
  edited[1].checksum = "00000000000000ff";
  auto result = bourse::db::apply_migrations(pool, edited);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().reason == "migration_changed");
}

TEST_CASE("concurrent migrators apply each migration exactly once", "[migrations][integration]") {
  bourse::testing::TestDatabase database;
  constexpr int kMigrators = 4;
  std::vector<std::thread> threads;
  std::vector<int> applied_counts(kMigrators, -1);
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      ConnectionPool pool(database.config());
      auto report = bourse::db::apply_migrations(pool, sample_migrations());
      applied_counts[i] = report.ok() ? static_cast<int>(report->applied.size()) : -1;
    });
  }
  for (auto& thread : threads) thread.join();
  int total_applied = 0;
  for (int applied : applied_counts) {
    REQUIRE(applied >= 0);  // nobody failed (e.g. with a duplicate-key error)
    total_applied += applied;
  }
  CHECK(total_applied == 2);
  ConnectionPool pool(database.config());
  CHECK(count(pool, "SELECT COUNT(*) FROM t") == 2);
}

TEST_CASE("the project's migrations apply to an empty database", "[migrations][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  auto migrations = bourse::db::load_migrations(std::string(std::getenv("BOURSE_SOURCE_DIR")) +
                                                "/migrations");
  REQUIRE(migrations.ok());
  auto report = bourse::db::apply_migrations(pool, *migrations);
  REQUIRE(report.ok());
  CHECK(report->applied.size() == migrations->size());
}
