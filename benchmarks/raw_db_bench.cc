// raw_db_bench: the database's own ceiling for rows shaped like an accepted order's,
// measured on the same server the end-to-end benchmark uses (benchmarks/e2e.sh).
//
//   raw_db_bench [--seconds 10] [--connections 4] [--orders-per-txn 128]
//   Database: BOURSE_DB_* (the tables are created as copies of the migrated `orders` and
//   `order_outbox` shapes in the database named by BOURSE_DB_NAME, then dropped).
//
// Each transaction inserts --orders-per-txn orders as ONE multi-row INSERT into a copy of
// `orders` and ONE multi-row INSERT into a copy of `order_outbox` (payload 430 bytes, the
// size of a real OrderCreated envelope), then COMMITs: with the default 128 that is a
// 256-row transaction. --connections sessions run in parallel for --seconds. No locks,
// no reservations, no reads: the raw write rate of one order row + one outbox row per
// order. Prints rows/s and orders/s and a final JSON line {"bench":"raw_db",...}.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bourse/db/db_config.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10, connections = 4, per_txn = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--seconds") seconds = value;
    else if (flag == "--connections") connections = value;
    else if (flag == "--orders-per-txn") per_txn = value;
    else {
      std::fprintf(stderr, "raw_db_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (seconds < 1 || connections < 1 || connections > 256 || per_txn < 1 || per_txn > 4'096) {
    std::fprintf(stderr, "raw_db_bench: out-of-range arguments\n");
    return 2;
  }
  bourse::db::DbConfig db;
  db.host = env_or("BOURSE_DB_HOST", "127.0.0.1");
  db.port = std::atoi(env_or("BOURSE_DB_PORT", "3306").c_str());
  db.user = env_or("BOURSE_DB_USER", "bourse");
  db.password = env_or("BOURSE_DB_PASSWORD", "");
  db.database = env_or("BOURSE_DB_NAME", "bourse");
  try {
    soci::session setup(soci::mysql, db.connection_string());
    setup << "DROP TABLE IF EXISTS raw_bench_orders, raw_bench_outbox";
    setup << "CREATE TABLE raw_bench_orders LIKE orders";
    setup << "CREATE TABLE raw_bench_outbox LIKE order_outbox";
  } catch (const std::exception& error) {
    std::fprintf(stderr, "raw_db_bench: set-up (run after the migrations): %s\n", error.what());
    return 4;
  }
  const std::string payload(430, 'x');
  std::atomic<long long> orders{0};
  std::atomic<bool> failed{false};
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      try {
        soci::session session(soci::mysql, db.connection_string());
        long long sequence = 0;
        while (Clock::now() < end) {
          std::string order_rows, outbox_rows;
          for (int i = 0; i < per_txn; ++i, ++sequence) {
            const std::string user = "u" + std::to_string((sequence * 7 + c) % 1'000);
            order_rows += (i ? "," : "") + std::string("('") + user +
                          "','AAPL','BUY','LIMIT','GTC',10,1500000,15000000,NULL,NULL,'PENDING')";
            char event_id[48];
            std::snprintf(event_id, sizeof event_id, "%08x-0000-4000-8000-%012llx", static_cast<unsigned>(c),
                          static_cast<unsigned long long>(sequence & 0xffffffffffffULL));
            // Outbox ids are dense per outbox in the server (a sequence row bumped by each
            // writer, modules/outbox/README.md "Ids and progress"); the raw ceiling takes
            // the rows alone: ids of the connection's own range, no sequence.
            const long long outbox_id = (static_cast<long long>(c) << 40) + sequence + 1;
            outbox_rows += (i ? "," : "") + std::string("(") + std::to_string(outbox_id) + ",'" +
                           event_id + "','OrderCreated','bourse.order-events','AAPL','" + payload +
                           "')";
          }
          session.begin();
          session << "INSERT INTO raw_bench_orders (user_id, symbol, side, order_type, "
                     "time_in_force, quantity, price_units, reserved_cash_units, "
                     "reserved_quantity, cash_cap_units, status) VALUES " + order_rows;
          session << "INSERT INTO raw_bench_outbox (id, event_id, event_type, topic, "
                     "message_key, payload) VALUES " + outbox_rows;
          session.commit();
          orders += per_txn;
        }
      } catch (const std::exception& error) {
        std::fprintf(stderr, "raw_db_bench: %s\n", error.what());
        failed = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  try {
    soci::session cleanup(soci::mysql, db.connection_string());
    cleanup << "DROP TABLE IF EXISTS raw_bench_orders, raw_bench_outbox";
  } catch (const std::exception&) {
  }
  if (failed) return 4;
  const double orders_per_s = static_cast<double>(orders) / elapsed;
  std::printf("raw_db: %lld orders (%d per transaction, %d rows) over %d connections in %.1f s: "
              "%.0f rows/s = %.0f orders/s\n",
              orders.load(), per_txn, 2 * per_txn, connections, elapsed, 2 * orders_per_s,
              orders_per_s);
  std::printf("{\"bench\":\"raw_db\",\"rows_per_s\":%.0f,\"orders_per_s\":%.0f,"
              "\"rows_per_txn\":%d,\"connections\":%d}\n",
              2 * orders_per_s, orders_per_s, 2 * per_txn, connections);
  return 0;
}
