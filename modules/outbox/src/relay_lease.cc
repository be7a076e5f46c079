#include "relay_lease.h"

#include <fmt/format.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <cstdint>

#include "bourse/common/assert.h"
#include "bourse/db/sql_error.h"

namespace bourse::outbox {
namespace {

// MySQL 5.7+ refuses longer lock names.
constexpr std::size_t kMaxLockNameLength = 64;

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string relay_lease_name(std::string_view database, std::string_view table) {
  std::string name = fmt::format("bourse_relay_{}@{}", table, database);
  if (name.size() > kMaxLockNameLength) {
    name = fmt::format("bourse_relay_{}@{:016x}", table, fnv1a64(database));
  }
  BOURSE_ASSERT(name.size() <= kMaxLockNameLength, "outbox table names are short");
  return name;
}

RelayLease::RelayLease(db::DbConfig config, std::string table)
    : config_(std::move(config)), name_(relay_lease_name(config_.database, table)) {}

RelayLease::~RelayLease() { release(); }

Status RelayLease::ensure_connected() {
  if (session_ != nullptr) return Status::success();
  try {
    session_ = std::make_unique<soci::session>(soci::mysql, config_.connection_string());
    return Status::success();
  } catch (...) {
    Error error = db::translate_current_exception();
    return Error{ErrorCode::kUnavailable, "relay lease: cannot connect: " + error.message,
                 db::kUnavailableReason};
  }
}

Result<bool> RelayLease::try_acquire() {
  BOURSE_ASSERT(!held_, "try_acquire while holding the lease");
  if (Status connected = ensure_connected(); !connected) return connected.error();
  try {
    // 1: acquired; 0: held by another session; NULL (-> -1): error on the server.
    int outcome = -1;
    *session_ << "SELECT COALESCE(GET_LOCK(:name, 0), -1)", soci::use(name_), soci::into(outcome);
    if (outcome == -1) {
      release();
      return Error::internal("relay lease: GET_LOCK returned NULL for " + name_);
    }
    held_ = outcome == 1;
    return held_;
  } catch (...) {
    Error error = db::translate_current_exception();
    release();  // a broken session is never reused
    return error;
  }
}

Result<bool> RelayLease::still_held() {
  BOURSE_ASSERT(held_ && session_ != nullptr, "still_held without the lease");
  try {
    int mine = 0;
    *session_ << "SELECT COALESCE(IS_USED_LOCK(:name) = CONNECTION_ID(), 0)", soci::use(name_),
        soci::into(mine);
    if (mine != 1) release();
    return mine == 1;
  } catch (...) {
    Error error = db::translate_current_exception();
    release();
    return error;
  }
}

void RelayLease::release() noexcept {
  held_ = false;
  // Closing the session releases every named lock it holds, and works even when the
  // server is unreachable (no RELEASE_LOCK round trip that could hang or fail).
  session_.reset();
}

}  // namespace bourse::outbox
