#include "bourse/scheduler/reconciliation_store.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"

namespace bourse::scheduler {

ReconciliationStore::ReconciliationStore(db::ConnectionPool& pool, std::size_t keep_runs)
    : pool_(pool), keep_runs_(keep_runs) {
  BOURSE_ASSERT(keep_runs_ >= 1 && keep_runs_ <= kMaxKeptReconciliationRuns,
                "kept reconciliation runs within limits");
}

Status ReconciliationStore::save(const ReconciliationReport& report) {
  const std::string text = serialize(report);
  const std::string status = report.ok() ? "OK" : "MISMATCH";
  const long long duration_ms = report.duration_ms;
  const int mismatch_count = static_cast<int>(report.mismatch_count());
  const long long keep_offset = static_cast<long long>(keep_runs_) - 1;
  return pool_.in_transaction([&](soci::session& session) -> Status {
    session << "INSERT INTO reconciliation_runs (run_id, status, duration_ms, mismatch_count,"
               " report) VALUES (:r, :s, :d, :m, :j)",
        soci::use(report.run_id), soci::use(status), soci::use(duration_ms),
        soci::use(mismatch_count), soci::use(text);
    long long oldest_kept = 0;
    soci::indicator indicator = soci::i_null;
    session << "SELECT id FROM reconciliation_runs ORDER BY id DESC LIMIT 1 OFFSET :o",
        soci::use(keep_offset), soci::into(oldest_kept, indicator);
    if (session.got_data() && indicator == soci::i_ok) {
      session << "DELETE FROM reconciliation_runs WHERE id < :id", soci::use(oldest_kept);
    }
    return Status::success();
  });
}

Result<std::optional<std::string>> ReconciliationStore::load_last() {
  std::optional<std::string> text;
  Status status = pool_.with_session([&](soci::session& session) {
    std::string report;
    soci::indicator indicator = soci::i_null;
    session << "SELECT report FROM reconciliation_runs ORDER BY id DESC LIMIT 1",
        soci::into(report, indicator);
    if (session.got_data() && indicator == soci::i_ok) text = std::move(report);
  });
  if (!status) return status.error();
  return text;
}

}  // namespace bourse::scheduler
