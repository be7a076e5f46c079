// Goal: a reconciliation report says OK only when every check is OK, shows cash as
// decimal strings and quantities as integers, names each mismatch's subject, and keeps at
// most kMaxMismatchesPerCheck mismatches per check (marking it truncated).
#include "bourse/scheduler/reconciliation_report.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace bourse::scheduler;

TEST_CASE("a report is OK only when every check is OK", "[reconciliation][unit]") {
  ReconciliationReport report;
  report.run_id = "r1";
  report.checks.push_back(CheckResult{"a", {}, false, 0});
  report.checks.push_back(CheckResult{"b", {}, false, 0});
  CHECK(report.ok());
  auto json = to_json(report);
  CHECK(json.at("status").as_string() == "OK");
  CHECK(json.at("checks").as_array().size() == 2);

  report.checks[1].add(
      Mismatch{"account", "bob", "cash:USD", "total", 25'005'000, 25'005'001, true, {}, {}});
  CHECK_FALSE(report.ok());
  CHECK(report.mismatch_count() == 1);
  json = to_json(report);
  CHECK(json.at("status").as_string() == "MISMATCH");
  const auto& check = json.at("checks").as_array()[1].as_object();
  CHECK(check.at("status").as_string() == "MISMATCH");
  const auto& mismatch = check.at("mismatches").as_array()[0].as_object();
  CHECK(mismatch.at("account").as_string() == "bob");
  CHECK(mismatch.at("asset").as_string() == "cash:USD");
  CHECK(mismatch.at("expected").as_string() == "2500.5");
  CHECK(mismatch.at("actual").as_string() == "2500.5001");
  CHECK(report.checks[1].mismatches[0].describe() ==
        "account bob cash:USD total expected 2500.5 actual 2500.5001");
}

TEST_CASE("quantities are integers and statuses text", "[reconciliation][unit]") {
  const Mismatch shares{"order", "42", {}, "filled_quantity", 10, 9, false, {}, {}};
  auto json = to_json(shares);
  CHECK(json.at("order").as_string() == "42");
  CHECK(json.at("expected").as_int64() == 10);
  CHECK(json.at("actual").as_int64() == 9);
  CHECK(!json.contains("asset"));
  const Mismatch status{"order", "7", {}, "status", 0, 0, false, "FILLED", "OPEN"};
  json = to_json(status);
  CHECK(json.at("expected").as_string() == "FILLED");
  CHECK(json.at("actual").as_string() == "OPEN");
}

TEST_CASE("a check keeps at most kMaxMismatchesPerCheck mismatches", "[reconciliation][unit]") {
  CheckResult check{"many", {}, false, 0};
  for (std::size_t i = 0; i < kMaxMismatchesPerCheck + 5; ++i) {
    check.add(Mismatch{"order", std::to_string(i), {}, "filled_quantity", 1, 0, false, {}, {}});
  }
  CHECK(check.mismatches.size() == kMaxMismatchesPerCheck);
  CHECK(check.truncated);
  CHECK_FALSE(check.ok());
}
