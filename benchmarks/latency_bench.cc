// Order-to-trade and order-to-settled latency of a running bourse at a steady, paced rate.
//
//   latency_bench --port P [--host 127.0.0.1] [--rate 500] [--seconds 20] [--users 50]
//                 [--burst N]
//                 [--connections 8] [--symbol AAPL] [--price 150] [--settle-timeout 60]
//                 [--db-host H] [--db-port N] [--db-user U] [--db-name D]
//
// Database settings as for order_entry_bench (BOURSE_DB_* and BOURSE_DB_PASSWORD): the
// database of the server under test (it must hold only this run's orders and trades).
//
// 1. Untimed: opens --users buyers (cash) and --users sellers (shares) with a run-unique
//    prefix; warm-up: 20 crossing pairs of two other users, waited for until settled.
// 2. Paced, open loop: order i is due at start + i / rate, whatever happened before (a
//    stall shows as latency, not as a lower rate). Even i: LIMIT SELL 1 at --price by
//    seller (i/2 % users); odd i: LIMIT BUY 1 at --price by buyer (i/2 % users). Each pair
//    crosses (same price, different users), so there is one trade per two orders. Orders
//    are spread over --connections keep-alive connections; accept latency (202) is
//    measured from the due time.
// 3. Waits until every trade of the run is settled (or --settle-timeout), then reads from
//    the server's database, per trade, with the TAKER = the later of its two orders:
//      order->trade   = trades.executed_at - taker orders.created_at
//      order->settled = trades.settled_at  - taker orders.created_at
//    (created_at is set inside the order's group transaction, executed_at when the
//    matching batch commits, settled_at when settlement commits: one clock, one machine.)
// --burst N: instead of pacing, N orders as fast as --connections closed-loop connections
// go (a backlog builds behind the slowest stage); then prints when each stage finished the
// burst, from the first order's commit: the last order committed (entry), the last trade
// executed (matching), the last trade settled (settlement), the last order update
// (status), and N / that time as each stage's rate. The slowest stage is the system's real
// throughput. Prints percentiles and one final JSON line (two with --burst). Exit status: 0 fine, 1 errors (non-202 or
// trades missing), 2 usage, 4 database error.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bourse/db/db_config.h"
#include "http_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int rate = 500;
  int seconds = 20;
  int users = 50;
  int connections = 8;
  std::string symbol = "AAPL";
  std::string price = "150";
  int settle_timeout_s = 60;
  long long burst = 0;  // > 0: send this many orders at once (closed loop), no pacing
  bourse::db::DbConfig db;
};

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

[[noreturn]] void usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "latency_bench: %s\n", problem.c_str());
  std::fprintf(stderr,
               "usage: latency_bench --port P [--host H] [--rate R] [--seconds S] [--users U]\n"
               "         [--connections C] [--symbol SYM] [--price P] [--settle-timeout S]\n"
               "         [--db-host H] [--db-port N] [--db-user U] [--db-name D]\n");
  std::exit(2);
}

int number(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    const int parsed = std::stoi(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
    return parsed;
  } catch (const std::exception&) {
    usage(flag + " needs an integer, got '" + value + "'");
  }
}

Options parse(int argc, char** argv) {
  Options o;
  o.db.host = env_or("BOURSE_DB_HOST", "127.0.0.1");
  o.db.port = number("BOURSE_DB_PORT", env_or("BOURSE_DB_PORT", "3306"));
  o.db.user = env_or("BOURSE_DB_USER", "bourse");
  o.db.password = env_or("BOURSE_DB_PASSWORD", "");
  o.db.database = env_or("BOURSE_DB_NAME", "bourse");
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string value = argv[i + 1];
    if (flag == "--host") o.host = value;
    else if (flag == "--port") o.port = number(flag, value);
    else if (flag == "--rate") o.rate = number(flag, value);
    else if (flag == "--seconds") o.seconds = number(flag, value);
    else if (flag == "--users") o.users = number(flag, value);
    else if (flag == "--connections") o.connections = number(flag, value);
    else if (flag == "--symbol") o.symbol = value;
    else if (flag == "--price") o.price = value;
    else if (flag == "--settle-timeout") o.settle_timeout_s = number(flag, value);
    else if (flag == "--burst") o.burst = number(flag, value);
    else if (flag == "--db-host") o.db.host = value;
    else if (flag == "--db-port") o.db.port = number(flag, value);
    else if (flag == "--db-user") o.db.user = value;
    else if (flag == "--db-name") o.db.database = value;
    else usage("unknown flag " + flag);
  }
  if (o.port <= 0 || o.port > 65535) usage("--port is required");
  if (o.rate < 2 || o.rate > 100'000) usage("--rate must be 2..100000");
  if (o.seconds < 1 || o.seconds > 3'600) usage("--seconds must be 1..3600");
  if (o.users < 1 || o.users > 100'000) usage("--users must be 1..100000");
  if (o.connections < 1 || o.connections > 1'024) usage("--connections must be 1..1024");
  if (o.settle_timeout_s < 1) usage("--settle-timeout must be >= 1");
  if (o.burst < 0 || o.burst > 10'000'000) usage("--burst must be 0..10000000");
  return o;
}

double percentile_ms(std::vector<double>& values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::string run = "lat" + std::to_string(::time(nullptr) % 100000) + "-";
  const auto port = static_cast<std::uint16_t>(options.port);

  // 1. Accounts.
  {
    bourse::testing::HttpClient client(options.host, port);
    for (int u = 0; u < options.users; ++u) {
      const auto buyer = client.post("/v1/accounts", R"({"user_id":")" + run + "b" + std::to_string(u) +
                                                         R"(","cash":"100000000"})");
      const auto seller = client.post(
          "/v1/accounts", R"({"user_id":")" + run + "s" + std::to_string(u) +
                              R"(","cash":"0","positions":{")" + options.symbol + R"(":1000000}})");
      if (buyer.status != 201 || seller.status != 201) {
        std::fprintf(stderr, "latency_bench: cannot open accounts (%d, %d): %s\n", buyer.status,
                     seller.status, seller.body.c_str());
        return 1;
      }
    }
  }

  // Warm-up (untimed): a few crossing pairs, settled end to end, so that every consumer
  // group has its partitions and every producer its connection before the clock starts.
  try {
    bourse::testing::HttpClient client(options.host, port);
    for (const char* side : {"b", "s"}) {
      const std::string user = run + "w" + side;
      const std::string body =
          std::string(R"({"user_id":")") + user + R"(","cash":"100000000","positions":{")" +
          options.symbol + R"(":1000}})";
      if (client.post("/v1/accounts", body).status != 201) throw std::runtime_error("warm-up account");
    }
    constexpr int kWarmupPairs = 20;
    for (int i = 0; i < kWarmupPairs; ++i) {
      for (const char* side : {"SELL", "BUY"}) {
        const std::string user = run + "w" + (side[0] == 'S' ? "s" : "b");
        const std::string body = R"({"user_id":")" + user + R"(","symbol":")" + options.symbol +
                                 R"(","side":")" + side + R"(","type":"LIMIT","quantity":1,"price":")" +
                                 options.price + R"("})";
        if (client.post("/v1/orders", body).status != 202) throw std::runtime_error("warm-up order");
      }
    }
    soci::session db(soci::mysql, options.db.connection_string());
    const std::string warm = run + "wb";
    long long settled_warmup = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (settled_warmup < kWarmupPairs && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      db << "SELECT COUNT(*) FROM trades WHERE buyer = :b AND settled_at IS NOT NULL",
          soci::use(warm), soci::into(settled_warmup);
    }
    if (settled_warmup < kWarmupPairs) throw std::runtime_error("warm-up trades did not settle in 120 s");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "latency_bench: warm-up failed: %s\n", error.what());
    return 1;
  }

  // 2. Paced orders.
  const bool burst = options.burst > 0;
  const long long total =
      burst ? options.burst / 2 * 2 : static_cast<long long>(options.rate) * options.seconds / 2 * 2;
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / options.rate);
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(200);
  std::atomic<long long> failures{0};
  std::vector<std::vector<double>> accept_ms(static_cast<std::size_t>(options.connections));
  std::vector<std::thread> senders;
  for (int c = 0; c < options.connections; ++c) {
    senders.emplace_back([&, c] {
      std::optional<bourse::testing::HttpClient> client;
      client.emplace(options.host, port);
      for (long long i = c; i < total; i += options.connections) {
        // Burst: no schedule, latency from the send.
        const Clock::time_point due =
            burst ? Clock::now() : Clock::time_point(start + i * interval);
        if (!burst) std::this_thread::sleep_until(due);
        const bool sell = i % 2 == 0;
        const std::string user = run + (sell ? "s" : "b") + std::to_string((i / 2) % options.users);
        const std::string body = R"({"user_id":")" + user + R"(","symbol":")" + options.symbol +
                                 R"(","side":")" + (sell ? "SELL" : "BUY") +
                                 R"(","type":"LIMIT","quantity":1,"price":")" + options.price + R"("})";
        int status = 0;
        try {
          status = client->post("/v1/orders", body).status;
        } catch (const std::exception&) {
          client.emplace(options.host, port);  // counted as a failure; reconnect
        }
        accept_ms[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - due).count());
        if (status != 202) ++failures;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  // 3. Settled trades, then latencies from the database.
  const long long expected_trades = total / 2;
  std::vector<double> trade_ms, settled_ms;
  long long settled = 0;
  double quiet_after_s = 0.0;
  double rows_per_order = 0.0, rows_per_trade = 0.0;
  try {
    soci::session db(soci::mysql, options.db.connection_string());
    const std::string like = run + "b%";  // the paced buyers (not the warm-up's)
    const Clock::time_point sent = Clock::now();
    const auto deadline = sent + std::chrono::seconds(options.settle_timeout_s);
    while (Clock::now() < deadline) {
      db << "SELECT COUNT(*) FROM trades WHERE buyer LIKE :p AND settled_at IS NOT NULL",
          soci::use(like), soci::into(settled);
      if (settled >= expected_trades) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    quiet_after_s = std::chrono::duration<double>(Clock::now() - sent).count();
    soci::rowset<soci::row> rows =
        (db.prepare << "SELECT TIMESTAMPDIFF(MICROSECOND, GREATEST(b.created_at, s.created_at), "
                       "t.executed_at), TIMESTAMPDIFF(MICROSECOND, GREATEST(b.created_at, "
                       "s.created_at), t.settled_at) FROM trades t JOIN orders b ON b.order_id = "
                       "t.buy_order_id JOIN orders s ON s.order_id = t.sell_order_id WHERE t.buyer "
                       "LIKE :p AND t.settled_at IS NOT NULL",
         soci::use(like));
    for (const auto& row : rows) {
      trade_ms.push_back(static_cast<double>(row.get<long long>(0)) / 1000.0);
      settled_ms.push_back(static_cast<double>(row.get<long long>(1)) / 1000.0);
    }
    if (burst) {
      // When each stage finished the burst, from the first order's commit (server clocks).
      long long front = 0, matched = 0, settled_all = 0, final_status = 0;
      db << "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(o.created_at), MAX(o.created_at)), "
            "TIMESTAMPDIFF(MICROSECOND, MIN(o.created_at), MAX(t.executed_at)), "
            "TIMESTAMPDIFF(MICROSECOND, MIN(o.created_at), MAX(t.settled_at)), "
            "TIMESTAMPDIFF(MICROSECOND, MIN(o.created_at), MAX(o.updated_at)) FROM orders o "
            "JOIN trades t ON t.buy_order_id = o.order_id OR t.sell_order_id = o.order_id "
            "WHERE t.buyer LIKE :p",
          soci::use(like), soci::into(front), soci::into(matched), soci::into(settled_all),
          soci::into(final_status);
      const auto rate = [&](long long micros) {
        return micros > 0 ? static_cast<double>(total) * 1e6 / static_cast<double>(micros) : 0.0;
      };
      std::printf("burst of %lld orders (%lld trades), each stage done after (s) and its rate "
                  "(orders/s):\n",
                  total, expected_trades);
      std::printf("  order entry (last commit)   %7.2f s  %8.0f/s\n", front / 1e6, rate(front));
      std::printf("  matching (last trade)       %7.2f s  %8.0f/s\n", matched / 1e6, rate(matched));
      std::printf("  settlement (last settled)   %7.2f s  %8.0f/s\n", settled_all / 1e6,
                  rate(settled_all));
      std::printf("  order status (last update)  %7.2f s  %8.0f/s\n", final_status / 1e6,
                  rate(final_status));
      std::printf("{\"bench\":\"stages\", \"orders\":%lld, \"entry_per_s\":%.0f, "
                  "\"matching_per_s\":%.0f, \"settlement_per_s\":%.0f, \"status_per_s\":%.0f}\n",
                  total, rate(front), rate(matched), rate(settled_all), rate(final_status));
    }
    // Rows each table holds now. The run's database is fresh and nothing is pruned
    // within a run (outbox retention is hours), so these are the rows the whole flow
    // inserted (warm-up and accounts included); updates in place are not counted.
    std::vector<std::string> tables;
    soci::rowset<std::string> names =
        (db.prepare << "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                       "DATABASE() AND table_name <> 'schema_migrations' ORDER BY table_name");
    for (const std::string& name : names) tables.push_back(name);
    long long all_orders = 0, all_trades = 0, all_rows = 0;
    db << "SELECT COUNT(*) FROM orders", soci::into(all_orders);
    db << "SELECT COUNT(*) FROM trades", soci::into(all_trades);
    std::printf("rows inserted by the flow (%lld orders, %lld trades in the database):\n",
                all_orders, all_trades);
    for (const std::string& table : tables) {
      long long rows = 0;
      db << "SELECT COUNT(*) FROM `" + table + "`", soci::into(rows);
      if (rows == 0) continue;
      all_rows += rows;
      std::printf("  %-28s %8lld  %.2f / order\n", table.c_str(), rows,
                  all_orders > 0 ? static_cast<double>(rows) / static_cast<double>(all_orders) : 0.0);
    }
    rows_per_order = all_orders > 0 ? static_cast<double>(all_rows) / static_cast<double>(all_orders) : 0.0;
    rows_per_trade = all_trades > 0 ? static_cast<double>(all_rows) / static_cast<double>(all_trades) : 0.0;
    std::printf("  total %lld rows: %.2f per order, %.2f per trade (incl. its two orders)\n",
                all_rows, rows_per_order, rows_per_trade);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "latency_bench: database: %s\n", error.what());
    return 4;
  }

  std::vector<double> accepts;
  for (const auto& per_connection : accept_ms) accepts.insert(accepts.end(), per_connection.begin(), per_connection.end());
  const double achieved = static_cast<double>(total) / send_seconds;
  const double a50 = percentile_ms(accepts, 50), a99 = percentile_ms(accepts, 99);
  const double t50 = percentile_ms(trade_ms, 50), t99 = percentile_ms(trade_ms, 99);
  const double s50 = percentile_ms(settled_ms, 50), s99 = percentile_ms(settled_ms, 99);
  const double tmax = trade_ms.empty() ? 0 : trade_ms.back();
  const double smax = settled_ms.empty() ? 0 : settled_ms.back();
  std::printf("latency: %lld orders at %d/s target (%.0f/s achieved) over %d connections, %lld failed\n",
              total, options.rate, achieved, options.connections, failures.load());
  std::printf("  trades settled: %lld of %lld (all settled %.2f s after the last send)\n",
              settled, expected_trades, quiet_after_s);
  std::printf("  accept (202, from due time) ms: p50 %.2f  p99 %.2f\n", a50, a99);
  std::printf("  order->trade ms:   p50 %.2f  p99 %.2f  max %.2f\n", t50, t99, tmax);
  std::printf("  order->settled ms: p50 %.2f  p99 %.2f  max %.2f\n", s50, s99, smax);
  std::printf("{\"bench\":\"latency\", \"rate\":%d, \"achieved_per_s\":%.0f, \"orders\":%lld, "
              "\"failed\":%lld, \"trades\":%lld, \"settled\":%lld, \"accept_p50_ms\":%.2f, "
              "\"accept_p99_ms\":%.2f, \"trade_p50_ms\":%.2f, \"trade_p99_ms\":%.2f, "
              "\"settled_p50_ms\":%.2f, \"settled_p99_ms\":%.2f, \"rows_per_order\":%.2f, "
              "\"rows_per_trade\":%.2f}\n",
              options.rate, achieved, total, failures.load(), expected_trades, settled, a50, a99,
              t50, t99, s50, s99, rows_per_order, rows_per_trade);
  return failures.load() == 0 && settled >= expected_trades ? 0 : 1;
}
