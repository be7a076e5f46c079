// Forward-only schema migrations.
//
// Migrations are files `NNNN_description.sql` in one folder, applied in version order
// and recorded in `schema_migrations(version, name, checksum, applied_at)`. An applied
// migration is never re-run; if its file changed since (checksum differs), migrate
// fails loudly rather than guess.
//
// Concurrency: many bourse processes may start at once against one database. The
// migrator holds the MySQL named lock `bourse_schema_migrations` (GET_LOCK) for the
// whole run, so exactly one applies the pending files and the others wait, then find
// nothing to do.
//
// File format: statements separated by a `;` at the end of a line; lines starting
// with `--` are comments. MySQL DDL commits implicitly, so a migration that fails
// half-way is not rolled back: keep each file to statements that are safe to retry
// (CREATE TABLE IF NOT EXISTS ...) or to one statement.
//
// Blocking; call from a start-up or worker thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"

namespace bourse::db {

struct Migration {
  int version = 0;
  std::string name;      // file name without the extension
  std::string checksum;  // FNV-1a 64 of the file content, hex
  std::vector<std::string> statements;
};

// Reads and orders the migration files. Errors: missing folder, a file name not of the
// form NNNN_name.sql, two files with one version, an empty file.
Result<std::vector<Migration>> load_migrations(const std::filesystem::path& folder);

// Splits a migration file into statements (see the file format above).
std::vector<std::string> split_sql_statements(const std::string& text);

struct MigrationReport {
  std::vector<int> applied;  // versions applied by this call
  int already_applied = 0;   // versions found already recorded
};

Result<MigrationReport> apply_migrations(
    ConnectionPool& pool, const std::vector<Migration>& migrations,
    std::chrono::seconds lock_timeout = limits::kMigrationLockTimeout);

}  // namespace bourse::db
