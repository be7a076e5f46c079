// The outcome of one reconciliation run (Reconciler::run) and its JSON form, which is
// what POST/GET /v1/admin/reconciliation answer and what reconciliation_runs stores:
//
//   {"run_id":"<uuid>","status":"OK"|"MISMATCH","started_at":"<RFC 3339 UTC>",
//    "duration_ms":12,"in_flight_events":3,
//    "checks":[{"name":"balances_match_ledger","status":"OK","mismatches":[],
//               "truncated":false,"duration_ms":3}, ...]}
//
// A mismatch names its subject ("account", "order", "asset" or "trade" with its id), the
// asset when there is one, the field compared, and the expected and actual values: cash
// as decimal strings (Amount), quantities and counts as integers.
//
// Invariants: status is "OK" iff every check is OK; a check is OK iff it has no
// mismatches; at most kMaxMismatchesPerCheck mismatches are kept per check (truncated
// says more were found).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bourse::scheduler {

// Mismatches kept per check: enough to diagnose, small enough that a report of a badly
// broken system still fits a response and a row.
inline constexpr std::size_t kMaxMismatchesPerCheck = 100;

struct Mismatch {
  std::string subject_kind;  // "account", "order", "asset" or "trade"
  std::string subject;       // the user id, order id, asset or trade id
  std::string asset;         // "cash:USD", "shares:AAPL" or empty
  std::string field;         // what was compared, e.g. "total", "reserved", "filled_quantity"
  std::int64_t expected = 0;
  std::int64_t actual = 0;
  bool cash = false;  // expected/actual are Amount units (shown as decimal strings)
  // When set, shown instead of expected/actual (a status, a missing row).
  std::string expected_text;
  std::string actual_text;

  // One line for logs: "account alice cash:USD total expected 1000 actual 999".
  std::string describe() const;
};

struct CheckResult {
  std::string name;
  std::vector<Mismatch> mismatches;  // at most kMaxMismatchesPerCheck
  bool truncated = false;            // more mismatches were found than kept
  std::int64_t duration_ms = 0;      // how long its statements took

  bool ok() const { return mismatches.empty(); }
  // Adds a mismatch unless the check is full (then sets truncated).
  void add(Mismatch mismatch);
};

struct ReconciliationReport {
  std::string run_id;
  std::chrono::system_clock::time_point started_at;
  std::int64_t duration_ms = 0;
  // Events one module published and the other has not applied yet, which the
  // cross-module checks accounted for (see Reconciler).
  std::int64_t in_flight_events = 0;
  std::vector<CheckResult> checks;

  bool ok() const;
  std::size_t mismatch_count() const;
};

boost::json::object to_json(const Mismatch& mismatch);
boost::json::object to_json(const ReconciliationReport& report);
// The report's JSON text (what the store keeps and the routes answer).
std::string serialize(const ReconciliationReport& report);

}  // namespace bourse::scheduler
