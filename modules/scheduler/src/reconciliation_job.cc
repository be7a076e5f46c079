#include "bourse/scheduler/reconciliation_job.h"

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/log/log.h"

namespace bourse::scheduler {

ReconciliationJob::ReconciliationJob(ReconciliationService& service, db::DbConfig lease_db,
                                     std::chrono::milliseconds interval)
    : service_(service),
      interval_(interval),
      lease_(lease_db, db::lease_name(kReconciliationLeaseRole, lease_db.database)) {
  BOURSE_ASSERT(interval_ >= kMinReconciliationInterval && interval_ <= kMaxReconciliationInterval,
                "reconciliation interval within bounds");
}

ReconciliationJob::~ReconciliationJob() { stop(); }

ReconciliationJob::Outcome ReconciliationJob::run_once() {
  bool held = false;
  if (lease_.held()) {
    auto still = lease_.still_held();
    if (!still) {
      log::warn("reconciliation lease check failed", {{"error", still.error().message}});
    }
    held = still && *still;
  } else {
    auto acquired = lease_.try_acquire();
    if (!acquired) {
      log::warn("reconciliation lease not acquired", {{"error", acquired.error().message}});
    } else if (*acquired) {
      log::info("reconciliation lease acquired", {{"lease", lease_.name()}});
    }
    held = acquired && *acquired;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ = held;
  }
  if (!held) return Outcome::kStandby;
  return service_.run_now() ? Outcome::kRan : Outcome::kFailed;
}

void ReconciliationJob::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  BOURSE_ASSERT(!thread_.joinable(), "the reconciliation job starts once");
  stopping_ = false;
  thread_ = std::thread([this] {
    set_current_thread_name("reconciliation");
    loop();
  });
}

void ReconciliationJob::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  service_.stop_pausing();  // a run in progress finishes without its pauses
  if (thread_.joinable()) thread_.join();
  lease_.release();
  std::lock_guard<std::mutex> lock(mutex_);
  held_ = false;
}

bool ReconciliationJob::lease_held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

void ReconciliationJob::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    run_once();
  }
}

}  // namespace bourse::scheduler
