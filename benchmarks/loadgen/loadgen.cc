// loadgen: drives a running bourse (one or more instances) with a realistic order flow
// and measures it end to end.
//
//   loadgen --ports P[,P2...] [--host 127.0.0.1] [--rate R | --rate 0 (closed loop)]
//           [--seconds 60] [--users 1000] [--connections 32] [--seed 1]
//           [--market-ratio 0.1] [--cancel-ratio 0.05] [--spread-ticks 20] [--zipf 1.0]
//           [--settle-timeout 60] [--final-within 10]
//           [--raw-db-rows-per-s X] [--raw-kafka-msgs-per-s Y]   (printed next to ours)
//           [--latency-log FILE]   (one line per accepted order: "due_s latency_ms", to
//                                   find when in the run the slow ones happened)
//           [--cpu-pids bourse=P[+P2],mariadb=P,kafka=P]   (CPU per order, cpu_usage.h)
//   Database: BOURSE_DB_* as for the server (the database of the instances under test,
//   which must hold only this run's orders for rows_per_order to mean anything).
//
// 1. Untimed set-up: reads GET /v1/symbols, opens --users accounts (run-unique prefix)
//    with cash and shares of every symbol; warm-up: one crossing pair per symbol, waited
//    for until settled (expects a database that holds no other trades).
// 2. Load: open loop at --rate (action i is due at start + i / rate; accept latency is
//    measured from the due time, so a stall is not hidden) or closed loop (--rate 0, every
//    connection sends as fast as it is answered). Actions come from OrderMix (order_mix.h):
//    Zipf symbols, limit orders around the live reference price (refreshed every second)
//    crossing about half the time, some market orders, some cancels of recent orders.
//    Connections are spread over the --ports round robin and all driven by one thread
//    (open_loop.h), so that loadgen takes little of the cores it shares with the system
//    under test. Meanwhile /metrics is sampled every 500 ms for consumer and matching lag.
// 3. Quiescence: waits (up to --settle-timeout) until no order is PENDING, every trade is
//    settled and every outbox row is published (its id at or below its outbox's "published
//    up to" id); "final" if that took <= --final-within s.
// 4. From the database: order->trade and order->settled per trade (taker = the later
//    order: trades.executed_at / settled_at - orders.created_at, one server clock), rows
//    inserted per order (every table of the database), statements per order (MariaDB's
//    Questions counter from the start of the load until final: the whole server, so on a
//    quiet machine only), CPU milliseconds per accepted order of every --cpu-pids group
//    and of loadgen itself over the same window, then POST /v1/admin/reconciliation.
//    From /metrics: each relay's hop, the relays' delay histograms (relay_delay.h), and
//    order entry's means (queue wait, group, its writes + COMMIT: order_entry_metrics.h),
//    summed over the instances, read when the load starts and when everything is final.
// Prints a table and one final JSON line {"bench":"e2e",...}. "sustainable" (verdict.h) is
// true only if no request failed (5xx / transport), lag stayed bounded (the last sample is
// not the maximum unless the maximum is small), everything was final in time and, in open
// loop, the server answered (202, 4xx, cancels 202/409) at least kMinAnsweredShare (95 %)
// of the offered rate: every request is due within --seconds and is sent even when late,
// so a server that falls behind stretches the load, and answered share = (answered /
// load seconds) / (sent / --seconds). When not sustainable the table says why, e.g.
// "sustainable: NO (answered 67.2% of offered (minimum 95%))".
// Exit status: 0 sustainable, 1 not, 2 usage, 4 database error.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bourse/db/db_config.h"
#include "cpu_usage.h"
#include "histogram.h"
#include "http_client.h"
#include "open_loop.h"
#include "order_mix.h"
#include "order_entry_metrics.h"
#include "relay_delay.h"
#include "unpublished_rows.h"
#include "verdict.h"

namespace {

using bourse::bench::Action;
using bourse::bench::LatencyHistogram;
using bourse::bench::MixOptions;
using bourse::bench::MixSymbol;
using bourse::bench::Nanos;
using bourse::bench::OrderMix;
using bourse::testing::HttpClient;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Recent accepted orders a connection remembers as cancel candidates.
constexpr std::size_t kCancelCandidates = 256;
// A request of the load not answered within this counts as failed (status 0).
constexpr auto kRequestTimeout = std::chrono::milliseconds(5'000);
// How long the warm-up pairs may take to settle (consumer groups joining included).
constexpr auto kWarmupTimeout = std::chrono::seconds(120);
// Lag below this many messages counts as bounded whatever its trend.
constexpr double kSmallLag = 1'000;
// A POST /v1/admin/reconciliation refused with 503 (the periodic run is running) is
// retried once a second this many times.
constexpr int kReconciliationRetries = 120;
// The answer to one POST /v1/admin/reconciliation (a run over a large history).
constexpr std::chrono::milliseconds kReconciliationTimeout{300'000};

struct Options {
  std::string host = "127.0.0.1";
  std::vector<int> ports;
  int rate = 1'000;  // 0: closed loop
  int seconds = 60;
  int users = 1'000;
  int connections = 32;
  std::uint64_t seed = 1;
  MixOptions mix;
  int settle_timeout_s = 60;
  int final_within_s = 10;
  double raw_db_rows_per_s = 0;
  double raw_kafka_msgs_per_s = 0;
  std::string latency_log;
  std::vector<bourse::bench::CpuProcessGroup> cpu_groups;  // --cpu-pids, loadgen added
  bourse::db::DbConfig db;
};

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "loadgen: %s\n(see the header of benchmarks/loadgen/loadgen.cc)\n",
               problem.c_str());
  std::exit(2);
}

double real(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    const double parsed = std::stod(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
    return parsed;
  } catch (const std::exception&) {
    usage(flag + " needs a number, got '" + value + "'");
  }
}
int integer(const std::string& flag, const std::string& value) {
  const double parsed = real(flag, value);
  if (parsed != static_cast<double>(static_cast<long long>(parsed))) usage(flag + " needs an integer");
  return static_cast<int>(parsed);
}

Options parse(int argc, char** argv) {
  Options o;
  o.db.host = env_or("BOURSE_DB_HOST", "127.0.0.1");
  o.db.port = integer("BOURSE_DB_PORT", env_or("BOURSE_DB_PORT", "3306"));
  o.db.user = env_or("BOURSE_DB_USER", "bourse");
  o.db.password = env_or("BOURSE_DB_PASSWORD", "");
  o.db.database = env_or("BOURSE_DB_NAME", "bourse");
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string value = argv[i + 1];
    if (flag == "--host") o.host = value;
    else if (flag == "--ports" || flag == "--port") {
      std::stringstream list(value);
      for (std::string port; std::getline(list, port, ',');) o.ports.push_back(integer(flag, port));
    } else if (flag == "--rate") o.rate = integer(flag, value);
    else if (flag == "--seconds") o.seconds = integer(flag, value);
    else if (flag == "--users") o.users = o.mix.users = integer(flag, value);
    else if (flag == "--connections") o.connections = integer(flag, value);
    else if (flag == "--seed") o.seed = static_cast<std::uint64_t>(integer(flag, value));
    else if (flag == "--market-ratio") o.mix.market_ratio = real(flag, value);
    else if (flag == "--cancel-ratio") o.mix.cancel_ratio = real(flag, value);
    else if (flag == "--spread-ticks") o.mix.spread_ticks = integer(flag, value);
    else if (flag == "--zipf") o.mix.zipf_s = real(flag, value);
    else if (flag == "--settle-timeout") o.settle_timeout_s = integer(flag, value);
    else if (flag == "--final-within") o.final_within_s = integer(flag, value);
    else if (flag == "--raw-db-rows-per-s") o.raw_db_rows_per_s = real(flag, value);
    else if (flag == "--raw-kafka-msgs-per-s") o.raw_kafka_msgs_per_s = real(flag, value);
    else if (flag == "--latency-log") o.latency_log = value;
    else if (flag == "--cpu-pids") {
      auto groups = bourse::bench::parse_cpu_pids(value);
      if (!groups) usage("--cpu-pids needs name=pid[+pid...][,name=pid...], got '" + value + "'");
      o.cpu_groups = std::move(*groups);
    }
    else usage("unknown flag " + flag);
  }
  if (o.ports.empty()) usage("--ports is required");
  for (int port : o.ports) if (port <= 0 || port > 65535) usage("bad port");
  if (o.rate < 0 || o.rate > 1'000'000) usage("--rate must be 0..1000000");
  if (o.seconds < 1 || o.seconds > 86'400) usage("--seconds must be 1..86400");
  if (o.users < 2 || o.users > 1'000'000) usage("--users must be 2..1000000");
  if (o.connections < 1 || o.connections > 4'096) usage("--connections must be 1..4096");
  if (o.mix.market_ratio < 0 || o.mix.market_ratio > 1 || o.mix.cancel_ratio < 0 ||
      o.mix.cancel_ratio > 1) usage("ratios must be 0..1");
  if (o.mix.spread_ticks < 0 || o.mix.spread_ticks > 10'000) usage("--spread-ticks must be 0..10000");
  return o;
}

struct SymbolTable {
  std::vector<MixSymbol> symbols;
  std::vector<Nanos> references;
};

SymbolTable read_symbols(HttpClient& client) {
  auto response = client.get("/v1/symbols");
  if (response.status != 200) throw std::runtime_error("GET /v1/symbols: " + std::to_string(response.status));
  SymbolTable table;
  const boost::json::value parsed = boost::json::parse(response.body);
  for (const auto& entry : parsed.at("data").as_array()) {
    const auto& object = entry.as_object();
    MixSymbol symbol;
    symbol.symbol = std::string(object.at("symbol").as_string());
    Nanos reference = 0;
    if (!bourse::bench::parse_decimal(std::string(object.at("tick_size").as_string()), symbol.tick) ||
        !bourse::bench::parse_decimal(std::string(object.at("reference_price").as_string()), reference)) {
      throw std::runtime_error("GET /v1/symbols: bad decimal for " + symbol.symbol);
    }
    symbol.lot = object.at("lot_size").as_int64();
    table.symbols.push_back(symbol);
    table.references.push_back(reference);
  }
  if (table.symbols.empty()) throw std::runtime_error("the server has no symbols");
  return table;
}

// Sum of every sample of the lag gauges in a Prometheus text page.
double total_lag(const std::string& metrics) {
  double total = 0;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("bourse_consumer_lag_messages", 0) != 0 &&
        line.rfind("bourse_matching_lag_messages", 0) != 0) continue;
    const auto space = line.rfind(' ');
    if (space != std::string::npos) total += std::atof(line.c_str() + space + 1);
  }
  return total;
}

// What loadgen reads from every instance's /metrics when the load starts and when
// everything is final, summed over the instances.
struct ServerReadings {
  bourse::bench::RelayDelays relay_delays;         // relay_delay.h
  bourse::bench::OrderEntryTotals order_entry;     // order_entry_metrics.h
};

ServerReadings read_server_metrics(const Options& options) {
  ServerReadings readings;
  for (int port : options.ports) {
    HttpClient client(options.host, static_cast<std::uint16_t>(port));
    const auto response = client.get("/metrics");
    if (response.status != 200) {
      throw std::runtime_error("GET /metrics on port " + std::to_string(port) + ": " +
                               std::to_string(response.status));
    }
    bourse::bench::add_relay_delays(response.body, readings.relay_delays);
    bourse::bench::add_order_entry_totals(response.body, readings.order_entry);
  }
  return readings;
}

// A mean as JSON: two decimals, or null.
std::string json_number(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "null";
  char number[32];
  std::snprintf(number, sizeof number, "%.2f", *value);
  return number;
}

// A relay hop's quantile q (0..1] in milliseconds: a bucket upper bound (relay_delay.h);
// nullopt when that relay published nothing in the run (or /metrics did not answer).
std::optional<double> relay_hop_ms(const bourse::bench::RelayDelays& hops, std::string_view outbox,
                                   double q) {
  const auto found = hops.find(outbox);
  if (found == hops.end()) return std::nullopt;
  const auto seconds = bourse::bench::bucket_quantile(found->second, q);
  if (!seconds) return std::nullopt;
  return *seconds * 1e3;
}

struct Counts {
  std::atomic<long long> accepted{0}, rejected_4xx{0}, failed{0}, cancels{0}, cancels_late{0};
};

// MariaDB's count of statements received from clients since it started (whole server).
long long server_statements(soci::session& db) {
  std::string name, value;
  db << "SHOW GLOBAL STATUS LIKE 'Questions'", soci::into(name), soci::into(value);
  return std::stoll(value);
}

long long scalar(soci::session& db, const std::string& sql) {
  long long value = 0;
  soci::indicator indicator = soci::i_ok;
  db << sql, soci::into(value, indicator);
  return indicator == soci::i_ok ? value : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::string run = "lg" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count() % 1'000'000) + "u";
  const auto port_of = [&](int connection) {
    return static_cast<std::uint16_t>(options.ports[static_cast<std::size_t>(connection) % options.ports.size()]);
  };

  // 1. Symbols and accounts.
  SymbolTable table;
  try {
    HttpClient client(options.host, port_of(0));
    table = read_symbols(client);
    std::vector<std::thread> openers;
    std::atomic<int> next_user{0};
    std::atomic<int> open_failures{0};
    for (int c = 0; c < std::min(options.connections, 16); ++c) {
      openers.emplace_back([&, c] {
        HttpClient opener(options.host, port_of(c));
        for (int u = next_user++; u < options.users; u = next_user++) {
          std::string positions;
          for (const MixSymbol& symbol : table.symbols) {
            positions += (positions.empty() ? "\"" : ",\"") + symbol.symbol + "\":" +
                         std::to_string(1'000'000 / symbol.lot * symbol.lot);
          }
          const std::string body = R"({"user_id":")" + run + std::to_string(u) +
                                   R"(","cash":"100000000","positions":{)" + positions + "}}";
          if (opener.post("/v1/accounts", body).status != 201) ++open_failures;
        }
      });
    }
    for (auto& opener : openers) opener.join();
    if (open_failures > 0) throw std::runtime_error(std::to_string(open_failures.load()) + " accounts not opened");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "loadgen: set-up failed: %s\n", error.what());
    return 1;
  }
  std::string load_started_db;  // the database's clock when the load starts
  long long statements_at_start = 0;  // server_statements() when the load starts
  std::vector<bourse::bench::CpuProcessGroup> cpu_groups = options.cpu_groups;
  cpu_groups.push_back({"loadgen", {static_cast<int>(::getpid())}});
  std::vector<double> cpu_at_start;  // cpu_snapshot() when the load starts
  std::optional<bourse::bench::MachineTicks> machine_at_start;  // and the machine's ticks
  ServerReadings server_at_start;  // read_server_metrics() then
  // Warm-up, untimed: one crossing pair per symbol through every stage (consumer groups
  // assigned, producers connected), waited for until settled.
  try {
    HttpClient client(options.host, port_of(0));
    for (std::size_t s = 0; s < table.symbols.size(); ++s) {
      const MixSymbol& symbol = table.symbols[s];
      const Nanos price = table.references[s] / symbol.tick * symbol.tick;
      for (const char* side : {"SELL", "BUY"}) {
        const std::string body = R"({"user_id":")" + run + (side[0] == 'S' ? "0" : "1") +
                                 R"(","symbol":")" + symbol.symbol + R"(","side":")" + side +
                                 R"(","type":"LIMIT","quantity":)" + std::to_string(symbol.lot) +
                                 R"(,"price":")" + bourse::bench::format_decimal(price) + R"("})";
        if (client.post("/v1/orders", body).status != 202) throw std::runtime_error("warm-up order refused");
      }
    }
    soci::session db(soci::mysql, options.db.connection_string());
    const auto deadline = Clock::now() + kWarmupTimeout;
    while (scalar(db, "SELECT COUNT(*) FROM trades WHERE settled_at IS NOT NULL") <
           static_cast<long long>(table.symbols.size())) {
      if (Clock::now() > deadline) throw std::runtime_error("warm-up trades not settled in time");
      std::this_thread::sleep_for(100ms);
    }
    db << "SELECT DATE_FORMAT(NOW(6), '%Y-%m-%d %H:%i:%s.%f')", soci::into(load_started_db);
    statements_at_start = server_statements(db);
    cpu_at_start = bourse::bench::cpu_snapshot(cpu_groups);
    machine_at_start = bourse::bench::machine_ticks();
    server_at_start = read_server_metrics(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "loadgen: warm-up failed: %s\n", error.what());
    return 1;
  }
  std::vector<std::atomic<Nanos>> references(table.symbols.size());
  for (std::size_t i = 0; i < references.size(); ++i) references[i] = table.references[i];

  // 2. Load, with the reference refresher and the lag sampler beside it.
  std::atomic<bool> load_done{false};
  std::atomic<bool> sampling_done{false};
  std::vector<std::pair<double, double>> lag_samples;  // (seconds since start, lag)
  std::mutex lag_mutex;
  const Clock::time_point start = Clock::now() + 200ms;
  const auto load_end = start + std::chrono::seconds(options.seconds);
  std::thread refresher([&] {
    try {
      HttpClient client(options.host, port_of(0));
      while (!load_done) {
        std::this_thread::sleep_for(1s);
        SymbolTable now = read_symbols(client);
        for (std::size_t i = 0; i < now.references.size() && i < references.size(); ++i) {
          references[i] = now.references[i];
        }
      }
    } catch (const std::exception& error) {
      std::fprintf(stderr, "loadgen: reference refresh stopped: %s\n", error.what());
    }
  });
  std::thread sampler([&] {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int port : options.ports) {
      clients.push_back(std::make_unique<HttpClient>(options.host, static_cast<std::uint16_t>(port)));
    }
    while (!sampling_done) {
      double lag = 0;
      for (auto& client : clients) {
        try {
          lag += total_lag(client->get("/metrics").body);
        } catch (const std::exception&) {
        }
      }
      {
        std::lock_guard lock(lag_mutex);
        lag_samples.emplace_back(std::chrono::duration<double>(Clock::now() - start).count(), lag);
      }
      std::this_thread::sleep_for(500ms);
    }
  });

  Counts counts;
  std::vector<LatencyHistogram> accept_latency(static_cast<std::size_t>(options.connections));
  // Per connection (due offset in µs, accept latency in µs), kept only for --latency-log.
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> accept_log(
      static_cast<std::size_t>(options.connections));
  // One event loop drives every connection (open_loop.h): connection c takes actions
  // c, c + connections, ... (action i due at start + i / rate); a cancel with no
  // candidate yet skips its slot.
  struct ConnectionState {
    OrderMix mix;
    std::deque<std::int64_t> recent;  // accepted limit orders, cancel candidates
    std::vector<Nanos> now_references;
    Action action;  // of the slot in flight
  };
  std::vector<std::unique_ptr<ConnectionState>> states;
  std::vector<bourse::bench::ConnectionHooks> hooks;
  std::vector<bourse::bench::OpenLoopTarget> targets;
  for (int port : options.ports) targets.push_back({options.host, static_cast<std::uint16_t>(port)});
  for (int c = 0; c < options.connections; ++c) {
    states.push_back(std::make_unique<ConnectionState>(ConnectionState{
        OrderMix(table.symbols, options.mix, options.seed * 1'000'003ULL + static_cast<std::uint64_t>(c)),
        {}, std::vector<Nanos>(references.size()), {}}));
    ConnectionState& state = *states.back();
    LatencyHistogram& histogram = accept_latency[static_cast<std::size_t>(c)];
    auto& log = accept_log[static_cast<std::size_t>(c)];
    bourse::bench::ConnectionHooks hook;
    hook.next = [&, c](long long k) -> std::optional<bourse::bench::Slot> {
      const long long i = c + k * options.connections;
      Clock::time_point due = Clock::now();
      if (options.rate > 0) due = start + std::chrono::nanoseconds(i * 1'000'000'000LL / options.rate);
      if (due >= load_end) return std::nullopt;
      for (std::size_t s = 0; s < state.now_references.size(); ++s) state.now_references[s] = references[s];
      state.action = state.mix.next(state.now_references);
      if (state.action.kind == Action::Kind::kCancel) {
        if (state.recent.empty()) return bourse::bench::Slot{due, std::nullopt};
        const std::int64_t id = state.recent.front();
        state.recent.pop_front();
        return bourse::bench::Slot{due, bourse::bench::PlannedRequest{"DELETE", "/v1/orders/" + std::to_string(id), {}}};
      }
      return bourse::bench::Slot{
          due, bourse::bench::PlannedRequest{"POST", "/v1/orders", state.mix.order_json(state.action, run)}};
    };
    hook.done = [&](const bourse::bench::Slot& slot, int status, std::string_view body, Clock::time_point answered) {
      if (state.action.kind == Action::Kind::kCancel) {
        if (status == 202) ++counts.cancels;
        else if (status == 409) ++counts.cancels_late;
        else if (status >= 500 || status == 0) ++counts.failed;
        else ++counts.rejected_4xx;
        return;
      }
      if (status == 202) {
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(answered - slot.due).count();
        ++counts.accepted;
        histogram.record_us(micros);
        if (!options.latency_log.empty()) {
          log.emplace_back(std::chrono::duration_cast<std::chrono::microseconds>(slot.due - start).count(), micros);
        }
        if (!state.action.market) {
          try {
            state.recent.push_back(boost::json::parse(body).at("order_id").as_int64());
            if (state.recent.size() > kCancelCandidates) state.recent.pop_front();
          } catch (const std::exception&) {
            ++counts.failed;  // a 202 without its order id
          }
        }
      } else if (status >= 500 || status == 0) {
        ++counts.failed;
      } else {
        ++counts.rejected_4xx;
      }
    };
    hooks.push_back(std::move(hook));
  }
  try {
    bourse::bench::run_open_loop(targets, std::move(hooks), kRequestTimeout);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "loadgen: load failed: %s\n", error.what());
    return 1;
  }
  const Clock::time_point sent = Clock::now();
  if (!options.latency_log.empty()) {
    std::vector<std::pair<std::int64_t, std::int64_t>> all;
    for (const auto& entries : accept_log) all.insert(all.end(), entries.begin(), entries.end());
    std::sort(all.begin(), all.end());
    if (std::FILE* out = std::fopen(options.latency_log.c_str(), "w")) {
      // The load's start on the wall clock, to line the log up with other samplers.
      const auto start_wall = std::chrono::system_clock::now() -
                              std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - start);
      std::fprintf(out, "# start_unix_s %.3f\n",
                   std::chrono::duration<double>(start_wall.time_since_epoch()).count());
      for (const auto& [due_us, latency_us] : all) {
        std::fprintf(out, "%.6f %.3f\n", static_cast<double>(due_us) / 1e6, static_cast<double>(latency_us) / 1e3);
      }
      std::fclose(out);
    } else {
      std::fprintf(stderr, "loadgen: cannot write %s\n", options.latency_log.c_str());
    }
  }
  load_done = true;
  refresher.join();
  const double load_seconds = std::chrono::duration<double>(sent - start).count();

  // 3. Quiescence, 4. database figures, reconciliation.
  double final_after_s = -1;
  long long orders = 0, trades = 0, rows = 0, statements = 0;
  std::vector<double> cpu_used;  // CPU seconds per --cpu-pids group, load start to final
  std::optional<double> steal_pct;  // the hypervisor's share of the cores, same span
  LatencyHistogram trade_latency, settled_latency;
  // Where order->settled goes, hop by hop: each relay from its outbox row's insert to the
  // broker's acknowledgement (the relay's wake-up, fetch, durability barrier, produce and
  // acknowledgement), as the relays observed it over the run (relay_delay.h), and
  // trade->settled from the database (the matching batch's commit to the settlement
  // batch's, one server clock).
  bourse::bench::RelayDelays relay_hops;
  bourse::bench::OrderEntryMeans order_entry;  // the run's groups (order_entry_metrics.h)
  LatencyHistogram trade_to_settled;
  std::string reconciliation = "unavailable";
  try {
    soci::session db(soci::mysql, options.db.connection_string());
    const std::string unpublished = bourse::testing::count_unpublished_rows_sql();
    const auto quiet = [&] {
      return scalar(db, "SELECT COUNT(*) FROM orders WHERE status = 'PENDING'") == 0 &&
             scalar(db, "SELECT COUNT(*) FROM trades WHERE settled_at IS NULL") == 0 &&
             scalar(db, unpublished) == 0 &&
             scalar(db, "SELECT COUNT(*) FROM settled_trades") == scalar(db, "SELECT COUNT(*) FROM trades");
    };
    const auto deadline = sent + std::chrono::seconds(options.settle_timeout_s);
    while (Clock::now() < deadline) {
      if (quiet()) {
        final_after_s = std::chrono::duration<double>(Clock::now() - sent).count();
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    statements = server_statements(db) - statements_at_start;
    const std::vector<double> cpu_at_end = bourse::bench::cpu_snapshot(cpu_groups);
    for (std::size_t i = 0; i < cpu_at_end.size(); ++i) cpu_used.push_back(cpu_at_end[i] - cpu_at_start[i]);
    steal_pct = bourse::bench::steal_percent(machine_at_start, bourse::bench::machine_ticks());
    try {
      const ServerReadings at_end = read_server_metrics(options);
      relay_hops = bourse::bench::delays_between(server_at_start.relay_delays, at_end.relay_delays);
      order_entry = bourse::bench::order_entry_means(
          bourse::bench::order_entry_between(server_at_start.order_entry, at_end.order_entry));
    } catch (const std::exception& error) {
      std::fprintf(stderr, "loadgen: relay hops and order entry metrics unavailable: %s\n",
                   error.what());
    }
    sampling_done = true;
    orders = scalar(db, "SELECT COUNT(*) FROM orders");
    db << "SELECT COUNT(*) FROM trades WHERE executed_at >= :start", soci::use(load_started_db),
        soci::into(trades);
    soci::rowset<soci::row> latencies =
        (db.prepare << "SELECT TIMESTAMPDIFF(MICROSECOND, GREATEST(b.created_at, s.created_at), "
                       "t.executed_at), COALESCE(TIMESTAMPDIFF(MICROSECOND, GREATEST(b.created_at, "
                       "s.created_at), t.settled_at), -1), COALESCE(TIMESTAMPDIFF(MICROSECOND, "
                       "t.executed_at, t.settled_at), -1) FROM trades t JOIN orders b ON b.order_id = "
                       "t.buy_order_id JOIN orders s ON s.order_id = t.sell_order_id WHERE "
                       "t.executed_at >= :start",
         soci::use(load_started_db));
    for (const auto& row : latencies) {
      trade_latency.record_us(row.get<long long>(0));
      if (row.get<long long>(1) >= 0) settled_latency.record_us(row.get<long long>(1));
      if (row.get<long long>(2) >= 0) trade_to_settled.record_us(row.get<long long>(2));
    }
    std::vector<std::string> tables;
    soci::rowset<std::string> names =
        (db.prepare << "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                       "DATABASE() AND table_name <> 'schema_migrations'");
    for (const std::string& name : names) tables.push_back(name);
    for (const std::string& name : tables) rows += scalar(db, "SELECT COUNT(*) FROM `" + name + "`");
  } catch (const std::exception& error) {
    sampling_done = true;
    sampler.join();
    std::fprintf(stderr, "loadgen: database: %s\n", error.what());
    return 4;
  }
  sampler.join();
  try {
    // A run paces itself (reconciliation.db_share_pct): it takes several times its work.
    HttpClient client(options.host, port_of(0), kReconciliationTimeout);
    // 503: the periodic run (every 60 s) is running on that instance right now; wait for
    // it to finish rather than report an error (at most kReconciliationRetries seconds).
    auto response = client.post("/v1/admin/reconciliation", "");
    for (int retry = 0; response.status == 503 && retry < kReconciliationRetries; ++retry) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      response = client.post("/v1/admin/reconciliation", "");
    }
    if (response.status == 200) {
      const boost::json::object report = boost::json::parse(response.body).as_object();
      reconciliation = std::string(report.at("status").as_string());
      // What the run cost, per check (the job runs every 60 s under the load too).
      std::string checks;
      for (const auto& check : report.at("checks").as_array()) {
        checks += " " + std::string(check.at("name").as_string()) + " " +
                  std::to_string(check.at("duration_ms").to_number<std::int64_t>());
      }
      std::fprintf(stderr, "loadgen: reconciliation %s in %lld ms; ms per check:%s\n",
                   reconciliation.c_str(),
                   static_cast<long long>(report.at("duration_ms").to_number<std::int64_t>()),
                   checks.c_str());
    } else if (response.status != 404) {
      reconciliation = "error " + std::to_string(response.status);
    }
  } catch (const std::exception&) {
    reconciliation = "error";
  }

  LatencyHistogram accepts;
  for (const auto& histogram : accept_latency) accepts.merge(histogram);
  double max_lag = 0, last_lag_during_load = 0;
  for (const auto& [at, lag] : lag_samples) {
    max_lag = std::max(max_lag, lag);
    if (at <= load_seconds) last_lag_during_load = lag;
  }
  const bool lag_bounded = max_lag < kSmallLag || last_lag_during_load < max_lag;
  const bool final_in_time = final_after_s >= 0 && final_after_s <= options.final_within_s;
  const long long answered = counts.accepted + counts.rejected_4xx + counts.cancels + counts.cancels_late;
  const bourse::bench::Verdict verdict = bourse::bench::judge(
      {counts.failed.load(), lag_bounded, final_in_time, options.rate > 0, answered,
       static_cast<double>(options.seconds), load_seconds});
  const bool sustainable = verdict.sustainable;
  const std::string answered_share_json =  // null in closed loop (no offered rate)
      verdict.answered_share.has_value() ? std::to_string(*verdict.answered_share) : "null";
  const double orders_per_s = static_cast<double>(counts.accepted) / load_seconds;
  const double trades_per_s = static_cast<double>(trades) / load_seconds;
  const double rows_per_order = orders > 0 ? static_cast<double>(rows) / static_cast<double>(orders) : 0;
  // Statements from the start of the load until everything was final, per accepted order:
  // every client of the server counts (the instances, this tool's own polling of about 50
  // statements/s, anything else running), so it is meaningful on a quiet machine only.
  const double statements_per_order =
      counts.accepted > 0 ? static_cast<double>(statements) / static_cast<double>(counts.accepted.load()) : 0;
  const double db_ratio = options.raw_db_rows_per_s > 0 ? orders_per_s / (options.raw_db_rows_per_s / 2.0) : 0;

  std::printf("loadgen: %s, %d connections over %zu instance(s), %d users, %zu symbols, %.1f s\n",
              options.rate > 0 ? ("open loop at " + std::to_string(options.rate) + "/s").c_str()
                               : "closed loop",
              options.connections, options.ports.size(), options.users, table.symbols.size(),
              load_seconds);
  std::printf("  accepted %lld (%.0f/s), 4xx %lld, failed %lld, cancels %lld (+%lld too late)\n",
              counts.accepted.load(), orders_per_s, counts.rejected_4xx.load(), counts.failed.load(),
              counts.cancels.load(), counts.cancels_late.load());
  if (verdict.answered_share.has_value()) {
    std::printf("  answered %lld requests in %.1f s: %.1f %% of the offered rate (minimum %.0f %%)\n",
                answered, load_seconds, *verdict.answered_share * 100.0,
                bourse::bench::kMinAnsweredShare * 100.0);
  }
  std::printf("  trades %lld (%.0f/s); all final %.2f s after the load (%s)\n", trades, trades_per_s,
              final_after_s, final_in_time ? "in time" : "NOT in time");
  std::printf("  lag: max %.0f messages, last during load %.0f (%s)\n", max_lag, last_lag_during_load,
              lag_bounded ? "bounded" : "GROWING");
  std::printf("  %-16s %9s %9s %9s %9s\n", "latency ms", "p50", "p99", "p99.9", "max");
  for (const auto& [name, histogram] : {std::pair<const char*, const LatencyHistogram*>{"accept (202)", &accepts},
                                        {"order->trade", &trade_latency},
                                        {"order->settled", &settled_latency}}) {
    std::printf("  %-16s %9.2f %9.2f %9.2f %9.2f\n", name, histogram->percentile_ms(50),
                histogram->percentile_ms(99), histogram->percentile_ms(99.9), histogram->max_ms());
  }
  // A relay hop's figures are bucket upper bounds ("at most"; max: the highest bucket that
  // holds a row), "-" when there is none and "inf" past the last bucket (30 s).
  const auto relay_hop_row = [&](const char* name, std::string_view outbox) {
    std::printf("  %-16s", name);
    for (double q : {0.50, 0.90, 0.99, 1.0}) {
      const std::optional<double> ms = relay_hop_ms(relay_hops, outbox, q);
      if (ms) {
        std::printf(" %9.2f", *ms);
      } else {
        std::printf(" %9s", "-");
      }
    }
    std::printf("\n");
  };
  std::printf("  %-16s %9s %9s %9s %9s   (where order->settled goes; relays: bucket bounds)\n",
              "hop ms", "p50", "p90", "p99", "max");
  relay_hop_row("order relay", "order_outbox");
  relay_hop_row("matching relay", "matching_outbox");
  std::printf("  %-16s %9.2f %9.2f %9.2f %9.2f\n", "trade->settled",
              trade_to_settled.percentile_ms(50), trade_to_settled.percentile_ms(90),
              trade_to_settled.percentile_ms(99), trade_to_settled.max_ms());
  relay_hop_row("account relay", "account_outbox");
  // Order entry's own means (the server's histograms): where an accept latency goes.
  if (order_entry.group_ms) {
    std::printf("  order entry (server means): queue wait %.2f ms, group %.2f ms (writes + COMMIT %.2f ms), "
                "%.1f requests per group\n",
                order_entry.queue_ms.value_or(0), *order_entry.group_ms,
                order_entry.last_round_trip_ms.value_or(0), order_entry.requests_per_group.value_or(0));
  }
  // null when the order relay published nothing or its p50 is past the last bucket.
  const std::string order_relay_p50_json = json_number(relay_hop_ms(relay_hops, "order_outbox", 0.50));
  std::printf("  rows inserted per order %.2f; statements per order %.2f; reconciliation %s; sustainable: %s\n",
              rows_per_order, statements_per_order, reconciliation.c_str(),
              sustainable ? "yes" : ("NO (" + verdict.reasons + ")").c_str());
  // CPU per accepted order, load start to final (the drain included); the total is the
  // system under test (every --cpu-pids group), loadgen's own share printed apart.
  std::string cpu_line, cpu_json;
  double cpu_total_ms = 0;
  for (std::size_t i = 0; i < cpu_used.size(); ++i) {
    const double ms = counts.accepted > 0 ? cpu_used[i] * 1e3 / static_cast<double>(counts.accepted.load()) : 0;
    if (i + 1 < cpu_used.size()) cpu_total_ms += ms;  // the last group is loadgen itself
    char part[128];
    std::snprintf(part, sizeof part, "%s %.3f", cpu_groups[i].name.c_str(), ms);
    cpu_line += (cpu_line.empty() ? "" : ", ") + std::string(part);
    std::snprintf(part, sizeof part, "\"%s\":%.3f", cpu_groups[i].name.c_str(), ms);
    cpu_json += (cpu_json.empty() ? "" : ",") + std::string(part);
  }
  std::printf("  CPU ms per order: %s; system under test %.3f\n", cpu_line.c_str(), cpu_total_ms);
  // -1 when /proc/stat could not be read.
  std::printf("  steal (the hypervisor running others on these cores): %.1f %% of the machine's CPU time\n",
              steal_pct.value_or(-1));
  if (options.raw_db_rows_per_s > 0) {
    std::printf("  vs raw DB ceiling (1 order row + 1 outbox row per order): %.0f orders/s -> %.1f %%\n",
                options.raw_db_rows_per_s / 2.0, db_ratio * 100);
  }
  std::printf("{\"bench\":\"e2e\",\"orders_per_s\":%.0f,\"trades_per_s\":%.0f,\"accept_p50_ms\":%.2f,"
              "\"accept_p99_ms\":%.2f,\"trade_p99_ms\":%.2f,\"settled_p99_ms\":%.2f,"
              "\"rows_per_order\":%.2f,\"statements_per_order\":%.2f,\"raw_db_rows_per_s\":%.0f,\"raw_kafka_msgs_per_s\":%.0f,"
              "\"failed\":%lld,\"max_lag\":%.0f,\"final_after_s\":%.2f,\"sustainable\":%s,\"answered_share\":%s,"
              "\"order_relay_p50_ms\":%s,\"trade_to_settled_p50_ms\":%.2f,"
              "\"order_queue_mean_ms\":%s,\"order_group_mean_ms\":%s,\"order_group_last_round_trip_mean_ms\":%s,"
              "\"cpu_ms_per_order\":%.3f,\"cpu_ms_per_order_by_process\":{%s},\"steal_pct\":%.1f,"
              "\"reconciliation\":\"%s\"}\n",
              orders_per_s, trades_per_s, accepts.percentile_ms(50), accepts.percentile_ms(99),
              trade_latency.percentile_ms(99), settled_latency.percentile_ms(99), rows_per_order,
              statements_per_order, options.raw_db_rows_per_s, options.raw_kafka_msgs_per_s, counts.failed.load(), max_lag,
              final_after_s, sustainable ? "true" : "false", answered_share_json.c_str(),
              order_relay_p50_json.c_str(), trade_to_settled.percentile_ms(50),
              json_number(order_entry.queue_ms).c_str(), json_number(order_entry.group_ms).c_str(),
              json_number(order_entry.last_round_trip_ms).c_str(), cpu_total_ms,
              cpu_json.c_str(), steal_pct.value_or(-1), reconciliation.c_str());
  return sustainable ? 0 : 1;
}
