// The periodic reconciliation: every `interval`, the one instance holding the
// "reconciliation" lease (db::SessionLease, lease_name("reconciliation", database)) runs
// ReconciliationService::run_now(). Every instance runs a job; the others stay standbys
// and take over when the holder's session dies. On-demand runs (POST) do not need the
// lease: a run only reads a snapshot and appends its own report row, so overlapping runs
// are harmless (the lease only keeps N instances from multiplying the periodic load).
//
// Threads: start() runs the loop on one thread of its own until stop() (idempotent,
// wakes the loop at once). run_once() does one iteration on the caller's thread (tests,
// tools); it must not be called while the thread runs. Nothing throws out of the
// thread: errors are logged and retried at the next tick.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "bourse/db/db_config.h"
#include "bourse/db/session_lease.h"
#include "bourse/scheduler/reconciliation_service.h"

namespace bourse::scheduler {

// The lease role (db::lease_name(kReconciliationLeaseRole, database)).
inline constexpr std::string_view kReconciliationLeaseRole = "reconciliation";
// Default and bounds of reconciliation.interval_ms: a run reads every balance and order,
// so it should not run back to back; a day is the longest gap worth configuring.
inline constexpr std::chrono::milliseconds kDefaultReconciliationInterval{60'000};
inline constexpr std::chrono::milliseconds kMinReconciliationInterval{100};
inline constexpr std::chrono::milliseconds kMaxReconciliationInterval{24LL * 3600 * 1000};

class ReconciliationJob {
 public:
  // REQUIRES: `service` outlives the job; interval within the bounds above.
  ReconciliationJob(ReconciliationService& service, db::DbConfig lease_db,
                    std::chrono::milliseconds interval);
  ~ReconciliationJob();  // stops
  ReconciliationJob(const ReconciliationJob&) = delete;
  ReconciliationJob& operator=(const ReconciliationJob&) = delete;

  enum class Outcome { kRan, kStandby, kFailed };

  // One tick: takes or confirms the lease, then runs and records a reconciliation if
  // this instance holds it.
  Outcome run_once();

  // Runs a tick every interval (the first one interval after start: a process that just
  // started has nothing new to prove), until stop().
  void start();
  void stop();

  bool lease_held() const;

 private:
  void loop();

  ReconciliationService& service_;
  const std::chrono::milliseconds interval_;
  db::SessionLease lease_;  // used by the loop thread (or run_once's caller) only
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool held_ = false;      // guarded by mutex_ (a copy of lease_.held() for other threads)
  std::thread thread_;
};

}  // namespace bourse::scheduler
