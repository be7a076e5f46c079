// A lease held by one process at a time across every process that shares the database:
// "exactly one active X" (an outbox relay per table, the saga scheduler, the
// reconciliation job, the price generator).
//
// The lease is a MySQL named lock taken with GET_LOCK(name, 0) on a session of its own
// that is never shared or returned to a pool. MySQL releases a named lock when its
// session ends, so when the holder dies (crash, kill -9, network loss) a standby's next
// try_acquire() takes over; nothing has to expire by wall-clock time.
//
// The lease is NOT a fence: a holder whose session died keeps running until its next
// still_held() check, so two holders may briefly overlap. Work done under a lease must
// therefore be idempotent or fenced by its own transaction.
//
// Thread-safety: not thread-safe; owned by one working thread. Blocking.
#pragma once

#include <soci/session.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/db_config.h"
#include "bourse/db/sql_batch.h"

namespace bourse::db {

// Longest lock name MySQL 5.7+ / MariaDB accepts.
inline constexpr std::size_t kMaxLeaseNameLength = 64;

// "bourse_<role>@<database>". Named locks are server-wide, so the database is part of
// the name: two deployments (or two test databases) on one server do not share a lease.
// Longer database names are hashed to keep within kMaxLeaseNameLength.
// REQUIRES: "bourse_" + role + "@" + 16 hex digits fits kMaxLeaseNameLength.
std::string lease_name(std::string_view role, std::string_view database);

class SessionLease {
 public:
  // Does not connect; the first try_acquire() does. `name` usually from lease_name().
  SessionLease(DbConfig config, std::string name);
  ~SessionLease();
  SessionLease(const SessionLease&) = delete;
  SessionLease& operator=(const SessionLease&) = delete;

  // Takes the lock if it is free. true: held now; false: another session holds it.
  // REQUIRES: !held(). Errors: kUnavailable (cannot connect or the session broke; the
  // session is closed and the next call reconnects), kInternal.
  Result<bool> try_acquire();

  // Asks the server whether this session still owns the lock (IS_USED_LOCK(name) =
  // CONNECTION_ID()). On false or on an error the lease is dropped (session closed).
  // REQUIRES: held().
  Result<bool> still_held();

  // still_held() and `statements` in ONE round trip on the lease's own session (outside
  // any transaction, each statement autocommitted, in order after the check): their
  // outcomes when the lease was checked held, or nullopt when it is not (then dropped as
  // by still_held(), the outcomes discarded). For work that must only start under the
  // lease, such as a relay's fetch. The statements run whatever the check finds (one
  // round trip cannot branch), so a write among them must be harmless without the lease
  // (idempotent, or guarded by IS_USED_LOCK in its own text). Errors as still_held(); a
  // failing statement drops the lease too (its session is in an unknown state), and
  // which of the statements before it committed is then unknown.
  // REQUIRES: held(); 1..kMaxBatchStatements - 1 statements (sql_batch.h's text
  // contract), none with on_check_violation.
  Result<std::optional<std::vector<StatementOutcome>>> still_held_running(
      std::span<const SqlStatement> statements);

  // Gives the lock back: RELEASE_LOCK on a healthy held session, so a standby's very
  // next try_acquire() succeeds, then closes the session. (Closing alone also frees the
  // lock, but the server does that asynchronously after the disconnect, so a standby
  // asking right away could still be refused.) If the RELEASE_LOCK round trip fails,
  // closing the session still frees the lock. Idempotent.
  void release() noexcept;

  bool held() const noexcept { return held_; }
  const std::string& name() const noexcept { return name_; }

 private:
  Status ensure_connected();
  // Closes the session without a round trip (the session is broken or the lock not ours).
  void drop() noexcept;

  const DbConfig config_;
  const std::string name_;
  std::unique_ptr<soci::session> session_;
  bool held_ = false;
};

}  // namespace bourse::db
