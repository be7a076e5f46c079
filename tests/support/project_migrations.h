// Applies the project's own migrations (migrations/ of the source tree) to a test
// database through `pool`, failing the current Catch2 test if anything goes wrong.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"

namespace bourse::testing {

inline void apply_project_migrations(db::ConnectionPool& pool) {
  const char* source_dir = std::getenv("BOURSE_SOURCE_DIR");
  REQUIRE(source_dir != nullptr);
  auto migrations = db::load_migrations(std::string(source_dir) + "/migrations");
  REQUIRE(migrations.ok());
  auto applied = db::apply_migrations(pool, *migrations);
  INFO((applied.ok() ? std::string() : applied.error().message));
  REQUIRE(applied.ok());
}

}  // namespace bourse::testing
