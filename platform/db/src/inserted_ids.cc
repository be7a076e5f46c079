#include "bourse/db/inserted_ids.h"

#include <soci/soci.h>

#include <atomic>

#include "bourse/common/assert.h"

namespace bourse::db {
namespace {

// The server's AUTO_INCREMENT settings, read once per process (0 = not read yet).
std::atomic<long long> cached_increment{0};
std::atomic<long long> cached_lock_mode{-1};

void read_auto_increment_settings(soci::session& session) {
  if (cached_increment.load(std::memory_order_acquire) > 0) return;
  long long increment = 0;
  long long lock_mode = 0;
  session << "SELECT @@auto_increment_increment, @@innodb_autoinc_lock_mode",
      soci::into(increment), soci::into(lock_mode);
  BOURSE_ASSERT(increment > 0, "auto_increment_increment is positive");
  cached_lock_mode.store(lock_mode, std::memory_order_relaxed);
  cached_increment.store(increment, std::memory_order_release);
}

}  // namespace

Result<std::vector<std::int64_t>> inserted_ids(soci::session& session,
                                               soci::statement& statement, std::size_t rows) {
  // Both come from the client library's view of the last OK packet: no round trip.
  StatementOutcome outcome;
  outcome.affected_rows = statement.get_affected_rows();
  const bool known = session.get_last_insert_id("", outcome.last_insert_id);
  BOURSE_ASSERT(known, "the MySQL backend knows the last insert id");
  return inserted_ids(session, outcome, rows);
}

Result<std::vector<std::int64_t>> inserted_ids(soci::session& session,
                                               const StatementOutcome& outcome,
                                               std::size_t rows) {
  const long long row_count = outcome.affected_rows;
  const long long first_id = outcome.last_insert_id;
  BOURSE_ASSERT(row_count == static_cast<long long>(rows), "the insert wrote one row per item");
  BOURSE_ASSERT(first_id > 0, "AUTO_INCREMENT assigned the ids");
  read_auto_increment_settings(session);
  const long long increment = cached_increment.load(std::memory_order_acquire);
  if (rows > 1 && cached_lock_mode.load(std::memory_order_relaxed) == kInterleavedAutoIncLockMode) {
    return Error::internal(
        "innodb_autoinc_lock_mode 2 does not number a multi-row insert consecutively");
  }
  std::vector<std::int64_t> ids;
  ids.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) ids.push_back(first_id + static_cast<long long>(i) * increment);
  return ids;
}

}  // namespace bourse::db
