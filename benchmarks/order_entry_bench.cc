// Order-entry throughput of a running bourse, end to end: how many POST /v1/orders per
// second are accepted (202) at the front door, and how many per second end up with their
// reservation recorded on the order, waiting until nothing is left behind. See
// benchmarks/README.md for the exact definitions.
//
//   order_entry_bench --port P [--host 127.0.0.1] [--connections 32] [--orders 20000]
//                     [--accounts 1000] [--label TEXT] [--drain-timeout 600]
//                     [--poll-ms 50] [--db-host H] [--db-port N] [--db-user U]
//                     [--db-name D]
//
// The database password comes from BOURSE_DB_PASSWORD; the other database settings
// default to BOURSE_DB_HOST, BOURSE_DB_PORT, BOURSE_DB_USER and BOURSE_DB_NAME (the
// database the server under test uses; it must hold only this run's orders).
// benchmarks/run_order_entry_bench starts a Release server on a fresh database, then this.
//
// 1. Untimed: opens --accounts accounts with ample cash; each connection sends one
//    warm-up order; waits until those are reserved and both outboxes have published
//    everything (so consumers are assigned and connections open before the clock starts).
// 2. Timed: each of --connections keep-alive connections sends LIMIT BUY orders of 1 AAPL,
//    one at a time (closed loop); connection c's i-th order is for account
//    (c * accounts / connections + i) % accounts, so every connection cycles over all
//    accounts and, with --accounts 1, every connection hits the same hot account.
// 3. Then polls the database every --poll-ms until every accepted order is resolved
//    (reservation recorded or REJECTED) and neither outbox has an unpublished row.
// Prints the figures and ends with one JSON line. Exit status: 0 all good, 1 some order
// failed or was rejected, 2 usage, 3 not drained within --drain-timeout, 4 database error.
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bourse/db/db_config.h"
#include "bourse/outbox/outbox_writer.h"
#include "http_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 32;
  long long orders = 20'000;
  long long accounts = 1'000;
  std::string label;
  int drain_timeout_s = 600;
  int poll_ms = 50;
  bourse::db::DbConfig db;
};

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

[[noreturn]] void usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "order_entry_bench: %s\n", problem.c_str());
  std::fprintf(stderr,
               "usage: order_entry_bench --port P [--host H] [--connections N] [--orders M]\n"
               "         [--accounts A] [--label TEXT] [--drain-timeout S] [--poll-ms MS]\n"
               "         [--db-host H] [--db-port N] [--db-user U] [--db-name D]\n"
               "       (password: BOURSE_DB_PASSWORD; db defaults: BOURSE_DB_*)\n");
  std::exit(2);
}

long long parse_number(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    long long parsed = std::stoll(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
    return parsed;
  } catch (const std::exception&) {
    usage(flag + " needs an integer, got '" + value + "'");
  }
}

Options parse(int argc, char** argv) {
  Options options;
  options.db.host = env_or("BOURSE_DB_HOST", "127.0.0.1");
  options.db.port = static_cast<int>(parse_number("BOURSE_DB_PORT", env_or("BOURSE_DB_PORT", "3306")));
  options.db.user = env_or("BOURSE_DB_USER", "bourse");
  options.db.password = env_or("BOURSE_DB_PASSWORD", "");
  options.db.database = env_or("BOURSE_DB_NAME", "bourse");
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string value = argv[i + 1];
    if (flag == "--host") options.host = value;
    else if (flag == "--port") options.port = static_cast<int>(parse_number(flag, value));
    else if (flag == "--connections") options.connections = static_cast<int>(parse_number(flag, value));
    else if (flag == "--orders") options.orders = parse_number(flag, value);
    else if (flag == "--accounts") options.accounts = parse_number(flag, value);
    else if (flag == "--label") options.label = value;
    else if (flag == "--drain-timeout") options.drain_timeout_s = static_cast<int>(parse_number(flag, value));
    else if (flag == "--poll-ms") options.poll_ms = static_cast<int>(parse_number(flag, value));
    else if (flag == "--db-host") options.db.host = value;
    else if (flag == "--db-port") options.db.port = static_cast<int>(parse_number(flag, value));
    else if (flag == "--db-user") options.db.user = value;
    else if (flag == "--db-name") options.db.database = value;
    else usage("unknown flag " + flag);
  }
  if (options.port <= 0 || options.port > 65535) usage("--port is required");
  if (options.connections < 1 || options.connections > 4'096) usage("--connections must be 1..4096");
  if (options.orders < options.connections) usage("--orders must be >= --connections");
  if (options.accounts < 1 || options.accounts > 1'000'000) usage("--accounts must be 1..1000000");
  if (options.drain_timeout_s < 1) usage("--drain-timeout must be >= 1");
  if (options.poll_ms < 1 || options.poll_ms > 10'000) usage("--poll-ms must be 1..10000");
  return options;
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

// The bench's own database session. Counts the statements it sends, so that they can be
// taken out of the server-wide Questions counter.
class Db {
 public:
  explicit Db(const bourse::db::DbConfig& config)
      : session_(soci::mysql, config.connection_string()) {}

  soci::session& session() { return session_; }
  void count_statement() { ++statements_; }
  long long statements() const { return statements_; }

  bool table_exists(const std::string& table) {
    int found = 0;
    session_ << "SELECT COUNT(*) FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = :t",
        soci::use(table), soci::into(found);
    count_statement();
    return found > 0;
  }

  bool column_exists(const std::string& table, const std::string& column) {
    int found = 0;
    session_ << "SELECT COUNT(*) FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = :t AND column_name = :c",
        soci::use(table), soci::use(column), soci::into(found);
    count_statement();
    return found > 0;
  }

  // Handler_write, Handler_update, Handler_delete, Questions (server-wide, since start).
  std::map<std::string, long long> global_status() {
    std::map<std::string, long long> values;
    soci::rowset<soci::row> rows = session_.prepare
        << "SHOW GLOBAL STATUS WHERE Variable_name IN "
           "('Handler_write', 'Handler_update', 'Handler_delete', 'Questions')";
    count_statement();
    for (const auto& row : rows) {
      values[row.get<std::string>(0)] = std::stoll(row.get<std::string>(1));
    }
    return values;
  }

 private:
  soci::session session_;
  long long statements_ = 0;
};

// What one poll sees. An order is "resolved" when its reservation is recorded
// (reserved_cash_units or reserved_quantity not NULL) or it is REJECTED.
struct DrainState {
  std::optional<long long> first_unresolved;  // smallest unresolved order_id >= the cursor
  long long unpublished_order_outbox = 0;
  long long unpublished_account_outbox = 0;
  bool done() const {
    return !first_unresolved && unpublished_order_outbox == 0 && unpublished_account_outbox == 0;
  }
};

// The subquery counting the unpublished rows of `table` in the schema of the server under
// test (run_order_entry_bench --rev measures older commits too): 0 without the table,
// `published_at IS NULL` while the relays marked each row, else the ids above the outbox's
// "published up to" id (outbox::unpublished_condition).
std::string unpublished_count_sql(Db& db, const std::string& table) {
  if (!db.table_exists(table)) return "0";
  if (db.column_exists(table, "published_at")) {
    return "(SELECT COUNT(*) FROM " + table + " WHERE published_at IS NULL)";
  }
  return "(SELECT COUNT(*) FROM " + table + " WHERE " + bourse::outbox::unpublished_condition(table) +
         ")";
}

class DrainProbe {
 public:
  explicit DrainProbe(Db& db)
      : db_(db),
        order_outbox_unpublished_(unpublished_count_sql(db, "order_outbox")),
        account_outbox_unpublished_(unpublished_count_sql(db, "account_outbox")) {}

  // One statement. Resolved orders stay resolved (nothing in this flow clears a
  // reservation or un-rejects an order), so the cursor only moves forward and each poll
  // scans only from the first order that was still unresolved last time.
  DrainState poll() {
    DrainState state;
    long long first = 0;
    soci::indicator first_indicator = soci::i_null;
    const std::string sql =
        "SELECT (SELECT order_id FROM orders WHERE order_id >= :cursor AND status <> 'REJECTED' "
        "AND reserved_cash_units IS NULL AND reserved_quantity IS NULL "
        "ORDER BY order_id LIMIT 1), " +
        order_outbox_unpublished_ + ", " + account_outbox_unpublished_;
    db_.session() << sql, soci::use(cursor_), soci::into(first, first_indicator),
        soci::into(state.unpublished_order_outbox), soci::into(state.unpublished_account_outbox);
    db_.count_statement();
    if (first_indicator == soci::i_ok) {
      state.first_unresolved = first;
      cursor_ = first;
    }
    return state;
  }

  void start_after(long long order_id) { cursor_ = std::max(cursor_, order_id + 1); }

 private:
  Db& db_;
  const std::string order_outbox_unpublished_;    // unpublished_count_sql()
  const std::string account_outbox_unpublished_;
  long long cursor_ = 0;
};

struct FinalCounts {
  long long orders = 0;
  long long reserved = 0;
  long long rejected = 0;
  long long unresolved = 0;
  long long min_id = 0;
  long long max_id = 0;
};

// Counts the orders with an id above `after` (the warm-up orders are not counted).
FinalCounts final_counts(Db& db, long long after) {
  FinalCounts counts;
  soci::indicator min_indicator = soci::i_null, max_indicator = soci::i_null;
  soci::indicator sums[3] = {soci::i_null, soci::i_null, soci::i_null};
  db.session() << "SELECT COUNT(*), "
                  "SUM(reserved_cash_units IS NOT NULL OR reserved_quantity IS NOT NULL), "
                  "SUM(status = 'REJECTED'), "
                  "SUM(status <> 'REJECTED' AND reserved_cash_units IS NULL AND "
                  "reserved_quantity IS NULL), MIN(order_id), MAX(order_id) FROM orders "
                  "WHERE order_id > :after",
      soci::use(after), soci::into(counts.orders), soci::into(counts.reserved, sums[0]),
      soci::into(counts.rejected, sums[1]), soci::into(counts.unresolved, sums[2]),
      soci::into(counts.min_id, min_indicator), soci::into(counts.max_id, max_indicator);
  db.count_statement();
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const long long run_id = Clock::now().time_since_epoch().count() % 1'000'000'000;
  const int C = options.connections;
  const long long N = options.accounts;

  // Orders per connection: the first (orders % C) connections send one more.
  std::vector<long long> per_connection(C, options.orders / C);
  for (long long c = 0; c < options.orders % C; ++c) ++per_connection[c];
  // Ample cash: at most C * (ceil(per_connection / N) + 1 warm-up) orders land on one
  // account, each reserving < 150.00; twice that plus a margin.
  const long long most_per_account = C * ((per_connection[0] + N - 1) / N + 1);
  const long long cash = 1'000'000 + 300 * most_per_account;
  auto account_name = [&](long long k) {
    return "b" + std::to_string(run_id) + "a" + std::to_string(k);
  };

  std::unique_ptr<Db> db;
  try {
    db = std::make_unique<Db>(options.db);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot connect to the database %s on %s:%d: %s\n",
                 options.db.database.c_str(), options.db.host.c_str(), options.db.port, e.what());
    return 4;
  }

  std::vector<std::vector<std::int64_t>> latencies(C);
  std::vector<std::map<int, long long>> statuses(C);  // HTTP status -> count; 0 = transport error
  std::atomic<long long> accepted{0};
  std::atomic<long long> failed{0};
  std::latch all_opened(C);
  std::atomic<int> ready{0};
  std::atomic<bool> setup_failed{false};
  std::atomic<bool> go{false};
  auto release = [&go] {
    go = true;
    go.notify_all();
  };
  std::mutex error_mutex;
  std::string first_error;
  auto note_error = [&](const std::string& what) {
    std::lock_guard lock(error_mutex);
    if (first_error.empty()) first_error = what;
  };

  std::vector<std::thread> threads;
  threads.reserve(C);
  for (int c = 0; c < C; ++c) {
    threads.emplace_back([&, c] {
      bourse::testing::HttpClient client(options.host, static_cast<std::uint16_t>(options.port),
                                         std::chrono::seconds(30));
      // Untimed: this connection opens accounts c, c + C, c + 2C, ...
      try {
        for (long long k = c; k < N; k += C) {
          auto opened = client.post("/v1/accounts", R"({"user_id":")" + account_name(k) +
                                                        R"(","cash":")" + std::to_string(cash) + R"("})");
          if (opened.status != 201) {
            note_error("cannot open account: " + std::to_string(opened.status) + " " + opened.body);
            setup_failed = true;
            break;
          }
        }
      } catch (const std::exception& e) {
        note_error(std::string("cannot open account: ") + e.what());
        setup_failed = true;
      }
      latencies[c].reserve(per_connection[c]);
      // Every account exists before any order is sent.
      all_opened.arrive_and_wait();
      // Untimed warm-up order, so that the whole pipeline has run once.
      if (!setup_failed.load()) {
        try {
          auto warm = client.post("/v1/orders", R"({"user_id":")" + account_name(static_cast<long long>(c) * N / C) +
                                                    R"(","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":1,"price":"145.00"})");
          if (warm.status != 202) {
            note_error("warm-up order: " + std::to_string(warm.status) + " " + warm.body);
            setup_failed = true;
          }
        } catch (const std::exception& e) {
          note_error(std::string("warm-up order: ") + e.what());
          setup_failed = true;
        }
      }
      ++ready;
      go.wait(false);  // blocks without spinning (hundreds of idle threads on 2 cores)
      if (setup_failed.load()) return;
      const long long offset = static_cast<long long>(c) * N / C;
      for (long long i = 0; i < per_connection[c]; ++i) {
        const std::string user = account_name((offset + i) % N);
        // Prices 140.00 .. 149.99: inside AAPL's band, spread so the book has depth.
        const long long cents = 14'000 + (i * 37 + c * 11) % 1'000;
        const std::string body = R"({"user_id":")" + user +
                                 R"(","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":1,"price":")" +
                                 std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
                                 std::to_string(cents % 100) + R"("})";
        const auto start = Clock::now();
        int status = 0;
        try {
          auto response = client.post("/v1/orders", body);
          status = response.status;
          if (status != 202) note_error("POST /v1/orders: " + std::to_string(status) + " " + response.body);
        } catch (const std::exception& e) {
          note_error(std::string("POST /v1/orders: ") + e.what());
        }
        const auto elapsed = Clock::now() - start;
        ++statuses[c][status];
        if (status == 202) {
          ++accepted;
          latencies[c].push_back(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
        } else {
          ++failed;
        }
      }
    });
  }
  while (ready.load() < C) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (setup_failed.load()) {
    release();
    for (auto& thread : threads) thread.join();
    std::fprintf(stderr, "%s\n", first_error.c_str());
    return 1;
  }

  std::map<std::string, long long> status_before;
  std::optional<DrainProbe> probe;
  long long warmup_max_id = 0;
  try {
    probe.emplace(*db);
    // Start clean: the warm-up orders reserved, every outbox row published.
    const auto quiet_deadline = Clock::now() + std::chrono::seconds(120);
    for (DrainState state = probe->poll(); !state.done(); state = probe->poll()) {
      if (Clock::now() > quiet_deadline) {
        std::fprintf(stderr,
                     "the warm-up did not drain within 120 s (first unresolved order %lld, "
                     "unpublished order_outbox %lld, account_outbox %lld)\n",
                     state.first_unresolved.value_or(-1), state.unpublished_order_outbox,
                     state.unpublished_account_outbox);
        release();
        setup_failed = true;
        for (auto& thread : threads) thread.join();
        return 3;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
    }
    soci::indicator max_indicator = soci::i_null;
    db->session() << "SELECT MAX(order_id) FROM orders", soci::into(warmup_max_id, max_indicator);
    if (max_indicator != soci::i_ok) warmup_max_id = 0;
    probe->start_after(warmup_max_id);
    status_before = db->global_status();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "database error before the timed part: %s\n", e.what());
    release();
    setup_failed = true;
    for (auto& thread : threads) thread.join();
    return 4;
  }
  const long long statements_before = db->statements();

  const auto started = Clock::now();
  release();
  for (auto& thread : threads) thread.join();
  const auto sent = Clock::now();
  const double send_seconds = seconds_between(started, sent);

  std::vector<std::int64_t> all;
  for (auto& per : latencies) all.insert(all.end(), per.begin(), per.end());
  std::sort(all.begin(), all.end());
  std::map<int, long long> status_counts;
  for (const auto& per : statuses)
    for (const auto& [status, count] : per) status_counts[status] += count;
  const double accept_per_s = static_cast<double>(accepted.load()) / send_seconds;

  std::printf("order entry%s%s: %d connections, %lld accounts, %lld orders sent in %.2f s\n",
              options.label.empty() ? "" : " ", options.label.c_str(), C, N, options.orders, send_seconds);
  std::printf("  accepted (202): %lld, failed: %lld", accepted.load(), failed.load());
  for (const auto& [status, count] : status_counts) {
    if (status != 202) std::printf("  [%s: %lld]", status == 0 ? "transport error" : std::to_string(status).c_str(), count);
  }
  std::printf("\n");
  if (!first_error.empty()) std::printf("  first error: %s\n", first_error.c_str());
  std::printf("  front door: %.0f accepted/s; latency us p50 %lld p99 %lld p99.9 %lld max %lld\n",
              accept_per_s, static_cast<long long>(percentile(all, 0.50)),
              static_cast<long long>(percentile(all, 0.99)), static_cast<long long>(percentile(all, 0.999)),
              static_cast<long long>(all.empty() ? 0 : all.back()));
  std::fflush(stdout);

  // Drain: poll until every order is resolved and both outboxes are empty.
  std::map<std::string, long long> status_after;
  Clock::time_point drained{};
  DrainState state;
  try {
    const auto deadline = sent + std::chrono::seconds(options.drain_timeout_s);
    auto next_report = sent + std::chrono::seconds(5);
    for (;;) {
      state = probe->poll();
      const auto now = Clock::now();
      if (state.done()) {
        drained = now;
        status_after = db->global_status();
        break;
      }
      if (now > deadline) {
        std::fprintf(stderr,
                     "NOT DRAINED after %d s: first unresolved order %lld, unpublished order_outbox "
                     "%lld, account_outbox %lld\n",
                     options.drain_timeout_s, state.first_unresolved.value_or(-1),
                     state.unpublished_order_outbox, state.unpublished_account_outbox);
        return 3;
      }
      if (now >= next_report) {
        std::printf("  draining %.0f s: first unresolved order id %lld, unpublished order_outbox %lld, "
                    "account_outbox %lld\n",
                    seconds_between(started, now), state.first_unresolved.value_or(-1),
                    state.unpublished_order_outbox, state.unpublished_account_outbox);
        std::fflush(stdout);
        next_report = now + std::chrono::seconds(5);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "database error while draining: %s\n", e.what());
    return 4;
  }
  // Statements this bench sent between the two snapshots, the second one included (the
  // server counts a statement in Questions before it runs it).
  const long long own_statements = db->statements() - statements_before;

  FinalCounts counts;
  try {
    counts = final_counts(*db, warmup_max_id);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "database error counting orders: %s\n", e.what());
    return 4;
  }
  const double drain_seconds = seconds_between(started, drained);
  const double reserved_per_s = static_cast<double>(counts.reserved) / drain_seconds;
  const double per_order = accepted.load() > 0 ? 1.0 / static_cast<double>(accepted.load()) : 0.0;
  auto delta = [&](const char* name) {
    return static_cast<double>(status_after[name] - status_before[name]);
  };
  const double write_per_order = delta("Handler_write") * per_order;
  const double update_per_order = delta("Handler_update") * per_order;
  const double delete_per_order = delta("Handler_delete") * per_order;
  const double questions_per_order = (delta("Questions") - static_cast<double>(own_statements)) * per_order;

  std::printf("  reserved: %lld, rejected: %lld (orders in the database after the %d warm-up "
              "ones: %lld)\n",
              counts.reserved, counts.rejected, C, counts.orders);
  std::printf("  all reserved and both outboxes empty %.2f s after the start (%.2f s after the last "
              "202; poll every %d ms)\n",
              drain_seconds, seconds_between(sent, drained), options.poll_ms);
  std::printf("  reserved/s: %.0f (front door %.0f/s)\n", reserved_per_s, accept_per_s);
  std::printf("  per accepted order (server-wide): Handler_write %.2f, Handler_update %.2f, "
              "Handler_delete %.2f, Questions %.2f (%lld bench statements taken out)\n",
              write_per_order, update_per_order, delete_per_order, questions_per_order, own_statements);

  bool consistent = true;
  if (counts.orders != accepted.load()) {
    std::printf("  WARNING: %lld orders in the database but %lld accepted\n", counts.orders, accepted.load());
    consistent = false;
  }
  std::printf(
      "{\"bench\":\"order_entry\", \"build\":\"%s\", \"connections\":%d, \"accounts\":%lld, "
      "\"orders\":%lld, \"accepted\":%lld, \"failed\":%lld, \"rejected\":%lld, \"reserved\":%lld, "
      "\"send_seconds\":%.3f, \"accept_per_s\":%.0f, \"drain_seconds\":%.3f, "
      "\"after_last_202_seconds\":%.3f, \"reserved_per_s\":%.0f, \"p50_us\":%lld, \"p99_us\":%lld, "
      "\"p999_us\":%lld, \"max_us\":%lld, \"handler_write_per_order\":%.2f, "
      "\"handler_update_per_order\":%.2f, \"handler_delete_per_order\":%.2f, "
      "\"questions_per_order\":%.2f, \"bench_statements\":%lld, \"poll_ms\":%d}\n",
      json_escape(options.label).c_str(), C, N, options.orders, accepted.load(), failed.load(),
      counts.rejected, counts.reserved, send_seconds, accept_per_s, drain_seconds,
      seconds_between(sent, drained), reserved_per_s, static_cast<long long>(percentile(all, 0.50)),
      static_cast<long long>(percentile(all, 0.99)), static_cast<long long>(percentile(all, 0.999)),
      static_cast<long long>(all.empty() ? 0 : all.back()), write_per_order, update_per_order,
      delete_per_order, questions_per_order, own_statements, options.poll_ms);
  return failed.load() == 0 && counts.rejected == 0 && consistent ? 0 : 1;
}
