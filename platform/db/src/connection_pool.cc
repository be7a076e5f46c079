#include "bourse/db/connection_pool.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/db/sql_error.h"

namespace bourse::db {

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      session_(std::move(other.session_)),
      isolation_(other.isolation_),
      discard_(other.discard_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ != nullptr && session_ != nullptr) {
    pool_->release(std::move(session_), isolation_, discard_);
  }
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
  return acquire_at(Isolation::kServerDefault, timeout);
}

Result<Lease> ConnectionPool::acquire_at(Isolation isolation, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool got_slot = available_.wait_for(
      lock, timeout, [&] { return !idle_.empty() || open_ < config_.pool_size; });
  if (!got_slot) {
    return Error{ErrorCode::kUnavailable, "no database session free within the timeout",
                 kUnavailableReason};
  }
  std::unique_ptr<soci::session> session;
  Isolation current = Isolation::kServerDefault;
  if (!idle_.empty()) {
    // The most recently released session at the wanted level, else the most recent one.
    auto chosen = std::prev(idle_.end());
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->isolation == isolation) {
        chosen = std::prev(it.base());
        break;
      }
    }
    const bool stale_suspect =
        std::chrono::steady_clock::now() - chosen->idle_since > limits::kDbPingIdleSessionsAfter;
    session = std::move(chosen->session);
    current = chosen->isolation;
    idle_.erase(chosen);
    lock.unlock();
    // mysql_ping (one round trip) so that a session left stale by a database restart is
    // replaced here rather than failing the caller's first statement.
    if (stale_suspect && !session->is_connected()) {
      session.reset();
      current = Isolation::kServerDefault;
    }
  } else {
    ++open_;  // reserve the slot, then connect without holding the lock
    lock.unlock();
  }
  try {
    if (session == nullptr) {
      session = std::make_unique<soci::session>(soci::mysql, config_.connection_string());
      enable_statement_batches(*session);
    }
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
  Lease lease(this, std::move(session), current);
  if (current != isolation) {
    try {
      // Session scope: later transactions of this session keep it until changed again.
      lease.session() << (isolation == Isolation::kReadCommitted
                              ? "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"
                              : "SET SESSION tx_isolation = DEFAULT");
      lease.isolation_ = isolation;
    } catch (...) {
      Error error = translate_current_exception();
      lease.discard();
      return Error{ErrorCode::kUnavailable, "cannot set the isolation level: " + error.message,
                   kUnavailableReason};
    }
  }
  return lease;
}

void ConnectionPool::release(std::unique_ptr<soci::session> session, Isolation isolation,
                             bool discard) {
  {
    std::lock_guard lock(mutex_);
    if (discard) {
      --open_;
    } else {
      idle_.push_back(IdleSession{std::move(session), isolation, std::chrono::steady_clock::now()});
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
  return in_transaction_ending_with(
      [&](soci::session& session) -> Result<LastWrites> {
        Status status = work(session);
        if (!status) return status.error();
        return LastWrites{};  // the COMMIT alone
      },
      max_attempts, isolation);
}

Status ConnectionPool::in_transaction_ending_with(
    const std::function<Result<LastWrites>(soci::session&)>& work, int max_attempts,
    Isolation isolation, Begin begin) {
  BOURSE_ASSERT(max_attempts >= 1, "at least one attempt");
  Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    auto lease = acquire_at(isolation, limits::kDbPoolAcquireTimeout);
    if (!lease) return lease.error();
    soci::session& session = lease->session();
    // Rolled back on every way out but the batch that ran the COMMIT (soci::transaction
    // cannot be told that a COMMIT it did not send happened).
    bool open = false;
    struct RollbackIfOpen {
      soci::session& session;
      bool& open;
      ~RollbackIfOpen() {
        if (!open) return;
        try {
          session.rollback();
        } catch (...) {  // a lost connection: the server rolls back itself
        }
      }
    } rollback_if_open{session, open};
    try {
      if (begin == Begin::kBeforeWork) session.begin();
      // kByWork: work's first batch opens it; a ROLLBACK where none is open is harmless.
      open = begin != Begin::kWithLastWrites;
      Result<LastWrites> writes = work(session);
      if (!writes) return writes.error();
      if (begin == Begin::kWithLastWrites) {
        if (writes->empty()) return Status::success();  // read only: nothing to commit
        writes->insert(writes->begin(), SqlStatement{"BEGIN", {}, std::nullopt, std::nullopt});
        open = true;  // from here on a failure may leave it open
      }
      writes->push_back(SqlStatement{"COMMIT", {}, std::nullopt, std::nullopt});
      auto ran = execute_statements(session, *writes);
      if (!ran) return ran.error();
      open = false;
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
