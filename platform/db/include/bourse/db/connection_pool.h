// A bounded pool of SOCI sessions to MySQL/MariaDB.
//
// SOCI sessions are blocking and not thread-safe: a session is used by one thread at
// a time, through a Lease. The pool opens sessions lazily, at most config.pool_size,
// so the process starts (and /readyz answers 503) while the database is down.
// acquire() waits up to its timeout for a free session and then fails with
// kUnavailable instead of queueing without bound.
//
// A lease whose session hit a connection error is discarded instead of returned, so
// a restarted database is reconnected transparently by the next acquire(); a session
// idle for more than limits::kDbPingIdleSessionsAfter is pinged before it is handed out.
//
// Isolation: a session keeps the level of its last in_transaction() as its session
// default (SET SESSION ... only when it changes, and acquire() prefers an idle session
// already at the wanted level), so a READ COMMITTED transaction costs no extra round trip.
// Sessions handed out by acquire() and with_session() are always at the server default.
//
// Thread-safety: ConnectionPool is thread-safe. A Lease is owned by one thread.
// Blocking: every call here may block on the network; never call from an I/O thread.
#pragma once

#include <soci/session.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/db_config.h"
#include "bourse/db/sql_batch.h"

namespace bourse::db {

class ConnectionPool;

// The isolation level of one transaction. The server default (REPEATABLE READ) suits most
// work; READ COMMITTED takes no gap locks on locking reads that find nothing (and reads the
// latest committed rows), for transactions that lock rows which may be missing, such as an
// order group looking up accounts that do not exist.
enum class Isolation { kServerDefault, kReadCommitted };

class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  soci::session& session() { return *session_; }
  // Marks the session unusable (after a connection error): it is closed on release.
  void discard() noexcept { discard_ = true; }

 private:
  friend class ConnectionPool;

  Lease(ConnectionPool* pool, std::unique_ptr<soci::session> session, Isolation isolation)
      : pool_(pool), session_(std::move(session)), isolation_(isolation) {}

  ConnectionPool* pool_;
  std::unique_ptr<soci::session> session_;
  Isolation isolation_;  // the session's default level (what SET SESSION last set)
  bool discard_ = false;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(DbConfig config);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A session for exclusive use, or kUnavailable if none is free within `timeout` or
  // the database cannot be reached.
  Result<Lease> acquire(std::chrono::milliseconds timeout = limits::kDbPoolAcquireTimeout);

  // Runs `work` on a leased session and translates any SOCI exception it throws into an
  // Error; a connection error discards the session.
  Status with_session(const std::function<void(soci::session&)>& work,
                      std::chrono::milliseconds timeout = limits::kDbPoolAcquireTimeout);

  // Runs `work` inside BEGIN ... COMMIT; rolls back if it throws or returns an error.
  // Deadlocks and lock-wait timeouts are retried up to `max_attempts` times.
  Status in_transaction(const std::function<Status(soci::session&)>& work, int max_attempts = 3,
                        Isolation isolation = Isolation::kServerDefault);

  // As in_transaction, but `work` returns the transaction's last writes instead of
  // running them: they go to the server with the COMMIT, in one round trip
  // (sql_batch.h). A write that fails (or a CHECK failure mapped to an error value) rolls
  // the transaction back as a failed `work` would. An empty list commits alone.
  // Deadlocks and lock-wait timeouts are retried up to `max_attempts` times.
  //
  // Begin::kWithLastWrites: `work` runs before the transaction opens, each of its
  // statements autocommitted on its own, and BEGIN goes in the same round trip as the last
  // writes and the COMMIT: the transaction is that one round trip, and holds its locks for
  // it only. `work` MUST then only read (plain, non-locking reads: at READ COMMITTED they see
  // exactly what they would inside the transaction); nothing it reads is locked, so the
  // last writes must themselves prove what they rely on (relative updates, CHECKs mapped
  // with on_check_violation, unique keys). An empty list opens no transaction at all.
  //
  // Begin::kByWork: `work` opens the transaction itself, with BEGIN as the first statement
  // of its first round trip (a batch of sql_batch.h, e.g. BEGIN and a locking read), so
  // that BEGIN costs no round trip of its own. It MUST send nothing before that BEGIN.
  // Whatever happens afterwards is rolled back on failure as with kBeforeWork.
  using LastWrites = std::vector<SqlStatement>;
  enum class Begin { kBeforeWork, kWithLastWrites, kByWork };
  Status in_transaction_ending_with(const std::function<Result<LastWrites>(soci::session&)>& work,
                                    int max_attempts = 3,
                                    Isolation isolation = Isolation::kServerDefault,
                                    Begin begin = Begin::kBeforeWork);

  // SELECT 1 on a session: used by /readyz.
  Status ping(std::chrono::milliseconds timeout);

  const DbConfig& config() const { return config_; }
  int open_sessions() const;

 private:
  friend class Lease;
  struct IdleSession {
    std::unique_ptr<soci::session> session;
    Isolation isolation;
    std::chrono::steady_clock::time_point idle_since;
  };
  // A session at `isolation` (switched with one SET SESSION when no idle one is).
  Result<Lease> acquire_at(Isolation isolation, std::chrono::milliseconds timeout);
  void release(std::unique_ptr<soci::session> session, Isolation isolation, bool discard);

  const DbConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<IdleSession> idle_;  // most recently released last
  int open_ = 0;  // sessions idle + leased + being opened; <= config_.pool_size
};

}  // namespace bourse::db
