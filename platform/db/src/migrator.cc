#include "bourse/db/migrator.h"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <soci/soci.h>
#include <sstream>

#include "bourse/db/sql_error.h"

namespace bourse::db {
namespace {

constexpr const char* kLockName = "bourse_schema_migrations";

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::vector<std::string> split_sql_statements(const std::string& text) {
  std::vector<std::string> statements;
  std::istringstream in(text);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    std::string trimmed = trim(line);
    if (trimmed.rfind("--", 0) == 0) continue;
    current += line;
    current += '\n';
    if (!trimmed.empty() && trimmed.back() == ';') {
      std::string statement = trim(current);
      statement.pop_back();  // the ';'
      statement = trim(statement);
      if (!statement.empty()) statements.push_back(statement);
      current.clear();
    }
  }
  std::string rest = trim(current);
  if (!rest.empty()) statements.push_back(rest);
  return statements;
}

Result<std::vector<Migration>> load_migrations(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return Error::invalid("migrations folder not found: " + folder.string(), "migrations_folder");
  }
  std::map<int, Migration> by_version;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::string stem = entry.path().stem().string();
    auto underscore = stem.find('_');
    if (underscore == std::string::npos || underscore == 0 ||
        !std::all_of(stem.begin(), stem.begin() + underscore, ::isdigit)) {
      return Error::invalid("migration file name must be NNNN_name.sql: " + stem,
                            "migration_name");
    }
    Migration migration;
    migration.version = std::stoi(stem.substr(0, underscore));
    migration.name = stem;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    migration.checksum = fnv1a_hex(content.str());
    migration.statements = split_sql_statements(content.str());
    if (migration.statements.empty()) {
      return Error::invalid("migration has no statements: " + stem, "migration_empty");
    }
    if (by_version.count(migration.version) != 0) {
      return Error::invalid("two migrations with version " + std::to_string(migration.version),
                            "migration_duplicate");
    }
    by_version.emplace(migration.version, std::move(migration));
  }
  std::vector<Migration> ordered;
  for (auto& [version, migration] : by_version) ordered.push_back(std::move(migration));
  return ordered;
}

Result<MigrationReport> apply_migrations(ConnectionPool& pool,
                                         const std::vector<Migration>& migrations,
                                         std::chrono::seconds lock_timeout) {
  auto lease = pool.acquire();
  if (!lease) return lease.error();
  soci::session& session = lease->session();
  MigrationReport report;
  try {
    int locked = 0;
    soci::indicator lock_indicator = soci::i_ok;
    int timeout_seconds = static_cast<int>(lock_timeout.count());
    // Bound values must outlive the statement, which runs when the full expression
    // ends: a temporary std::string here would be destroyed first.
    const std::string lock_name = kLockName;
    session << "SELECT GET_LOCK(:name, :timeout)", soci::use(lock_name),
        soci::use(timeout_seconds), soci::into(locked, lock_indicator);
    if (lock_indicator != soci::i_ok || locked != 1) {
      return Error{ErrorCode::kTimeout, "another migrator held the migration lock too long", {}};
    }
    // The lock is per session: releasing it on every path below, and the server drops
    // it anyway if this session dies.
    struct Unlock {
      soci::session& session;
      ~Unlock() {
        try {
          int released = 0;
          session << "SELECT RELEASE_LOCK('bourse_schema_migrations')", soci::into(released);
        } catch (...) {
        }
      }
    } unlock{session};

    session << "CREATE TABLE IF NOT EXISTS schema_migrations ("
               " version INT NOT NULL PRIMARY KEY,"
               " name VARCHAR(255) NOT NULL,"
               " checksum CHAR(16) NOT NULL,"
               " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
               ") ENGINE=InnoDB";

    std::map<int, std::string> applied_checksums;
    {
      soci::rowset<soci::row> rows =
          (session.prepare << "SELECT version, checksum FROM schema_migrations");
      for (const auto& row : rows) {
        applied_checksums[row.get<int>(0)] = row.get<std::string>(1);
      }
    }
    for (const auto& migration : migrations) {
      auto found = applied_checksums.find(migration.version);
      if (found != applied_checksums.end()) {
        if (found->second != migration.checksum) {
          return Error{ErrorCode::kConflict,
                       "migration " + migration.name +
                           " was changed after it was applied (checksum differs); add a new "
                           "migration instead",
                       "migration_changed"};
        }
        ++report.already_applied;
        continue;
      }
      for (const auto& statement : migration.statements) session << statement;
      session << "INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)",
          soci::use(migration.version), soci::use(migration.name), soci::use(migration.checksum);
      report.applied.push_back(migration.version);
    }
  } catch (...) {
    Error error = translate_current_exception();
    if (is_connection_error(error)) lease->discard();
    return error;
  }
  return report;
}

}  // namespace bourse::db
