// Goal: inserted_ids names exactly the ids a multi-row INSERT assigned, without a query
// of its own, on the real MariaDB.
#include "bourse/db/inserted_ids.h"

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "test_database.h"

TEST_CASE("inserted_ids returns the ids of the rows a multi-row insert wrote",
          "[db][integration]") {
  bourse::testing::TestDatabase database;
  bourse::db::ConnectionPool pool(database.config());
  REQUIRE(pool.with_session([](soci::session& s) {
                s << "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) "
                     "ENGINE=InnoDB AUTO_INCREMENT=41";
              })
              .ok());
  std::vector<std::int64_t> first_ids;
  std::vector<std::int64_t> second_ids;
  long long questions_before = 0;
  long long questions_after = 0;
  REQUIRE(pool.in_transaction([&](soci::session& s) {
                s << "INSERT INTO t (v) VALUES (1)";  // reads the server settings once
                soci::statement one = (s.prepare << "INSERT INTO t (v) VALUES (2)");
                one.execute(true);
                REQUIRE(bourse::db::inserted_ids(s, one, 1).ok());

                soci::statement three = (s.prepare << "INSERT INTO t (v) VALUES (3), (4), (5)");
                three.execute(true);
                auto ids = bourse::db::inserted_ids(s, three, 3);
                REQUIRE(ids.ok());
                first_ids = *ids;

                std::string name;
                s << "SHOW SESSION STATUS LIKE 'Questions'", soci::into(name),
                    soci::into(questions_before);
                soci::statement two = (s.prepare << "INSERT INTO t (v) VALUES (6), (7)");
                two.execute(true);
                ids = bourse::db::inserted_ids(s, two, 2);
                REQUIRE(ids.ok());
                second_ids = *ids;
                s << "SHOW SESSION STATUS LIKE 'Questions'", soci::into(name),
                    soci::into(questions_after);
                return bourse::Status::success();
              })
              .ok());
  CHECK(first_ids == std::vector<std::int64_t>{43, 44, 45});
  CHECK(second_ids == std::vector<std::int64_t>{46, 47});
  // Between the two SHOWs: the INSERT and the first SHOW itself, nothing else.
  CHECK(questions_after - questions_before == 2);
  std::vector<long long> stored(5);
  REQUIRE(pool.with_session([&](soci::session& s) {
                s << "SELECT id FROM t WHERE v >= 3 ORDER BY id", soci::into(stored);
              })
              .ok());
  CHECK(stored == std::vector<long long>{43, 44, 45, 46, 47});
}
