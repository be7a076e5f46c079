#include "bourse/db/connection_pool.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/db/sql_error.h"

namespace bourse::db {

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), session_(std::move(other.session_)), discard_(other.discard_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ != nullptr && session_ != nullptr) pool_->release(std::move(session_), discard_);
}

ConnectionPool::ConnectionPool(DbConfig config) : config_(std::move(config)) {
  BOURSE_ASSERT(config_.pool_size > 0 && config_.pool_size <= limits::kMaxDbPoolSize,
                "pool_size validated by config");
}

ConnectionPool::~ConnectionPool() {
  std::lock_guard lock(mutex_);
  BOURSE_ASSERT(open_ == static_cast<int>(idle_.size()), "a Lease outlived its ConnectionPool");
}

Result<Lease> ConnectionPool::acquire(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool got_slot = available_.wait_for(
      lock, timeout, [&] { return !idle_.empty() || open_ < config_.pool_size; });
  if (!got_slot) {
    return Error{ErrorCode::kUnavailable, "no database session free within the timeout",
                 kUnavailableReason};
  }
  if (!idle_.empty()) {
    auto session = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    // One round trip (mysql_ping) so that a session left stale by a database restart
    // is replaced here rather than failing the caller's first statement.
    if (session->is_connected()) return Lease(this, std::move(session));
    session.reset();
  } else {
    ++open_;  // reserve the slot, then connect without holding the lock
    lock.unlock();
  }
  try {
    auto session = std::make_unique<soci::session>(soci::mysql, config_.connection_string());
    return Lease(this, std::move(session));
  } catch (...) {
    Error error = translate_current_exception();
    {
      std::lock_guard relock(mutex_);
      --open_;
    }
    available_.notify_one();
    // Any failure to connect means the database is unavailable to us.
    return Error{ErrorCode::kUnavailable, "cannot connect to the database: " + error.message,
                 kUnavailableReason};
  }
}

void ConnectionPool::release(std::unique_ptr<soci::session> session, bool discard) {
  {
    std::lock_guard lock(mutex_);
    if (discard) {
      --open_;
    } else {
      idle_.push_back(std::move(session));
    }
  }
  available_.notify_one();
  // A discarded session is destroyed here, outside the lock (closing may block).
}

Status ConnectionPool::with_session(const std::function<void(soci::session&)>& work,
                                    std::chrono::milliseconds timeout) {
  auto lease = acquire(timeout);
  if (!lease) return lease.error();
  try {
    work(lease->session());
    return Status::success();
  } catch (...) {
    Error error = translate_current_exception();
    if (is_connection_error(error)) lease->discard();
    return error;
  }
}

Status ConnectionPool::in_transaction(const std::function<Status(soci::session&)>& work,
                                      int max_attempts, Isolation isolation) {
  BOURSE_ASSERT(max_attempts >= 1, "at least one attempt");
  Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    auto lease = acquire(limits::kDbPoolAcquireTimeout);
    if (!lease) return lease.error();
    soci::session& session = lease->session();
    try {
      // Applies to the next transaction of this session only.
      if (isolation == Isolation::kReadCommitted) {
        session << "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
      }
      soci::transaction transaction(session);
      Status status = work(session);
      if (!status) {
        transaction.rollback();
        return status;
      }
      transaction.commit();
      return Status::success();
    } catch (...) {
      Error error = translate_current_exception();
      if (is_connection_error(error)) lease->discard();
      if (!is_retryable(error)) return error;
      last = error;
    }
  }
  return last;
}

Status ConnectionPool::ping(std::chrono::milliseconds timeout) {
  return with_session(
      [](soci::session& session) {
        int one = 0;
        session << "SELECT 1", soci::into(one);
      },
      timeout);
}

int ConnectionPool::open_sessions() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace bourse::db
