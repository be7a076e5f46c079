#include "bourse/scheduler/reconciler.h"

#include <soci/soci.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "bourse/common/assert.h"
#include "bourse/common/uuid.h"
#include "in_flight_events.h"
#include "reconciliation_checks.h"

namespace bourse::scheduler {

Reconciler::Reconciler(db::ConnectionPool& pool, ReconcilerOptions options, const Clock& clock)
    : pool_(pool), options_(std::move(options)), clock_(clock) {
  BOURSE_ASSERT(!options_.order_status_group.empty(), "the order status group is named");
  BOURSE_ASSERT(options_.db_share_pct >= kMinReconciliationDbSharePct &&
                    options_.db_share_pct <= kMaxReconciliationDbSharePct,
                "reconciliation db share within bounds");
  BOURSE_ASSERT(options_.order_pass_slice_orders >= 1, "an order pass slice holds an order");
}

void Reconciler::stop_pausing() {
  {
    std::lock_guard lock(pause_mutex_);
    pausing_ = false;
  }
  pause_wake_.notify_all();
}

void Reconciler::pause(std::chrono::steady_clock::duration busy) const {
  if (options_.db_share_pct >= kMaxReconciliationDbSharePct || busy.count() <= 0) return;
  const auto wait = std::min<std::chrono::steady_clock::duration>(
      busy * (kMaxReconciliationDbSharePct - options_.db_share_pct) / options_.db_share_pct,
      kMaxReconciliationPause);
  std::unique_lock lock(pause_mutex_);
  pause_wake_.wait_for(lock, wait, [this] { return !pausing_; });
}

Result<ReconciliationReport> Reconciler::run() const {
  ReconciliationReport report;
  report.run_id = random_uuid_v4();
  report.started_at = clock_.now();
  const auto started = clock_.steady_now();
  std::optional<Error> failure;
  Status status = pool_.with_session([&](soci::session& session) {
    // Every read below sees the same instant: one REPEATABLE READ snapshot taken at once.
    session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    session << "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    try {
      auto in_flight = load_in_flight_events(session, options_.order_status_group);
      if (!in_flight) {
        failure = in_flight.error();
      } else {
        report.in_flight_events = in_flight->count;
        const auto timed = [&](auto&& check) {
          const auto check_started = clock_.steady_now();
          CheckResult result = check();
          const auto busy = clock_.steady_now() - check_started;
          result.duration_ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(busy).count();
          report.checks.push_back(std::move(result));
          pause(busy);
        };
        timed([&] { return checks::balances_match_ledger(session); });
        // Shared by two checks: its time counts in both (see reconciliation_checks.h).
        const checks::TradeLedgerPass trades = checks::trade_ledger_pass(session, clock_);
        pause(std::chrono::milliseconds(trades.duration_ms));
        timed([&] { return checks::asset_totals_match_inflows(session, trades); });
        report.checks.back().duration_ms += trades.duration_ms;
        timed([&] { return checks::reserved_matches_reservations(session); });
        timed([&] { return checks::balances_not_negative(session); });
        timed([&] { return checks::reservation_fills_match_settled_trades(session); });
        timed([&] { return checks::trades_settled_once(session, trades); });
        report.checks.back().duration_ms += trades.duration_ms;
        const auto paused = [this](std::chrono::steady_clock::duration busy) { pause(busy); };
        std::vector<CheckResult> order_results = checks::order_checks(
            session, *in_flight, clock_, options_.order_pass_slice_orders, paused);
        for (CheckResult& result : order_results) report.checks.push_back(std::move(result));
      }
    } catch (...) {
      try {
        session << "ROLLBACK";
      } catch (...) {
        // The session is broken; the pool discards it.
      }
      throw;
    }
    session << "COMMIT";
  });
  if (!status) return status.error();
  if (failure) return *failure;
  report.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady_now() - started).count();
  return report;
}

}  // namespace bourse::scheduler
