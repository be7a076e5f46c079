// Reconciliation: proves from the tables alone that the books are right, in ONE
// consistent snapshot (START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY, REPEATABLE
// READ), so every table is read as of the same instant and a transaction committed
// between two queries can never look like a mismatch.
//
// Checks (names as in the report; set-based SQL, one to three statements each, some
// shared by several checks, so a run costs a constant number of statements whatever the
// number of accounts and orders):
//
//  Within the account module (exact):
//   balances_match_ledger        every cash balance and position (total and reserved)
//                                equals the sum of its deltas in the ledger of record
//                                (ledger_entries and the trade journal's legs,
//                                bourse/account/ledger.h), and no ledger
//                                account holds a non-zero sum without a balance row
//   asset_totals_match_inflows   per asset, the total over all accounts equals what came
//                                in from outside (opening balances + deposits, booked
//                                against '@external'); the deposits table agrees with the
//                                ledger's deposit entries; every (kind, reference, asset)
//                                of the ledger sums to zero (double entry)
//   reserved_matches_reservations reserved cash and shares equal the remaining of the
//                                account's RESERVED reservations; closed ones hold 0
//   balances_not_negative        total >= reserved >= 0 everywhere
//   reservation_fills_match_settled_trades  a reservation's filled_quantity is the sum of
//                                its settled trades
//   trades_settled_once          each settled trade moved exactly its quantity of shares
//                                (once) and every ledger trade entry has its settled trade;
//                                a journal row pays price x quantity, names the order
//                                module's buyer and seller, and has no ledger trade
//                                entries besides (booked twice)
//  Within the order module (exact):
//   order_fills_match_trades     an order's filled_quantity / filled_notional are the sums
//                                over its settled trades in the trade record; FILLED means
//                                filled_quantity = quantity
//  Across modules:
//   orders_match_reservations    (exact: written in one transaction) every order has its
//                                reservation with the same owner, side, symbol, quantity
//                                and reserved amount, and every reservation its order; a
//                                trade the order module shows settled is settled in the
//                                account module with the same terms
//   order_fills_match_settlement the order module's fills and final statuses follow the
//                                account module's settlements and releases, EXCEPT for the
//                                account events the order status follower has not applied
//                                yet (see "In flight" below)
//
// In flight: the account module announces each settlement (TradeSettled) and each final
// release (ReservationReleased) in account_outbox in the transaction that made it; the
// order status follower (consumer group `order_status_group`) applies each event and
// inserts its id into processed_events in ONE transaction. So, in the snapshot, the
// account events in account_outbox without a processed_events row for that group are
// exactly the ones still on their way: the run reads them (parsed with the account
// module's own event contracts) and expects the order module to be behind by exactly
// them. A dead-lettered event has its processed_events row, so what it failed to apply
// shows as a mismatch. Matching -> account work in flight (a trade executed but not yet
// settled) needs no allowance: no check compares matching's output with settlement.
//
// REQUIRES: account_outbox rows are kept until the follower applied them (the relay keeps
// published rows for its retention, 24 h by default) and processed_events rows of the
// follower are not pruned while their outbox rows exist (a pruner must delete outbox
// rows first).
//
// Pace: a run reads every table once, which takes the database a while (1.8 s of one
// core for 120,000 orders on the benchmark VM) and competes with order entry for the
// cores. So a run pauses after each statement, for as long as the statement took times
// (100 - db_share_pct) / db_share_pct, at most kMaxReconciliationPause per pause: its
// statements then take at most about db_share_pct % of its wall time (a run at the
// default 20 % lasts ~5x its work). The pass over the orders, the largest, is read in
// slices of kDefaultOrderPassSliceOrders orders by key range (~30 ms each on the
// benchmark VM; reconciliation_checks.h), so no one statement holds a core for long.
// All of it in the one snapshot: a paused run still sees one instant. stop_pausing()
// ends the pauses (shutdown).
//
// Thread-safety: run() may be called from several threads at once (each uses its own
// pooled session); stop_pausing() from any thread. Blocking: never call from an I/O thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/scheduler/reconciliation_report.h"

namespace bourse::scheduler {

// Account events in flight that one run accepts; past this, the order status follower is
// so far behind that the run fails (kUnavailable) rather than load them all.
inline constexpr std::size_t kMaxInFlightEvents = 100'000;

// The share of a run's wall time its statements may take (see "Pace"), in percent: 100
// never pauses.
inline constexpr int kDefaultReconciliationDbSharePct = 20;
inline constexpr int kMinReconciliationDbSharePct = 1;
inline constexpr int kMaxReconciliationDbSharePct = 100;
// The longest single pause, so that a run over a large history never sleeps for long in
// one go.
inline constexpr std::chrono::milliseconds kMaxReconciliationPause{1'000};
inline constexpr std::size_t kDefaultOrderPassSliceOrders = 5'000;

struct ReconcilerOptions {
  // The exactly-once consumer group of the order status follower on account-events
  // ("<topic prefix>order-status-account").
  std::string order_status_group;
  // kMinReconciliationDbSharePct..kMaxReconciliationDbSharePct.
  int db_share_pct = kDefaultReconciliationDbSharePct;
  // Orders per statement of the order pass, >= 1 (tests make it small to cross slices).
  std::size_t order_pass_slice_orders = kDefaultOrderPassSliceOrders;
};

class Reconciler {
 public:
  // REQUIRES: `pool` and `clock` outlive the Reconciler; order_status_group not empty.
  Reconciler(db::ConnectionPool& pool, ReconcilerOptions options, const Clock& clock);

  // Runs every check in one consistent snapshot. Errors: kUnavailable (database down,
  // too many events in flight), kInternal (a query failed). A mismatch is NOT an error:
  // it is in the report.
  Result<ReconciliationReport> run() const;

  // Ends the current run's pauses and makes later runs pause no more (shutdown).
  void stop_pausing();

 private:
  // After a statement that kept the database busy for `busy` (see "Pace").
  void pause(std::chrono::steady_clock::duration busy) const;

  db::ConnectionPool& pool_;
  const ReconcilerOptions options_;
  const Clock& clock_;
  mutable std::mutex pause_mutex_;
  mutable std::condition_variable pause_wake_;
  bool pausing_ = true;  // guarded by pause_mutex_
};

}  // namespace bourse::scheduler
