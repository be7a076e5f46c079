// A scratch database on the local MariaDB for one integration test.
//
// Creates `bourse_t_<unique_suffix()>` (the stack's bourse user may create databases
// named bourse%), hands out a DbConfig for it, and drops it when destroyed, so tests
// never see each other's rows and can run in parallel.
#pragma once

#include <atomic>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <string>
#include <unistd.h>

#include "bourse/db/db_config.h"
#include "stack_env.h"
#include "unique_name.h"

namespace bourse::testing {

inline db::DbConfig stack_db_config() {
  db::DbConfig config;
  config.host = stack_value("BOURSE_DB_HOST");
  config.port = std::stoi(stack_value("BOURSE_DB_PORT"));
  config.user = stack_value("BOURSE_DB_USER");
  config.password = stack_value("BOURSE_DB_PASSWORD");
  config.database = stack_value("BOURSE_DB_NAME");
  config.pool_size = 8;
  return config;
}

class TestDatabase {
 public:
  TestDatabase() : config_(stack_db_config()) {
    name_ = "bourse_t_" + unique_suffix();
    soci::session admin(soci::mysql, config_.connection_string());
    admin << "DROP DATABASE IF EXISTS " + name_;
    admin << "CREATE DATABASE " + name_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
    config_.database = name_;
  }
  ~TestDatabase() {
    try {
      db::DbConfig admin_config = config_;
      admin_config.database = stack_value("BOURSE_DB_NAME");
      soci::session admin(soci::mysql, admin_config.connection_string());
      admin << "DROP DATABASE IF EXISTS " + name_;
    } catch (...) {
      // Best effort: a leftover scratch database is harmless.
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const db::DbConfig& config() const { return config_; }
  const std::string& name() const { return name_; }

 private:
  db::DbConfig config_;
  std::string name_;
};

}  // namespace bourse::testing
