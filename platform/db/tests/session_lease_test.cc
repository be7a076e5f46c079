// Goal: a SessionLease is held by one holder at a time per database, moves to a standby
// as soon as the holder's session ends, and lease names never collide across databases.
#include "bourse/db/session_lease.h"

#include <catch2/catch.hpp>
#include <string>

#include "test_database.h"

using bourse::db::lease_name;
using bourse::db::SessionLease;

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

  first.release();  // what a dead holder's session does too
  CHECK_FALSE(first.held());
  auto moved = second.try_acquire();
  REQUIRE(moved.ok());
  CHECK(*moved);
  auto lost = first.try_acquire();
  REQUIRE(lost.ok());
  CHECK_FALSE(*lost);
}
