#include "bourse/scheduler/reconciliation_report.h"

#include <boost/json.hpp>

#include "bourse/common/money.h"
#include "bourse/common/timestamp.h"

namespace bourse::scheduler {
namespace {

boost::json::value value_of(std::int64_t value, bool cash) {
  if (cash) return boost::json::value(Amount::from_units(value).to_string());
  return boost::json::value(value);
}

std::string text_of(std::int64_t value, bool cash) {
  return cash ? Amount::from_units(value).to_string() : std::to_string(value);
}

}  // namespace

std::string Mismatch::describe() const {
  std::string line = subject_kind + " " + subject;
  if (!asset.empty()) line += " " + asset;
  line += " " + field + " expected " +
          (expected_text.empty() ? text_of(expected, cash) : expected_text) + " actual " +
          (actual_text.empty() ? text_of(actual, cash) : actual_text);
  return line;
}

void CheckResult::add(Mismatch mismatch) {
  if (mismatches.size() >= kMaxMismatchesPerCheck) {
    truncated = true;
    return;
  }
  mismatches.push_back(std::move(mismatch));
}

bool ReconciliationReport::ok() const {
  for (const CheckResult& check : checks) {
    if (!check.ok()) return false;
  }
  return true;
}

std::size_t ReconciliationReport::mismatch_count() const {
  std::size_t count = 0;
  for (const CheckResult& check : checks) count += check.mismatches.size();
  return count;
}

boost::json::object to_json(const Mismatch& mismatch) {
  boost::json::object object;
  object[mismatch.subject_kind] = mismatch.subject;
  if (!mismatch.asset.empty()) object["asset"] = mismatch.asset;
  object["field"] = mismatch.field;
  object["expected"] = mismatch.expected_text.empty() ? value_of(mismatch.expected, mismatch.cash)
                                                      : boost::json::value(mismatch.expected_text);
  object["actual"] = mismatch.actual_text.empty() ? value_of(mismatch.actual, mismatch.cash)
                                                  : boost::json::value(mismatch.actual_text);
  return object;
}

boost::json::object to_json(const ReconciliationReport& report) {
  boost::json::array checks;
  for (const CheckResult& check : report.checks) {
    boost::json::array mismatches;
    for (const Mismatch& mismatch : check.mismatches) mismatches.push_back(to_json(mismatch));
    checks.push_back(boost::json::object{{"name", check.name},
                                         {"status", check.ok() ? "OK" : "MISMATCH"},
                                         {"mismatches", std::move(mismatches)},
                                         {"truncated", check.truncated},
                                         {"duration_ms", check.duration_ms}});
  }
  return boost::json::object{{"run_id", report.run_id},
                             {"status", report.ok() ? "OK" : "MISMATCH"},
                             {"started_at", format_rfc3339_utc(report.started_at)},
                             {"duration_ms", report.duration_ms},
                             {"in_flight_events", report.in_flight_events},
                             {"checks", std::move(checks)}};
}

std::string serialize(const ReconciliationReport& report) {
  return boost::json::serialize(to_json(report));
}

}  // namespace bourse::scheduler
