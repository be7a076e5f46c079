#include "bourse/db/session_lease.h"

#include <fmt/format.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <cstdint>
#include <string>

#include "bourse/common/assert.h"
#include "bourse/db/sql_error.h"

namespace bourse::db {
namespace {

// 1 while this session owns the lock `:name`, else 0 (also when the lock is free).
const std::string kStillHeldSql = "SELECT COALESCE(IS_USED_LOCK(:name) = CONNECTION_ID(), 0)";

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string lease_name(std::string_view role, std::string_view database) {
  std::string name = fmt::format("bourse_{}@{}", role, database);
  if (name.size() > kMaxLeaseNameLength) {
    name = fmt::format("bourse_{}@{:016x}", role, fnv1a64(database));
  }
  BOURSE_ASSERT(name.size() <= kMaxLeaseNameLength, "lease roles are short");
  return name;
}

SessionLease::SessionLease(DbConfig config, std::string name)
    : config_(std::move(config)), name_(std::move(name)) {
  BOURSE_ASSERT(!name_.empty() && name_.size() <= kMaxLeaseNameLength, "lease names fit MySQL");
}

SessionLease::~SessionLease() { release(); }

Status SessionLease::ensure_connected() {
  if (session_ != nullptr) return Status::success();
  try {
    session_ = std::make_unique<soci::session>(soci::mysql, config_.connection_string());
    enable_statement_batches(*session_);  // still_held_running sends several statements
    return Status::success();
  } catch (...) {
    Error error = translate_current_exception();
    return Error{ErrorCode::kUnavailable, "lease: cannot connect: " + error.message,
                 kUnavailableReason};
  }
}

Result<bool> SessionLease::try_acquire() {
  BOURSE_ASSERT(!held_, "try_acquire while holding the lease");
  if (Status connected = ensure_connected(); !connected) return connected.error();
  try {
    // 1: acquired; 0: held by another session; NULL (-> -1): error on the server.
    int outcome = -1;
    *session_ << "SELECT COALESCE(GET_LOCK(:name, 0), -1)", soci::use(name_), soci::into(outcome);
    if (outcome == -1) {
      drop();
      return Error::internal("lease: GET_LOCK returned NULL for " + name_);
    }
    held_ = outcome == 1;
    return held_;
  } catch (...) {
    Error error = translate_current_exception();
    drop();  // a broken session is never reused
    return error;
  }
}

Result<bool> SessionLease::still_held() {
  BOURSE_ASSERT(held_ && session_ != nullptr, "still_held without the lease");
  try {
    int mine = 0;
    *session_ << kStillHeldSql, soci::use(name_), soci::into(mine);
    if (mine != 1) drop();
    return mine == 1;
  } catch (...) {
    Error error = translate_current_exception();
    drop();
    return error;
  }
}

Result<std::optional<std::vector<StatementOutcome>>> SessionLease::still_held_running(
    std::span<const SqlStatement> statements) {
  BOURSE_ASSERT(held_ && session_ != nullptr, "still_held_running without the lease");
  BOURSE_ASSERT(!statements.empty() && statements.size() < kMaxBatchStatements,
                "the check and at most kMaxBatchStatements - 1 statements");
  try {
    std::vector<SqlStatement> batch;
    batch.reserve(statements.size() + 1);
    batch.push_back(SqlStatement{kStillHeldSql, {name_}, std::nullopt, std::nullopt});
    for (const SqlStatement& statement : statements) {
      BOURSE_ASSERT(!statement.on_check_violation, "no CHECK mapping on a lease's session");
      batch.push_back(statement);
    }
    auto outcomes = execute_statements(*session_, batch);
    BOURSE_ASSERT(outcomes.ok() && outcomes->size() == batch.size(),
                  "unmapped failures throw");
    const std::vector<SqlRow>& mine = (*outcomes)[0].rows;
    BOURSE_ASSERT(mine.size() == 1 && mine[0].size() == 1 && mine[0][0].has_value(),
                  "the lock check returns one value");
    if (*mine[0][0] != "1") {
      drop();
      return std::optional<std::vector<StatementOutcome>>();
    }
    outcomes->erase(outcomes->begin());
    return std::optional<std::vector<StatementOutcome>>(std::move(*outcomes));
  } catch (...) {
    Error error = translate_current_exception();
    drop();
    return error;
  }
}

void SessionLease::release() noexcept {
  if (held_ && session_ != nullptr) {
    try {
      // Bounded by the session's read/write timeouts when the server is unreachable.
      *session_ << "DO RELEASE_LOCK(:name)", soci::use(name_);
    } catch (...) {
      // Closing the session below frees the lock on the server anyway.
    }
  }
  drop();
}

void SessionLease::drop() noexcept {
  held_ = false;
  // Closing the session releases every named lock it holds (asynchronously, on the server).
  session_.reset();
}

}  // namespace bourse::db
