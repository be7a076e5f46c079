// Where reconciliation reports are kept (table reconciliation_runs, migration 0600): the
// newest `keep_runs` runs, so the last report is the same from every instance.
//
// Thread-safety: stateless apart from the pool reference; safe from any thread.
// Blocking: never call from an I/O thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/scheduler/reconciliation_report.h"

namespace bourse::scheduler {

// Runs kept by default: a day of runs at the default interval of one minute.
inline constexpr std::size_t kDefaultKeptReconciliationRuns = 1'440;
// Most runs kept (the table stays small: a healthy report is ~1 KB).
inline constexpr std::size_t kMaxKeptReconciliationRuns = 100'000;

class ReconciliationStore {
 public:
  // REQUIRES: 1 <= keep_runs <= kMaxKeptReconciliationRuns; `pool` outlives the store.
  ReconciliationStore(db::ConnectionPool& pool, std::size_t keep_runs);

  // Inserts the report and deletes runs older than the newest keep_runs, in one
  // transaction. Errors: kUnavailable, kInternal.
  Status save(const ReconciliationReport& report);

  // The JSON text of the newest report, or nullopt if none was saved yet.
  Result<std::optional<std::string>> load_last();

 private:
  db::ConnectionPool& pool_;
  const std::size_t keep_runs_;
};

}  // namespace bourse::scheduler
