// Goal: the session pool talks to the real MariaDB, bounds its sessions, translates
// SQL errors into values and commits or rolls back transactions as promised.
#include "bourse/db/connection_pool.h"

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <string>

#include "bourse/db/sql_error.h"
#include "test_database.h"

using bourse::ErrorCode;
using bourse::Status;
using bourse::db::ConnectionPool;

TEST_CASE("ping answers against the real database", "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  REQUIRE(pool.ping(std::chrono::seconds(5)).ok());
  CHECK(pool.open_sessions() == 1);
}

TEST_CASE("the pool never opens more than pool_size sessions", "[db][integration]") {
  bourse::testing::TestDatabase database;
  auto config = database.config();
  config.pool_size = 2;
  ConnectionPool pool(config);
  auto first = pool.acquire();
  auto second = pool.acquire();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  auto third = pool.acquire(std::chrono::milliseconds(100));
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == ErrorCode::kUnavailable);
  CHECK(pool.open_sessions() == 2);
}

TEST_CASE("transactions commit, roll back on error, and translate SQL errors",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  REQUIRE(pool.with_session([](soci::session& s) {
                s << "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB";
              })
              .ok());

  REQUIRE(pool.in_transaction([](soci::session& s) {
                s << "INSERT INTO t VALUES (1, 10)";
                return Status::success();
              })
              .ok());

  Status rolled_back = pool.in_transaction([](soci::session& s) -> Status {
    s << "INSERT INTO t VALUES (2, 20)";
    return bourse::Error::invalid("changed my mind");
  });
  CHECK_FALSE(rolled_back.ok());

  Status duplicate = pool.in_transaction([](soci::session& s) {
    s << "INSERT INTO t VALUES (3, 30)";
    s << "INSERT INTO t VALUES (1, 11)";
    return Status::success();
  });
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.error().reason == bourse::db::kDuplicateKeyReason);

  int rows = 0;
  REQUIRE(
      pool.with_session([&](soci::session& s) { s << "SELECT COUNT(*) FROM t", soci::into(rows); })
          .ok());
  CHECK(rows == 1);  // only the committed row; 2 and 3 were rolled back
}

TEST_CASE("a duplicate key is recognised and a READ COMMITTED transaction runs as such",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  REQUIRE(pool.with_session([](soci::session& s) {
                s << "CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB";
                s << "INSERT INTO t VALUES (1)";
              })
              .ok());
  bool duplicate = false;
  bool other = true;
  REQUIRE(pool.with_session([&](soci::session& s) {
                try {
                  s << "INSERT INTO t VALUES (1)";
                } catch (const std::exception& e) {
                  duplicate = bourse::db::is_duplicate_key(e);
                }
                try {
                  s << "INSERT INTO no_such_table VALUES (1)";
                } catch (const std::exception& e) {
                  other = bourse::db::is_duplicate_key(e);
                }
              })
              .ok());
  CHECK(duplicate);
  CHECK_FALSE(other);

  // READ COMMITTED sees a row another session commits between two reads; the default
  // (REPEATABLE READ) keeps its first snapshot.
  auto reads_twice = [&](bourse::db::Isolation isolation, int inserted_id) {
    int before = -1, after = -1;
    REQUIRE(pool.in_transaction(
                    [&](soci::session& s) {
                      s << "SELECT COUNT(*) FROM t", soci::into(before);
                      REQUIRE(pool.with_session([&](soci::session& other) {
                                    other << "INSERT INTO t VALUES (" +
                                                 std::to_string(inserted_id) + ")";
                                  })
                                  .ok());
                      s << "SELECT COUNT(*) FROM t", soci::into(after);
                      return Status::success();
                    },
                    1, isolation)
                .ok());
    return after - before;
  };
  CHECK(reads_twice(bourse::db::Isolation::kReadCommitted, 10) == 1);
  CHECK(reads_twice(bourse::db::Isolation::kServerDefault, 11) == 0);  // back to the default
}

TEST_CASE("an unreachable database is kUnavailable, not an exception", "[db][integration]") {
  auto config = bourse::testing::stack_db_config();
  config.port = 1;  // nothing listens on port 1
  ConnectionPool pool(config);
  Status status = pool.ping(std::chrono::seconds(2));
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == ErrorCode::kUnavailable);
  CHECK(pool.open_sessions() == 0);
}

TEST_CASE("a session keeps its isolation level only inside in_transaction at that level",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  auto config = database.config();
  config.pool_size = 1;  // one session: every call below gets the same one
  ConnectionPool pool(config);
  auto level_in = [&](bourse::db::Isolation isolation) {
    std::string level;
    REQUIRE(pool.in_transaction(
                    [&](soci::session& s) {
                      s << "SELECT @@tx_isolation", soci::into(level);
                      return Status::success();
                    },
                    1, isolation)
                .ok());
    return level;
  };
  auto level_outside = [&] {
    std::string level;
    REQUIRE(pool.with_session([&](soci::session& s) { s << "SELECT @@tx_isolation", soci::into(level); })
                .ok());
    return level;
  };
  CHECK(level_in(bourse::db::Isolation::kReadCommitted) == "READ-COMMITTED");
  CHECK(level_in(bourse::db::Isolation::kReadCommitted) == "READ-COMMITTED");
  CHECK(level_outside() == "REPEATABLE-READ");  // with_session/acquire: the server default
  CHECK(level_in(bourse::db::Isolation::kReadCommitted) == "READ-COMMITTED");
  CHECK(level_in(bourse::db::Isolation::kServerDefault) == "REPEATABLE-READ");
  auto lease = pool.acquire();
  REQUIRE(lease.ok());
  std::string level;
  lease->session() << "SELECT @@tx_isolation", soci::into(level);
  CHECK(level == "REPEATABLE-READ");
}
