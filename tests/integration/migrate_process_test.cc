// Goal: two `bourse migrate` processes started at once against one empty database both
// succeed, and every migration is recorded (and applied) exactly once.
#include <catch2/catch.hpp>
#include <soci/soci.h>

#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "child_process.h"
#include "test_database.h"

using bourse::testing::ChildProcess;

TEST_CASE("concurrent bourse migrate processes apply each migration once",
          "[migrate][integration]") {
  bourse::testing::TestDatabase database;
  const std::string source_dir = std::getenv("BOURSE_SOURCE_DIR");
  auto env = bourse::testing::stack_child_env({
      {"BOURSE_DB_NAME", database.name()},
      {"BOURSE_MIGRATIONS_DIR", source_dir + "/migrations"},
  });
  const std::string log_dir = std::getenv("BOURSE_BINARY_DIR");
  ChildProcess first(BOURSE_EXECUTABLE, {"migrate"}, env, log_dir + "/migrate_a.log");
  ChildProcess second(BOURSE_EXECUTABLE, {"migrate"}, env, log_dir + "/migrate_b.log");
  INFO(first.log());
  INFO(second.log());
  REQUIRE(first.wait(std::chrono::seconds(60)) == 0);
  REQUIRE(second.wait(std::chrono::seconds(60)) == 0);

  auto migrations = bourse::db::load_migrations(source_dir + "/migrations");
  REQUIRE(migrations.ok());
  bourse::db::ConnectionPool pool(database.config());
  int recorded = 0;
  int distinct = 0;
  REQUIRE(pool.with_session([&](soci::session& s) {
    s << "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations", soci::into(recorded),
        soci::into(distinct);
  }).ok());
  CHECK(recorded == static_cast<int>(migrations->size()));
  CHECK(distinct == recorded);

  // Exactly one of the two logged that it applied them all; the other found none to do.
  std::string logs = first.log() + second.log();
  CHECK(logs.find("\"applied_count\":" + std::to_string(migrations->size())) != std::string::npos);
  CHECK(logs.find("\"applied_count\":0") != std::string::npos);

  // A third run is a no-op.
  ChildProcess third(BOURSE_EXECUTABLE, {"migrate"}, env, log_dir + "/migrate_c.log");
  REQUIRE(third.wait(std::chrono::seconds(60)) == 0);
  CHECK(third.log().find("\"applied_count\":0") != std::string::npos);
}

TEST_CASE("bourse migrate fails clearly when the database is unreachable",
          "[migrate][integration]") {
  auto env = bourse::testing::stack_child_env(
      {{"BOURSE_DB_PORT", "1"},
       {"BOURSE_DB_CONNECT_TIMEOUT_S", "2"},
       {"BOURSE_MIGRATIONS_DIR", std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/migrations"}});
  ChildProcess migrate(BOURSE_EXECUTABLE, {"migrate"}, env,
                       std::string(std::getenv("BOURSE_BINARY_DIR")) + "/migrate_down.log");
  CHECK(migrate.wait(std::chrono::seconds(30)) == 1);
  CHECK(migrate.log().find("migration failed") != std::string::npos);
}

TEST_CASE("bourse refuses an invalid configuration with exit code 2", "[config][integration]") {
  ChildProcess bad(BOURSE_EXECUTABLE, {"migrate", "--set", "http.port=99999"}, {},
                   std::string(std::getenv("BOURSE_BINARY_DIR")) + "/bad_config.log");
  CHECK(bad.wait(std::chrono::seconds(30)) == 2);
  CHECK(bad.log().find("http.port") != std::string::npos);
}
