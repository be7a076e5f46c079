#include "bourse/scheduler/reconciliation_service.h"

#include "bourse/log/log.h"

namespace bourse::scheduler {
namespace {

// Run times: a healthy run takes well under a second; a minute is far too long.
const std::vector<double>& duration_buckets_seconds() {
  static const std::vector<double> buckets{0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                           1.0,  2.5,   5.0,  10.0, 30.0, 60.0};
  return buckets;
}

}  // namespace

ReconciliationService::ReconciliationService(db::ConnectionPool& pool,
                                             ReconciliationOptions options,
                                             metrics::Registry& registry, const Clock& clock)
    : reconciler_(pool, std::move(options.reconciler), clock),
      store_(pool, options.keep_runs),
      runs_(registry.counter(kMetricReconciliationRuns, "Reconciliation runs by outcome",
                             {"status"})),
      mismatches_(registry.gauge(kMetricReconciliationMismatches,
                                 "Mismatches found by the last reconciliation run, per check",
                                 {"check"})),
      duration_(registry
                    .histogram(kMetricReconciliationDuration, "Reconciliation run time", {},
                               duration_buckets_seconds())
                    .with({})),
      last_run_(registry
                    .gauge("bourse_reconciliation_last_run_timestamp_seconds",
                           "When the last reconciliation run of this instance started (Unix time)")
                    .with({})) {}

Result<ReconciliationReport> ReconciliationService::run_now() {
  std::unique_lock<std::mutex> running(running_, std::try_to_lock);
  if (!running.owns_lock()) {
    return Error{ErrorCode::kUnavailable, "a reconciliation is already running on this instance",
                 "reconciliation_running"};
  }
  auto report = reconciler_.run();
  if (!report) {
    runs_.with({"ERROR"}).inc();
    log::error("reconciliation run failed", {{"error", report.error().message}});
    return report.error();
  }
  record_metrics(*report);
  for (const CheckResult& check : report->checks) {
    for (const Mismatch& mismatch : check.mismatches) {
      log::error("reconciliation mismatch: " + mismatch.describe(),
                 {{"run_id", report->run_id},
                  {"check", check.name},
                  {mismatch.subject_kind, mismatch.subject}});
    }
  }
  if (Status saved = store_.save(*report); !saved) {
    runs_.with({"ERROR"}).inc();
    log::error("reconciliation report not saved",
               {{"run_id", report->run_id}, {"error", saved.error().message}});
    return saved.error();
  }
  runs_.with({report->ok() ? "OK" : "MISMATCH"}).inc();
  log::info("reconciliation run",
            {{"run_id", report->run_id},
             {"status", report->ok() ? "OK" : "MISMATCH"},
             {"duration_ms", report->duration_ms},
             {"in_flight_events", report->in_flight_events},
             {"mismatch_count", static_cast<std::int64_t>(report->mismatch_count())}});
  return report;
}

Result<std::optional<std::string>> ReconciliationService::last_report() {
  return store_.load_last();
}

void ReconciliationService::record_metrics(const ReconciliationReport& report) {
  for (const CheckResult& check : report.checks) {
    mismatches_.with({check.name}).set(static_cast<double>(check.mismatches.size()));
  }
  duration_.observe(static_cast<double>(report.duration_ms) / 1000.0);
  last_run_.set(static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(report.started_at.time_since_epoch())
          .count()));
}

}  // namespace bourse::scheduler
