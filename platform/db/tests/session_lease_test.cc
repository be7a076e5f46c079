// Goal: a SessionLease is held by one holder at a time per database, moves to a standby
// at once when the holder releases it and soon after the holder's session ends, and
// lease names never collide across databases.
#include "bourse/db/session_lease.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "test_database.h"

using bourse::db::lease_name;
using bourse::db::SessionLease;

namespace {

// Tries to take `standby` until the server has freed a dead holder's lock. The server's
// clean-up after a disconnect is asynchronous: bounded, but not instant.
bool taken_within_handover_bound(SessionLease& standby) {
  constexpr auto kHandoverBound = std::chrono::seconds(5);
  const auto deadline = std::chrono::steady_clock::now() + kHandoverBound;
  while (std::chrono::steady_clock::now() < deadline) {
    auto attempt = standby.try_acquire();
    REQUIRE(attempt.ok());
    if (*attempt) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("lease names carry the database and stay within MySQL's limit", "[db]") {
  CHECK(lease_name("scheduler", "bourse") == "bourse_scheduler@bourse");
  CHECK(lease_name("scheduler", "a") != lease_name("scheduler", "b"));
  const std::string long_database(80, 'd');
  const std::string name = lease_name("scheduler", long_database);
  CHECK(name.size() <= bourse::db::kMaxLeaseNameLength);
  CHECK(name != lease_name("scheduler", long_database + "x"));
}

TEST_CASE("one holder at a time; a released lease moves to the standby",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  const std::string name = lease_name("lease_test", database.name());
  SessionLease first(database.config(), name);
  SessionLease second(database.config(), name);

  auto taken = first.try_acquire();
  REQUIRE(taken.ok());
  CHECK(*taken);
  auto refused = second.try_acquire();
  REQUIRE(refused.ok());
  CHECK_FALSE(*refused);
  CHECK_FALSE(second.held());

  auto still = first.still_held();
  REQUIRE(still.ok());
  CHECK(*still);

  first.release();
  CHECK_FALSE(first.held());
  auto moved = second.try_acquire();  // no wait: release() gave the lock back itself
  REQUIRE(moved.ok());
  CHECK(*moved);
  auto lost = first.try_acquire();
  REQUIRE(lost.ok());
  CHECK_FALSE(*lost);
}

TEST_CASE("a holder whose session ends loses the lease to the standby",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  const std::string name = lease_name("lease_test", database.name());
  // A holder that dies without releasing: a bare session holding the named lock.
  auto dying = std::make_unique<soci::session>(soci::mysql, database.config().connection_string());
  int got = 0;
  *dying << "SELECT GET_LOCK(:name, 0)", soci::use(name), soci::into(got);
  REQUIRE(got == 1);

  SessionLease standby(database.config(), name);
  auto refused = standby.try_acquire();
  REQUIRE(refused.ok());
  CHECK_FALSE(*refused);

  dying.reset();  // the session ends; the server frees its locks after the disconnect
  CHECK(taken_within_handover_bound(standby));
}

TEST_CASE("still_held_running returns its statements' outcomes with the check, and nothing "
          "once the lease is gone",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  const std::string name = lease_name("lease_test", database.name());
  soci::session admin(soci::mysql, database.config().connection_string());
  admin << "CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(16) NULL)";
  admin << "INSERT INTO t VALUES (1, 'one'), (2, NULL)";
  SessionLease lease(database.config(), name);
  REQUIRE(lease.try_acquire().ok());
  REQUIRE(lease.held());

  const bourse::db::SqlStatement read{"SELECT id, v FROM t WHERE id >= :from ORDER BY id",
                                      {1LL}, std::nullopt, std::nullopt};
  // A write after the read, conditional on what the read found (FOUND_ROWS(), the
  // session's count of the previous SELECT: the relay's durability barrier does this).
  const bourse::db::SqlStatement write{
      "INSERT INTO t (id, v) SELECT :id, :v FROM DUAL WHERE FOUND_ROWS() > 0",
      {3LL, std::string("three")}, std::nullopt, std::nullopt};
  const std::vector<bourse::db::SqlStatement> statements{read, write};
  auto outcomes = lease.still_held_running(statements);
  REQUIRE(outcomes.ok());
  REQUIRE(outcomes->has_value());
  REQUIRE((*outcomes)->size() == 2);
  const auto& rows = (**outcomes)[0].rows;
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == bourse::db::SqlRow{std::string("1"), std::string("one")});
  CHECK(rows[1] == bourse::db::SqlRow{std::string("2"), std::nullopt});
  CHECK((**outcomes)[1].affected_rows == 1);
  CHECK(lease.held());
  // Autocommitted: another session sees the write at once.
  long long written = 0;
  admin << "SELECT COUNT(*) FROM t WHERE id = 3", soci::into(written);
  CHECK(written == 1);

  // Nothing found, nothing written.
  const bourse::db::SqlStatement none{"SELECT id, v FROM t WHERE id >= :from ORDER BY id",
                                      {100LL}, std::nullopt, std::nullopt};
  const bourse::db::SqlStatement write_4{
      "INSERT INTO t (id, v) SELECT :id, :v FROM DUAL WHERE FOUND_ROWS() > 0",
      {4LL, std::string("four")}, std::nullopt, std::nullopt};
  const std::vector<bourse::db::SqlStatement> empty_then_write{none, write_4};
  auto nothing = lease.still_held_running(empty_then_write);
  REQUIRE(nothing.ok());
  REQUIRE(nothing->has_value());
  CHECK((**nothing)[0].rows.empty());
  CHECK((**nothing)[1].affected_rows == 0);

  // The holder's session is killed (as a network loss or a DBA would): the next check
  // fails, hands back no rows, and drops the lease, which a standby can then take.
  long long holder = 0;
  admin << "SELECT IS_USED_LOCK(:name)", soci::use(name), soci::into(holder);
  REQUIRE(holder > 0);
  admin << "KILL CONNECTION " + std::to_string(holder);
  const std::vector<bourse::db::SqlStatement> just_read{read};
  auto after = lease.still_held_running(just_read);
  CHECK_FALSE(after.ok());
  CHECK_FALSE(lease.held());
  SessionLease standby(database.config(), name);
  CHECK(taken_within_handover_bound(standby));
}
