// Runs a reconciliation and records it: the report goes to the store (so GET answers the
// same on every instance), to the log (one ERROR line per mismatch, naming the account,
// order, asset or trade) and to the metrics:
//
//   bourse_reconciliation_runs_total{status="OK"|"MISMATCH"|"ERROR"}
//   bourse_reconciliation_mismatches{check}   mismatches found by the last run, per check
//   bourse_reconciliation_duration_seconds    histogram of run times
//   bourse_reconciliation_last_run_timestamp_seconds
//
// Used by POST /v1/admin/reconciliation (any instance) and by the periodic job.
//
// Thread-safety: run_now() and last_report() are safe from any thread. One run at a time
// per service (a run holds a pooled session for its whole snapshot, so a burst of POSTs
// must not take the pool): a run_now() while another runs on this instance is refused
// (kUnavailable, reason "reconciliation_running" -> 503 + Retry-After). Runs on different
// instances may overlap: each reads its own snapshot and saves its own row. Blocking:
// never call from an I/O thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/scheduler/reconciler.h"
#include "bourse/scheduler/reconciliation_report.h"
#include "bourse/scheduler/reconciliation_store.h"

namespace bourse::scheduler {

inline constexpr std::string_view kMetricReconciliationRuns = "bourse_reconciliation_runs_total";
inline constexpr std::string_view kMetricReconciliationMismatches =
    "bourse_reconciliation_mismatches";
inline constexpr std::string_view kMetricReconciliationDuration =
    "bourse_reconciliation_duration_seconds";

struct ReconciliationOptions {
  ReconcilerOptions reconciler;
  std::size_t keep_runs = kDefaultKeptReconciliationRuns;
};

class ReconciliationService {
 public:
  // REQUIRES: pool, registry and clock outlive the service.
  ReconciliationService(db::ConnectionPool& pool, ReconciliationOptions options,
                        metrics::Registry& registry, const Clock& clock);

  // Runs every check now and records the report (saved, logged, counted). A report with
  // mismatches is a success; errors: the run or the save failed (kUnavailable,
  // kInternal), counted as status ERROR; another run is in progress on this instance
  // (kUnavailable, "reconciliation_running", not counted).
  Result<ReconciliationReport> run_now();

  // The newest stored report's JSON, or nullopt if no run was recorded yet.
  Result<std::optional<std::string>> last_report();

  // Ends the pauses of a run in progress and of later runs (Reconciler::stop_pausing):
  // on shutdown, so that a run finishes as fast as it can.
  void stop_pausing() { reconciler_.stop_pausing(); }

 private:
  void record_metrics(const ReconciliationReport& report);

  std::mutex running_;  // held for the whole of a run
  Reconciler reconciler_;
  ReconciliationStore store_;
  metrics::CounterFamily& runs_;
  metrics::GaugeFamily& mismatches_;
  metrics::Histogram& duration_;
  metrics::Gauge& last_run_;
};

}  // namespace bourse::scheduler
