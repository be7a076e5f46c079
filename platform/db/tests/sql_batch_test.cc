// Goal: batched statements reach the real MariaDB with their values intact, in one round
// trip, stop at the first failure, and a transaction ending with them commits all or
// nothing.
#include "bourse/db/sql_batch.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse/db/sql_error.h"
#include "test_database.h"

using bourse::Error;
using bourse::ErrorCode;
using bourse::Result;
using bourse::Status;
using bourse::db::ConnectionPool;
using bourse::db::SqlStatement;
using bourse::db::SqlValue;

namespace {

void create_table(ConnectionPool& pool) {
  REQUIRE(pool.with_session([](soci::session& s) {
                s << "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                     "k VARCHAR(64) NOT NULL UNIQUE, v BIGINT NULL, n BIGINT NOT NULL DEFAULT 0, "
                     "CHECK (n >= 0)) ENGINE=InnoDB AUTO_INCREMENT=11";
              })
              .ok());
}

// A pool of one session: every step of a test runs on the same session, so session
// counters (Bytes_received) and @@in_transaction describe what the pool did.
bourse::db::DbConfig one_session(const bourse::testing::TestDatabase& database) {
  auto config = database.config();
  config.pool_size = 1;
  return config;
}

SqlStatement insert(std::string key, SqlValue value) {
  return SqlStatement{"INSERT INTO t (k, v) VALUES (:k, :v)", {std::move(key), std::move(value)},
                      std::nullopt, 1};
}

long long count_rows(ConnectionPool& pool) {
  long long rows = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << "SELECT COUNT(*) FROM t", soci::into(rows); })
              .ok());
  return rows;
}

// What the server has read from this session's client, in bytes. A packet is a 4-byte
// header and, for COM_QUERY, one command byte before the statement text.
constexpr long long kQueryPacketOverhead = 5;
const std::string kShowBytes = "SHOW SESSION STATUS LIKE 'Bytes_received'";

long long bytes_received(soci::session& s) {
  std::string name;
  long long bytes = 0;
  s << kShowBytes, soci::into(name), soci::into(bytes);
  return bytes;
}

// The bytes that `statements` cost when sent as one COM_QUERY (';'-joined), plus the SHOW
// that reads the counter afterwards.
long long one_packet_bytes(soci::session& s, const std::vector<SqlStatement>& statements) {
  long long text = static_cast<long long>(statements.size()) - 1;  // the ';' between them
  for (const SqlStatement& statement : statements) {
    text += static_cast<long long>(bourse::db::render_statement(s, statement).size());
  }
  return text + kQueryPacketOverhead + static_cast<long long>(kShowBytes.size()) +
         kQueryPacketOverhead;
}

}  // namespace

TEST_CASE("bound values reach the table exactly, quotes and backslashes included",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  create_table(pool);
  const std::vector<std::string> keys = {"plain",          "it's",        "back\\slash",
                                         "\"double\"",     "semi;colon",  ":not_a_placeholder",
                                         "nul\0byte",      "ünïcødé €",   "' OR 1=1 -- "};
  std::vector<std::string> exact = keys;
  exact[6] = std::string("nul\0byte", 8);
  REQUIRE(pool.with_session([&](soci::session& s) {
                for (std::size_t i = 0; i < exact.size(); ++i) {
                  SqlValue value = i % 3 == 0 ? SqlValue{} : SqlValue{static_cast<long long>(i) - 5};
                  const auto done = bourse::db::execute_statement(s, insert(exact[i], value));
                  CHECK(done.affected_rows == 1);
                  CHECK(done.last_insert_id == 11 + static_cast<long long>(i));
                }
              })
              .ok());
  REQUIRE(pool.with_session([&](soci::session& s) {
                for (std::size_t i = 0; i < exact.size(); ++i) {
                  long long v = 0;
                  soci::indicator indicator = soci::i_ok;
                  std::string key;
                  s << "SELECT k, v FROM t WHERE id = :id", soci::use(11 + static_cast<long long>(i)),
                      soci::into(key), soci::into(v, indicator);
                  CHECK(key == exact[i]);
                  if (i % 3 == 0) {
                    CHECK(indicator == soci::i_null);
                  } else {
                    CHECK(v == static_cast<long long>(i) - 5);
                  }
                }
              })
              .ok());
}

TEST_CASE("a batch runs its statements in order in one round trip", "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  create_table(pool);
  REQUIRE(pool.with_session([&](soci::session& s) {
                const std::vector<SqlStatement> batch = {
                    insert("a", 1LL), insert("b", 2LL),
                    SqlStatement{"UPDATE t SET n = n + :d WHERE k IN (:a, :b)",
                                 {5LL, std::string("a"), std::string("b")}, std::nullopt, 2},
                    SqlStatement{"UPDATE t SET v = v * :m WHERE k = :k", {10LL, std::string("b")},
                                 std::nullopt, std::nullopt}};
                const long long before = bytes_received(s);
                auto done = bourse::db::execute_statements(s, batch);
                const long long after = bytes_received(s);
                REQUIRE(done.ok());
                REQUIRE(done->size() == 4);
                CHECK((*done)[0].last_insert_id == 11);
                CHECK((*done)[1].last_insert_id == 12);
                CHECK((*done)[2].affected_rows == 2);
                CHECK((*done)[3].affected_rows == 1);
                // One COM_QUERY packet carried all four (four would cost 3 x 4 bytes more).
                CHECK(after - before == one_packet_bytes(s, batch));
                long long v = 0;
                long long n = 0;
                s << "SELECT v, n FROM t WHERE k = 'b'", soci::into(v), soci::into(n);
                CHECK(v == 20);
                CHECK(n == 5);
              })
              .ok());
}

TEST_CASE("the first failing statement stops the batch and is reported as its own error",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  create_table(pool);
  const Error overdrawn{ErrorCode::kConflict, "n went negative", "overdrawn"};
  const SqlStatement negative{"UPDATE t SET n = n - :d WHERE k = :k", {1LL, std::string("a")},
                              overdrawn, std::nullopt};

  SECTION("a CHECK failure it maps comes back as that error; the transaction holds nothing") {
    Status status = pool.in_transaction_ending_with(
        [&](soci::session&) -> Result<ConnectionPool::LastWrites> {
          return ConnectionPool::LastWrites{insert("a", 1LL), negative, insert("c", 3LL)};
        });
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().reason == "overdrawn");
    CHECK(status.error().message.rfind("n went negative: ", 0) == 0);  // + the server's text
    CHECK(count_rows(pool) == 0);
  }
  SECTION("any other failure is the driver's error, classified as usual") {
    Status status = pool.in_transaction_ending_with(
        [&](soci::session&) -> Result<ConnectionPool::LastWrites> {
          return ConnectionPool::LastWrites{insert("a", 1LL), insert("a", 2LL), insert("c", 3LL)};
        });
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().reason == bourse::db::kDuplicateKeyReason);
    CHECK(count_rows(pool) == 0);
  }
  SECTION("without a mapping a CHECK failure is thrown like any statement's") {
    REQUIRE(pool.with_session([&](soci::session& s) {
                  SqlStatement unmapped = negative;
                  unmapped.on_check_violation.reset();
                  const std::vector<SqlStatement> batch = {insert("a", 1LL), unmapped,
                                                           insert("c", 3LL)};
                  try {
                    (void)bourse::db::execute_statements(s, batch);
                    FAIL("the CHECK failure was not thrown");
                  } catch (const std::exception& error) {
                    CHECK(bourse::db::is_check_violation(error));
                  }
                  // Outside a transaction the first statement stands; the third never ran.
                  long long rows = 0;
                  s << "SELECT COUNT(*) FROM t WHERE k IN ('a', 'c')", soci::into(rows);
                  CHECK(rows == 1);
                })
                .ok());
  }
}

TEST_CASE("a transaction ending with a batch commits it with its earlier work",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(one_session(database));
  create_table(pool);
  long long bytes = 0;
  long long expected = 0;
  Status status = pool.in_transaction_ending_with(
      [&](soci::session& s) -> Result<ConnectionPool::LastWrites> {
        s << "INSERT INTO t (k, v) VALUES ('early', 1)";
        bytes = bytes_received(s);
        ConnectionPool::LastWrites last{insert("late", 2LL)};
        expected = one_packet_bytes(
            s, {last[0], SqlStatement{"COMMIT", {}, std::nullopt, std::nullopt}});
        return last;
      });
  REQUIRE(status.ok());
  // The INSERT and the COMMIT went in one packet, and nothing followed them.
  REQUIRE(pool.with_session([&](soci::session& s) { CHECK(bytes_received(s) - bytes == expected); })
              .ok());
  CHECK(count_rows(pool) == 2);

  SECTION("work that fails commits nothing, its early writes included") {
    Status failed = pool.in_transaction_ending_with(
        [&](soci::session& s) -> Result<ConnectionPool::LastWrites> {
          s << "INSERT INTO t (k, v) VALUES ('doomed', 1)";
          return Error::invalid("changed my mind");
        });
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().message == "changed my mind");
    CHECK(count_rows(pool) == 2);
  }
}

TEST_CASE("Begin::kWithLastWrites: reads first, then BEGIN, the writes and COMMIT in one packet",
          "[db][integration]") {
  using Begin = ConnectionPool::Begin;
  bourse::testing::TestDatabase database;
  ConnectionPool pool(one_session(database));
  create_table(pool);
  REQUIRE(pool.with_session([](soci::session& s) { s << "INSERT INTO t (k, v) VALUES ('seed', 1)"; })
              .ok());
  long long bytes = 0;
  long long expected = 0;
  long long seen = -1;
  bool in_transaction_while_reading = true;
  Status status = pool.in_transaction_ending_with(
      [&](soci::session& s) -> Result<ConnectionPool::LastWrites> {
        s << "SELECT COUNT(*) FROM t", soci::into(seen);
        int open = 1;
        s << "SELECT @@in_transaction", soci::into(open);
        in_transaction_while_reading = open != 0;
        bytes = bytes_received(s);
        ConnectionPool::LastWrites last{insert("late", seen + 1)};
        expected = one_packet_bytes(s, {SqlStatement{"BEGIN", {}, std::nullopt, std::nullopt}, last[0],
                                        SqlStatement{"COMMIT", {}, std::nullopt, std::nullopt}});
        return last;
      },
      1, bourse::db::Isolation::kServerDefault, Begin::kWithLastWrites);
  REQUIRE(status.ok());
  CHECK(seen == 1);
  CHECK_FALSE(in_transaction_while_reading);  // the reads ran before BEGIN
  REQUIRE(pool.with_session([&](soci::session& s) { CHECK(bytes_received(s) - bytes == expected); })
              .ok());
  CHECK(count_rows(pool) == 2);

  SECTION("a failing write rolls the whole batch back and leaves no transaction open") {
    Status failed = pool.in_transaction_ending_with(
        [&](soci::session&) -> Result<ConnectionPool::LastWrites> {
          return ConnectionPool::LastWrites{insert("x", 1LL), insert("late", 2LL)};  // duplicate
        },
        1, bourse::db::Isolation::kServerDefault, Begin::kWithLastWrites);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().reason == bourse::db::kDuplicateKeyReason);
    CHECK(count_rows(pool) == 2);  // 'x' was rolled back with the batch
    int open = 1;
    REQUIRE(pool.with_session([&](soci::session& s) { s << "SELECT @@in_transaction", soci::into(open); })
                .ok());
    CHECK(open == 0);
  }
  SECTION("no writes: no transaction at all, and success") {
    const long long before = [&] {
      long long b = 0;
      REQUIRE(pool.with_session([&](soci::session& s) { b = bytes_received(s); }).ok());
      return b;
    }();
    long long after_work = 0;
    Status read_only = pool.in_transaction_ending_with(
        [&](soci::session& s) -> Result<ConnectionPool::LastWrites> {
          after_work = bytes_received(s);
          return ConnectionPool::LastWrites{};
        },
        1, bourse::db::Isolation::kServerDefault, Begin::kWithLastWrites);
    REQUIRE(read_only.ok());
    CHECK(after_work > before);  // the work's own query reached the server...
    long long now = 0;
    REQUIRE(pool.with_session([&](soci::session& s) { now = bytes_received(s); }).ok());
    // ...and nothing was sent after it but this check's own query (same size as the work's).
    CHECK(now - after_work == after_work - before);
  }
}

TEST_CASE("a batch hands back the rows of the statements that return some", "[db][integration]") {
  bourse::testing::TestDatabase database;
  ConnectionPool pool(database.config());
  create_table(pool);
  const std::string odd("it's\\ \0x", 8);  // quote, backslash, NUL
  REQUIRE(pool.with_session([&](soci::session& s) {
                const std::vector<SqlStatement> batch{
                    insert(odd, 5LL),
                    SqlStatement{"SELECT k, v FROM t WHERE v = :v", {5LL}, std::nullopt, std::nullopt},
                    insert("b", SqlValue{}),
                    SqlStatement{"SELECT k, v FROM t ORDER BY id", {}, std::nullopt, std::nullopt}};
                auto outcomes = bourse::db::execute_statements(s, batch);
                REQUIRE(outcomes.ok());
                REQUIRE(outcomes->size() == 4);
                CHECK((*outcomes)[0].rows.empty());
                CHECK((*outcomes)[0].affected_rows == 1);
                REQUIRE((*outcomes)[1].rows.size() == 1);
                CHECK((*outcomes)[1].rows[0][0] == odd);  // exact bytes
                CHECK((*outcomes)[1].rows[0][1] == std::string("5"));
                REQUIRE((*outcomes)[3].rows.size() == 2);
                CHECK((*outcomes)[3].rows[1][0] == std::string("b"));
                CHECK_FALSE((*outcomes)[3].rows[1][1].has_value());  // NULL
              })
              .ok());
}

TEST_CASE("Begin::kByWork: the work's first batch opens the transaction; failures roll it back",
          "[db][integration]") {
  using Begin = ConnectionPool::Begin;
  bourse::testing::TestDatabase database;
  ConnectionPool pool(one_session(database));
  create_table(pool);
  const SqlStatement begin{"BEGIN", {}, std::nullopt, std::nullopt};
  int open_at_start = 1;
  int open_after_first_batch = 0;
  Status status = pool.in_transaction_ending_with(
      [&](soci::session& s) -> Result<ConnectionPool::LastWrites> {
        s << "SELECT @@in_transaction", soci::into(open_at_start);
        REQUIRE(bourse::db::execute_statements(s, std::vector<SqlStatement>{begin, insert("early", 1LL)})
                    .ok());
        s << "SELECT @@in_transaction", soci::into(open_after_first_batch);
        return ConnectionPool::LastWrites{insert("late", 2LL)};
      },
      1, bourse::db::Isolation::kServerDefault, Begin::kByWork);
  REQUIRE(status.ok());
  CHECK(open_at_start == 0);           // the pool sent no BEGIN of its own
  CHECK(open_after_first_batch == 1);  // the work's batch opened it
  CHECK(count_rows(pool) == 2);        // and the last writes' COMMIT closed it

  SECTION("work that fails after its BEGIN commits nothing") {
    Status failed = pool.in_transaction_ending_with(
        [&](soci::session& s) -> Result<ConnectionPool::LastWrites> {
          REQUIRE(bourse::db::execute_statements(s, std::vector<SqlStatement>{begin, insert("doomed", 3LL)})
                      .ok());
          return Error::invalid("changed my mind");
        },
        1, bourse::db::Isolation::kServerDefault, Begin::kByWork);
    REQUIRE_FALSE(failed.ok());
    CHECK(count_rows(pool) == 2);
    int open = 1;
    REQUIRE(pool.with_session([&](soci::session& s) { s << "SELECT @@in_transaction", soci::into(open); })
                .ok());
    CHECK(open == 0);
  }
}
