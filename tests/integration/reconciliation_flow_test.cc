// Goal: the reconciliation job proves the books right on a real `bourse serve` (MariaDB
// and Kafka): OK for accounts opened with unequal balances and later deposits; OK on
// EVERY run while concurrent orders trade (settlement and the order status follower
// lagging each other); MISMATCH naming the account (or order) whose row was corrupted
// directly in MySQL, and OK again once it is repaired. GET answers the last report.
#include <soci/soci.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse_process.h"

using bourse::testing::BourseProcess;

namespace {

using namespace std::chrono_literals;

constexpr const char* kPath = "/v1/admin/reconciliation";

boost::json::object json(const std::string& body) { return boost::json::parse(body).as_object(); }

// POST /v1/admin/reconciliation: the report (200 required). A 503 reconciliation-running
// (the periodic job is running on that instance) is retried.
boost::json::object reconcile(const BourseProcess& process) {
  auto client = process.client();
  auto response = client.post(kPath, "");
  for (int attempt = 0; attempt < 100 && response.status == 503 &&
                        response.body.find("reconciliation-running") != std::string::npos;
       ++attempt) {
    std::this_thread::sleep_for(20ms);
    response = client.post(kPath, "");
  }
  INFO(response.status << " " << response.body);
  REQUIRE(response.status == 200);
  return json(response.body);
}

const boost::json::object& check_named(const boost::json::object& report, const std::string& name) {
  for (const auto& check : report.at("checks").as_array()) {
    if (check.as_object().at("name").as_string() == name) return check.as_object();
  }
  FAIL("no check " << name << " in " << boost::json::serialize(report));
  throw std::logic_error("unreachable");
}

// The mismatches of `check` whose `subject_kind` is `subject`.
std::vector<boost::json::object> mismatches_naming(const boost::json::object& report,
                                                   const std::string& check,
                                                   const std::string& subject_kind,
                                                   const std::string& subject) {
  std::vector<boost::json::object> found;
  for (const auto& mismatch : check_named(report, check).at("mismatches").as_array()) {
    const auto& object = mismatch.as_object();
    const auto* value = object.if_contains(subject_kind);
    if (value != nullptr && value->is_string() && value->as_string() == subject) {
      found.push_back(object);
    }
  }
  return found;
}

void open_account(const BourseProcess& process, const std::string& user, const std::string& cash,
                  const std::string& positions = "{}") {
  auto client = process.client();
  auto response = client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash +
                                                  R"(","positions":)" + positions + "}");
  INFO(response.body);
  REQUIRE(response.status == 201);
}

void deposit(const BourseProcess& process, const std::string& user, const std::string& body) {
  auto client = process.client();
  auto response = client.post("/v1/accounts/" + user + "/deposits", body);
  INFO(response.body);
  REQUIRE(response.status == 200);
}

void execute(const BourseProcess& process, const std::string& sql) {
  bourse::db::ConnectionPool pool(process.database().config());
  REQUIRE(pool.with_session([&](soci::session& session) { session << sql; }).ok());
}

std::int64_t count(const BourseProcess& process, const std::string& sql) {
  bourse::db::ConnectionPool pool(process.database().config());
  long long n = 0;
  REQUIRE(pool.with_session([&](soci::session& session) { session << sql, soci::into(n); }).ok());
  return n;
}

std::string status_of(const boost::json::object& report) {
  return std::string(report.at("status").as_string());
}

}  // namespace

TEST_CASE(
    "reconciliation: unequal opening balances and later deposits reconcile; a corrupted "
    "balance is named; repaired it is OK again; GET answers the last report",
    "[reconciliation][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());

  {  // Before any run (the periodic job waits one interval first): 404 problem.
    auto client = process.client();
    auto response = client.get(kPath);
    INFO(response.body);
    CHECK(response.status == 404);
    CHECK(response.body.find("no-reconciliation-yet") != std::string::npos);
  }

  open_account(process, "alice", "10000", R"({"AAPL":50})");
  open_account(process, "bob", "2500.50");
  open_account(process, "carol", "0", R"({"MSFT":7})");
  deposit(process, "carol", R"({"cash":"1234.5"})");
  deposit(process, "bob", R"({"symbol":"AAPL","quantity":3})");
  deposit(process, "alice", R"({"cash":"0.0001"})");

  const boost::json::object healthy = reconcile(process);
  INFO(boost::json::serialize(healthy));
  CHECK(status_of(healthy) == "OK");
  CHECK(healthy.at("checks").as_array().size() == 9);
  for (const auto& check : healthy.at("checks").as_array()) {
    CHECK(check.as_object().at("status").as_string() == "OK");
  }
  {  // GET answers the stored report byte for byte.
    auto client = process.client();
    auto response = client.get(kPath);
    REQUIRE(response.status == 200);
    CHECK(json(response.body).at("run_id") == healthy.at("run_id"));
  }

  // One unit of cash appears in bob's balance without a ledger entry.
  execute(process, "UPDATE cash_balances SET total_units = total_units + 1 WHERE user_id = 'bob'");
  const boost::json::object corrupted = reconcile(process);
  INFO(boost::json::serialize(corrupted));
  CHECK(status_of(corrupted) == "MISMATCH");
  const auto named = mismatches_naming(corrupted, "balances_match_ledger", "account", "bob");
  REQUIRE(named.size() == 1);
  CHECK(named[0].at("asset").as_string() == "cash:USD");
  CHECK(named[0].at("field").as_string() == "total");
  CHECK(named[0].at("expected").as_string() == "2500.5");
  CHECK(named[0].at("actual").as_string() == "2500.5001");
  CHECK(mismatches_naming(corrupted, "balances_match_ledger", "account", "alice").empty());
  CHECK(check_named(corrupted, "asset_totals_match_inflows").at("status").as_string() ==
        "MISMATCH");
  CHECK(check_named(corrupted, "reserved_matches_reservations").at("status").as_string() == "OK");
  // The ERROR log line names the account.
  const std::string log = process.process().log();
  CHECK(log.find("reconciliation mismatch: account bob cash:USD total") != std::string::npos);
  {  // The metric counts the mismatch.
    auto client = process.client();
    auto metrics = client.get("/metrics");
    CHECK(
        metrics.body.find(R"(bourse_reconciliation_mismatches{check="balances_match_ledger"} 1)") !=
        std::string::npos);
    CHECK(metrics.body.find(R"(bourse_reconciliation_runs_total{status="MISMATCH"} 1)") !=
          std::string::npos);
  }

  execute(process, "UPDATE cash_balances SET total_units = total_units - 1 WHERE user_id = 'bob'");
  const boost::json::object repaired = reconcile(process);
  INFO(boost::json::serialize(repaired));
  CHECK(status_of(repaired) == "OK");

  // A reserved position out of step with the reservations is named too.
  execute(process,
          "UPDATE positions SET reserved_quantity = 2 WHERE user_id = 'carol' AND symbol = 'MSFT'");
  const boost::json::object reserved = reconcile(process);
  CHECK(status_of(reserved) == "MISMATCH");
  const auto carol =
      mismatches_naming(reserved, "reserved_matches_reservations", "account", "carol");
  REQUIRE(carol.size() == 1);
  CHECK(carol[0].at("asset").as_string() == "shares:MSFT");
  CHECK(carol[0].at("expected").as_int64() == 0);
  CHECK(carol[0].at("actual").as_int64() == 2);
}

TEST_CASE(
    "reconciliation: every run is OK while concurrent orders trade, and a corrupted "
    "order fill is named",
    "[reconciliation][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());

  constexpr int kTraders = 6;
  constexpr int kThreads = 3;
  constexpr int kOrdersPerThread = 120;
  for (int i = 0; i < kTraders; ++i) {
    // Unequal starting balances, and a later deposit for half of them.
    open_account(process, "trader" + std::to_string(i), std::to_string(50'000 + 7'919 * i) + ".25",
                 R"({"AAPL":)" + std::to_string(400 + 37 * i) + R"(,"MSFT":)" +
                     std::to_string(150 + 11 * i) + "}");
    if (i % 2 == 0) deposit(process, "trader" + std::to_string(i), R"({"cash":"999.99"})");
  }

  std::atomic<bool> trading{true};
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(1234 + t);
      auto client = process.client();
      for (int n = 0; n < kOrdersPerThread; ++n) {
        const std::string user = "trader" + std::to_string(random() % kTraders);
        const bool aapl = random() % 3 != 0;
        const char* symbol = aapl ? "AAPL" : "MSFT";
        const int reference = aapl ? 15'000 : 40'000;  // cents
        const bool buy = random() % 2 == 0;
        const int cents = reference + static_cast<int>(random() % 101) - 50;
        const std::string price = std::to_string(cents / 100) + "." +
                                  (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100);
        const int quantity = 1 + static_cast<int>(random() % 15);
        std::string body;
        if (random() % 10 == 0) {
          body = R"({"user_id":")" + user + R"(","symbol":")" + symbol + R"(","side":")" +
                 (buy ? "BUY" : "SELL") + R"(","type":"MARKET","quantity":)" +
                 std::to_string(quantity) + "}";
        } else {
          const char* tif = random() % 5 == 0 ? "IOC" : "GTC";
          body = R"({"user_id":")" + user + R"(","symbol":")" + symbol + R"(","side":")" +
                 (buy ? "BUY" : "SELL") + R"(","type":"LIMIT","quantity":)" +
                 std::to_string(quantity) + R"(,"price":")" + price + R"(","time_in_force":")" +
                 tif + R"("})";
        }
        auto response = client.post("/v1/orders", body);
        if (response.status == 202) {
          ++accepted;
          // Now and then cancel what was just placed (it may already have traded).
          if (random() % 8 == 0) {
            const auto id = json(response.body).at("order_id").as_int64();
            client.request("DELETE", "/v1/orders/" + std::to_string(id));
          }
        }
      }
    });
  }

  // Reconcile over and over while the orders flow: every run must be OK.
  std::vector<std::string> failures;
  int runs = 0;
  std::int64_t most_in_flight = 0;
  std::thread reconciler([&] {
    auto client = process.client();
    while (trading.load()) {
      auto response = client.post(kPath, "");
      if (response.status == 503 &&
          response.body.find("reconciliation-running") != std::string::npos) {
        continue;  // the periodic job is running: not a failure
      }
      ++runs;
      if (response.status != 200) {
        failures.push_back(std::to_string(response.status) + " " + response.body);
        continue;
      }
      auto report = json(response.body);
      most_in_flight = std::max(most_in_flight, report.at("in_flight_events").as_int64());
      if (report.at("status").as_string() != "OK") failures.push_back(response.body);
    }
  });
  for (auto& thread : threads) thread.join();
  // Keep reconciling while the pipeline drains the last orders.
  std::this_thread::sleep_for(3s);
  trading = false;
  reconciler.join();

  WARN("runs " << runs << ", accepted orders " << accepted.load()
               << ", most account events in flight in one run " << most_in_flight);
  CHECK(runs >= 5);
  for (const auto& failure : failures) FAIL_CHECK(failure);
  const std::int64_t traded = count(process, "SELECT COUNT(*) FROM settled_trades");
  INFO("settled trades " << traded);
  CHECK(traded > 20);
  CHECK(status_of(reconcile(process)) == "OK");

  // One order's fill counter is corrupted in the order module: named, with its values.
  const std::int64_t order_id =
      count(process, "SELECT MIN(order_id) FROM orders WHERE filled_quantity > 0");
  execute(process, "UPDATE orders SET filled_quantity = filled_quantity - 1 WHERE order_id = " +
                       std::to_string(order_id));
  const boost::json::object corrupted = reconcile(process);
  INFO(boost::json::serialize(corrupted));
  CHECK(status_of(corrupted) == "MISMATCH");
  const auto named =
      mismatches_naming(corrupted, "order_fills_match_trades", "order", std::to_string(order_id));
  REQUIRE(!named.empty());
  CHECK(named[0].at("field").as_string() == "filled_quantity");
  CHECK(named[0].at("expected").as_int64() == named[0].at("actual").as_int64() + 1);
  CHECK(!mismatches_naming(corrupted, "order_fills_match_settlement", "order",
                           std::to_string(order_id))
             .empty());
  execute(process, "UPDATE orders SET filled_quantity = filled_quantity + 1 WHERE order_id = " +
                       std::to_string(order_id));
  CHECK(status_of(reconcile(process)) == "OK");
}

TEST_CASE(
    "reconciliation: the periodic job runs on one of two instances (the lease holder), "
    "and GET answers the same report from both",
    "[reconciliation][integration]") {
  bourse::testing::BourseEnvironment environment;
  const std::vector<std::string> args = {"--set", "reconciliation.interval_ms=300"};
  BourseProcess first(environment, args);
  BourseProcess second(environment, args);
  REQUIRE(first.wait_ready());
  REQUIRE(second.wait_ready());
  open_account(first, "dora", "321.5", R"({"TSLA":4})");

  // No POST: the periodic job stores a report, which both instances serve.
  REQUIRE(bourse::testing::wait_for_status(first.port(), kPath, 200, 60s) == 200);
  REQUIRE(bourse::testing::wait_for_status(second.port(), kPath, 200, 60s) == 200);
  // Let a few more ticks pass: still only one instance ever took the lease.
  std::this_thread::sleep_for(1500ms);
  const auto holds = [](BourseProcess& process) {
    return process.process().log().find("reconciliation lease acquired") != std::string::npos;
  };
  CHECK(holds(first) != holds(second));
  CHECK(count(first, "SELECT COUNT(*) FROM reconciliation_runs") >= 3);
  CHECK(count(first, "SELECT COUNT(*) FROM reconciliation_runs WHERE status <> 'OK'") == 0);

  // GET answers the same bytes on both instances. A run may be stored between two GETs,
  // so compare the second instance's answer with the first's when the first answered the
  // same before and after it (no newer run in between).
  const boost::json::object posted = reconcile(first);
  CHECK(status_of(posted) == "OK");
  bool compared = false;
  for (int attempt = 0; attempt < 20 && !compared; ++attempt) {
    const auto before = first.client().get(kPath);
    const auto other = second.client().get(kPath);
    const auto after = first.client().get(kPath);
    REQUIRE(before.status == 200);
    REQUIRE(other.status == 200);
    if (before.body != after.body) continue;
    CHECK(other.body == before.body);
    compared = true;
  }
  CHECK(compared);
}
