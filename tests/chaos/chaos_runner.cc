// chaos_runner: faults under traffic, then proof that nothing was lost or duplicated.
// Run through scripts/chaos, which starts a disposable stack of its own (.stack-chaos/,
// MariaDB + Kafka behind chaos_tcp_proxy) so that killing its parts disturbs nothing else.
//
//   chaos_runner --faults N [--seed S] [--kinds a,b,...] --proxy-pid PID
//   env: the chaos stack's BOURSE_DB_* / BOURSE_KAFKA_BROKERS (through the proxy),
//        BOURSE_STACK_DIR (for `scripts/stack` calls), BOURSE_SOURCE_DIR, BOURSE_BINARY_DIR.
//
// Two `bourse serve` instances share one scratch database and topic prefix. Senders place
// crossing pairs (1 share, LIMIT at the reference price, one seller and one buyer per
// symbol and sender) round robin over the instances that are up, and record every order
// id answered 202. Fault kinds (short mode: each once, in this order; long mode: seeded
// random choice):
//   kill_bourse   SIGKILL one instance mid-flow, restart it 2 s later
//   takeover      SIGKILL one instance and leave it dead for 15 s (past the group session):
//                 the other takes its partitions over (restore + replay); then restart it
//   kafka_kill    SIGKILL the broker, restart it 3 s later (log recovery)
//   db_kill       SIGKILL MariaDB, restart it 3 s later (InnoDB crash recovery); meanwhile
//                 the front door must answer 503, and any 202 must survive
//   kafka_cut     cut every connection between bourse and the broker at the proxy for 8 s
//   relay_exit    both instances SIGKILLed, one restarted with faults.relay_exit_after_produce
//                 (it dies right after its relay produced a batch, before advancing the
//                 outbox's "published up to" id past it), then both restarted normally:
//                 the batch is re-published, consumers dedupe
// After each fault: 3 s more traffic, traffic paused, wait until quiet (120 s at most),
// then check every invariant (tests/support/flow_invariants.h) and reconciliation
// (POST /v1/admin/reconciliation when the server has it). Prints one line per fault and a
// summary: faults injected, orders accepted, orders lost, duplicates, "N passed, N failed".
// Exit 0 when every check passed.
#include <signal.h>

#include <algorithm>
#include <array>
#include <map>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse_process.h"
#include "flow_invariants.h"

namespace {

using bourse::testing::BourseEnvironment;
using bourse::testing::BourseProcess;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSenders = 4;
constexpr long long kCashEach = 10'000'000;  // dollars per buyer
constexpr long long kSharesEach = 100'000;   // shares per seller
constexpr auto kQuietTimeout = 180s;
struct Market {
  const char* symbol;
  const char* price;
};
constexpr Market kMarkets[] = {{"AAPL", "150"}, {"MSFT", "400"}, {"TSLA", "250"}};
const std::vector<std::string> kAllKinds = {"kill_bourse", "takeover",  "kafka_kill",
                                            "db_kill",     "kafka_cut", "relay_exit"};

void say(const std::string& line) {
  std::printf("chaos: %s\n", line.c_str());
  std::fflush(stdout);
}

int run_stack(const std::string& command) {
  const std::string line = std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/scripts/stack " + command + " >/dev/null 2>&1";
  return std::system(line.c_str());
}

class Cluster {
 public:
  explicit Cluster(BourseEnvironment& environment) : environment_(environment) {}

  void start(int index, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--set", "kafka.client_id=chaos" + std::to_string(index)});
    auto process = std::make_shared<BourseProcess>(environment_, extra);
    std::lock_guard lock(mutex_);
    instances_[static_cast<std::size_t>(index)] = process;
  }
  bool wait_ready(int index) {
    auto process = get(index);
    return process && process->wait_ready(std::chrono::seconds(120));
  }
  void kill(int index) {
    std::shared_ptr<BourseProcess> process;
    {
      std::lock_guard lock(mutex_);
      process = std::move(instances_[static_cast<std::size_t>(index)]);
    }
    if (process) {
      process->process().signal(SIGKILL);
      process->process().wait(10s);
    }
  }
  std::shared_ptr<BourseProcess> get(int index) {
    std::lock_guard lock(mutex_);
    return instances_[static_cast<std::size_t>(index)];
  }
  // An instance that is up, round robin; null when none is.
  std::shared_ptr<BourseProcess> any(unsigned turn) {
    std::lock_guard lock(mutex_);
    for (unsigned i = 0; i < instances_.size(); ++i) {
      const auto& process = instances_[(turn + i) % instances_.size()];
      if (process) return process;
    }
    return nullptr;
  }

 private:
  BourseEnvironment& environment_;
  std::mutex mutex_;
  std::array<std::shared_ptr<BourseProcess>, 2> instances_;
};

struct Traffic {
  std::atomic<bool> paused{true};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::set<std::int64_t> accepted;
  std::atomic<long long> unavailable{0}, transport_errors{0}, other{0};
};

std::string order_body(int sender, const Market& market, bool sell) {
  return std::string(R"({"user_id":")") + (sell ? "s" : "b") + std::to_string(sender) + "_" +
         market.symbol + R"(","symbol":")" + market.symbol + R"(","side":")" +
         (sell ? "SELL" : "BUY") + R"(","type":"LIMIT","quantity":1,"price":")" + market.price +
         R"("})";
}

void sender_loop(Cluster& cluster, Traffic& traffic, int sender) {
  unsigned turn = static_cast<unsigned>(sender);
  std::optional<bourse::testing::HttpClient> client;
  int client_port = -1;
  while (!traffic.stop) {
    if (traffic.paused) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    auto process = cluster.any(turn++);
    if (!process) {
      std::this_thread::sleep_for(50ms);
      continue;
    }
    const Market& market = kMarkets[turn % 3];
    try {
      if (client_port != process->port()) {
        client.emplace("127.0.0.1", static_cast<std::uint16_t>(process->port()));
        client_port = process->port();
      }
      for (bool sell : {true, false}) {
        auto response = client->post("/v1/orders", order_body(sender, market, sell));
        if (response.status == 202) {
          std::lock_guard lock(traffic.mutex);
          traffic.accepted.insert(boost::json::parse(response.body).at("order_id").as_int64());
        } else if (response.status == 503) {
          ++traffic.unavailable;
        } else {
          ++traffic.other;
        }
      }
    } catch (const std::exception&) {
      ++traffic.transport_errors;
      client.reset();
      client_port = -1;
      std::this_thread::sleep_for(50ms);
    }
  }
}

constexpr std::chrono::milliseconds kReconciliationTimeout{180'000};
// A 503 (the periodic run is running on that instance, or the database has just come
// back) is asked again once a second this many times before it counts as a failure.
constexpr int kReconciliationRetries = 120;

std::string reconcile(Cluster& cluster) {
  auto process = cluster.any(0);
  if (!process) return "no instance";
  try {
    // A run reads every order and ledger row: on a long run's book on a loaded machine it
    // takes seconds, more than a client's default timeout. A bound, not an assertion.
    const auto post = [&] {  // a fresh connection each time
      bourse::testing::HttpClient client(
          "127.0.0.1", static_cast<std::uint16_t>(process->port()), kReconciliationTimeout);
      return client.post("/v1/admin/reconciliation", "");
    };
    auto response = post();
    for (int retry = 0; response.status == 503 && retry < kReconciliationRetries; ++retry) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      response = post();
    }
    if (response.status == 404) return "not built";
    if (response.status != 200) {
      return "HTTP " + std::to_string(response.status) + " " + response.body;
    }
    return std::string(boost::json::parse(response.body).at("status").as_string());
  } catch (const std::exception& error) {
    return std::string("error: ") + error.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  int faults = 6;
  std::uint64_t seed = 1;
  pid_t proxy_pid = 0;
  std::vector<std::string> kinds = kAllKinds;
  bool random_order = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--faults") faults = std::atoi(value.c_str());
    else if (flag == "--seed") seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--proxy-pid") proxy_pid = std::atoi(value.c_str());
    else if (flag == "--random") random_order = value == "1";
    else if (flag == "--kinds") {
      kinds.clear();
      std::stringstream list(value);
      for (std::string kind; std::getline(list, kind, ',');) kinds.push_back(kind);
    } else {
      std::fprintf(stderr, "chaos_runner: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (faults < 1 || kinds.empty() || proxy_pid <= 0) {
    std::fprintf(stderr, "chaos_runner: needs --faults >= 1, kinds and --proxy-pid\n");
    return 2;
  }

  BourseEnvironment environment;
  bourse::db::ConnectionPool pool(environment.database.config());
  Cluster cluster(environment);
  Traffic traffic;
  cluster.start(0);
  cluster.start(1);
  if (!cluster.wait_ready(0) || !cluster.wait_ready(1)) {
    say("instances did not become ready");
    return 1;
  }
  bourse::testing::FlowExpectations expected;
  expected.accepted = &traffic.accepted;
  {
    auto client = cluster.get(0)->client();
    for (int s = 0; s < kSenders; ++s) {
      for (const Market& market : kMarkets) {
        const std::string suffix = std::to_string(s) + "_" + market.symbol;
        if (client.post("/v1/accounts", R"({"user_id":"b)" + suffix + R"(","cash":")" +
                                            std::to_string(kCashEach) + R"("})").status != 201 ||
            client.post("/v1/accounts", R"({"user_id":"s)" + suffix + R"(","cash":"0","positions":{")" +
                                            market.symbol + R"(":)" + std::to_string(kSharesEach) + "}}")
                    .status != 201) {
          say("cannot open accounts");
          return 1;
        }
        expected.cash_units += kCashEach * 10'000;
        expected.shares[market.symbol] += kSharesEach;
      }
    }
  }
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) senders.emplace_back(sender_loop, std::ref(cluster), std::ref(traffic), s);

  std::mt19937_64 random(seed);
  int passed = 0, failed = 0;
  long long lost_total = 0, duplicates_total = 0;
  std::vector<std::string> injected;
  for (int f = 0; f < faults; ++f) {
    const std::string kind = random_order ? kinds[random() % kinds.size()]
                                          : kinds[static_cast<std::size_t>(f) % kinds.size()];
    const int victim = static_cast<int>(random() % 2);
    traffic.paused = false;
    std::this_thread::sleep_until(Clock::now() + 2s + std::chrono::milliseconds(random() % 2'000));
    const long long unavailable_before = traffic.unavailable;
    std::string fault_problem;  // the fault itself did not happen as intended
    say("fault " + std::to_string(f + 1) + "/" + std::to_string(faults) + ": " + kind +
        (kind == "kill_bourse" || kind == "takeover" ? " (instance " + std::to_string(victim) + ")" : ""));
    if (kind == "kill_bourse") {
      cluster.kill(victim);
      std::this_thread::sleep_for(2s);
      cluster.start(victim);
    } else if (kind == "takeover") {
      cluster.kill(victim);
      std::this_thread::sleep_for(15s);
      cluster.start(victim);
    } else if (kind == "kafka_kill") {
      run_stack("kafka-kill");
      std::this_thread::sleep_for(3s);
      if (run_stack("kafka-start") != 0) say("kafka did not restart");
    } else if (kind == "db_kill") {
      run_stack("db-kill");
      std::this_thread::sleep_for(3s);
      if (run_stack("db-start") != 0) say("mariadb did not restart");
    } else if (kind == "kafka_cut") {
      ::kill(proxy_pid, SIGUSR1);
      std::this_thread::sleep_for(8s);
      ::kill(proxy_pid, SIGUSR2);
    } else if (kind == "relay_exit") {
      cluster.kill(0);
      cluster.kill(1);
      const std::string table = (f / static_cast<int>(kinds.size())) % 2 == 0 ? "order_outbox" : "matching_outbox";
      cluster.start(victim, {"--set", "faults.relay_exit_after_produce=" + table});
      const auto deadline = Clock::now() + 90s;
      while (Clock::now() < deadline && cluster.get(victim)->process().running()) {
        std::this_thread::sleep_for(100ms);
      }
      const int exit_code = cluster.get(victim)->process().wait(0ms);
      fault_problem = exit_code == 137 ? "" : "relay_exit on " + table + ": the instance did not exit after produce (" + std::to_string(exit_code) + ")";
      say("  relay_exit on " + table + ": " + (exit_code == 137 ? "the instance exited after produce, before recording the batch published" : fault_problem));
      cluster.kill(victim);
      cluster.start(0);
      cluster.start(1);
    } else {
      say("unknown fault kind " + kind);
      return 2;
    }
    injected.push_back(kind);
    std::this_thread::sleep_for(3s);
    traffic.paused = true;
    std::this_thread::sleep_for(500ms);  // in-flight requests finish
    for (int i = 0; i < 2; ++i) {
      if (!cluster.get(i)) cluster.start(i);
      cluster.wait_ready(i);
    }
    const auto quiet_deadline = Clock::now() + kQuietTimeout;
    bool quiet = false;
    while (Clock::now() < quiet_deadline && !(quiet = bourse::testing::flow_quiet(pool))) {
      std::this_thread::sleep_for(200ms);
    }
    if (quiet) {
      std::this_thread::sleep_for(1s);
      quiet = bourse::testing::flow_quiet(pool);
    }
    std::vector<std::string> problems;
    {
      std::lock_guard lock(traffic.mutex);
      problems = bourse::testing::check_flow_invariants(pool, expected);
    }
    if (!fault_problem.empty()) problems.push_back(fault_problem);
    if (!quiet) problems.push_back("not quiet within " + std::to_string(kQuietTimeout.count()) + " s");
    const std::string reconciliation = reconcile(cluster);
    if (reconciliation != "OK" && reconciliation != "not built") {
      problems.push_back("reconciliation " + reconciliation);
    }
    for (const std::string& problem : problems) {
      if (problem.rfind("orders answered 202 but missing: ", 0) == 0) {
        lost_total += std::atoll(problem.c_str() + 33);
      }
      if (problem.rfind("duplicate", 0) == 0 || problem.rfind("settlements of no trade", 0) == 0) {
        ++duplicates_total;
      }
    }
    long long orders = 0, trades = 0;
    (void)pool.with_session([&](soci::session& s) {
      orders = bourse::testing::flow_scalar(s, "SELECT COUNT(*) FROM orders");
      trades = bourse::testing::flow_scalar(s, "SELECT COUNT(*) FROM trades");
    });
    std::size_t accepted = 0;
    {
      std::lock_guard lock(traffic.mutex);
      accepted = traffic.accepted.size();
    }
    say("  after " + kind + ": " + (problems.empty() ? "PASS" : "FAIL") + " (accepted " +
        std::to_string(accepted) + ", orders " + std::to_string(orders) + ", trades " +
        std::to_string(trades) + ", 503s during fault " +
        std::to_string(traffic.unavailable - unavailable_before) + ", reconciliation " +
        reconciliation + ")");
    for (const std::string& problem : problems) say("    " + problem);
    (problems.empty() ? passed : failed) += 1;
  }
  traffic.stop = true;
  for (auto& sender : senders) sender.join();

  std::map<std::string, int> per_kind;
  for (const std::string& kind : injected) ++per_kind[kind];
  std::string kinds_line;
  for (const auto& [kind, count] : per_kind) kinds_line += " " + kind + "=" + std::to_string(count);
  say("faults injected: " + std::to_string(injected.size()) + " (" + kinds_line.substr(1) + ")");
  say("orders accepted: " + std::to_string(traffic.accepted.size()) + ", 503 answers: " +
      std::to_string(traffic.unavailable.load()) + ", transport errors: " +
      std::to_string(traffic.transport_errors.load()) + ", other answers: " +
      std::to_string(traffic.other.load()));
  say("orders lost: " + std::to_string(lost_total) + ", duplicates: " + std::to_string(duplicates_total));
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
