// parse_cost_bench: what MariaDB spends parsing the statements the project sends. SOCI's
// MySQL backend sends every statement as text with its values inlined, so the server
// lexes and parses each multi-row INSERT whole, every time; the MariaDB C API's binary
// protocol (a statement prepared once per connection, then executed with bound values)
// skips that. This bench measures the server's CPU per row for the same multi-row INSERT
// both ways, on the stack's own server, to say what switching the hot statements would
// save (docs/PERFORMANCE.md, "3 Dec, 05:30-06:30"), and what it would cost in round trips.
//
//   parse_cost_bench --server-pid P [--rounds 3] [--transactions 300] [--rows 32]
//   Database: the stack's (BOURSE_DB_*, e.g. `source .stack/env`): a scratch database
//   with the project's migrations, dropped at the end; rows go into its `orders` table.
//
// Each transaction is BEGIN, 10 INSERTs of --rows orders each, COMMIT, on one connection,
// sent four ways, alternating in each round:
//   text       one round trip per statement, values inlined (12 round trips);
//   one_trip   the same text in ONE multi-statement packet, as the project sends a
//              transaction's writes (db::execute_statements): 1 round trip;
//   prepared   the multi-row INSERT prepared once, each execution its own round trip (12);
//   bulk       a ONE-row INSERT prepared once, each execution sending --rows rows as
//              arrays of values per column (MariaDB's array binding, COM_STMT_BULK_EXECUTE;
//              one statement for any row count, where `prepared` needs one per count): 12.
// The server's CPU is read from /proc/P/stat (utime + stime of mariadbd) around each run,
// the client's (this process) likewise: the stack's server must serve nothing else
// meanwhile. Prints each run, the medians, and a final JSON line
// {"bench":"parse_cost","rows_per_statement":..,"text_server_us_per_row":..,
//  "one_trip_server_us_per_row":..,"prepared_server_us_per_row":..,"bulk_server_us_per_row":..,
//  "prepared_over_text":..,"bulk_over_text":..,"one_trip_total_us_per_row":..,
//  "prepared_total_us_per_row":..,"bulk_total_us_per_row":..} (total = server + client).
#include <mysql.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bench_flags.h"
#include "loadgen/cpu_usage.h"
#include "test_database.h"

namespace {

using bourse::bench::median;

constexpr int kColumns = 13;
constexpr int kStatementsPerTransaction = 10;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "parse_cost_bench: %s\n", what.c_str());
  std::exit(1);
}

void query(MYSQL* connection, const std::string& sql) {
  if (mysql_real_query(connection, sql.data(), sql.size()) != 0) die(mysql_error(connection));
}

// Sends `sql` (several statements) in one packet and reads every result.
void query_all(MYSQL* connection, const std::string& sql) {
  query(connection, sql);
  for (;;) {
    if (MYSQL_RES* result = mysql_store_result(connection)) mysql_free_result(result);
    const int next = mysql_next_result(connection);
    if (next > 0) die(mysql_error(connection));
    if (next < 0) return;
  }
}

enum class Mode { kText, kOneTrip, kPrepared, kBulk };
constexpr Mode kModes[] = {Mode::kText, Mode::kOneTrip, Mode::kPrepared, Mode::kBulk};
constexpr int kModeCount = 4;
const char* name(Mode mode) {
  switch (mode) {
    case Mode::kText: return "text";
    case Mode::kOneTrip: return "one_trip";
    case Mode::kPrepared: return "prepared";
    case Mode::kBulk: return "bulk";
  }
  return "?";
}

const std::string kInsert =
    "INSERT INTO orders (order_id, user_id, symbol, side, order_type,"
    " time_in_force, quantity, price_units, status, filled_quantity, filled_notional_units,"
    " reserved_cash_units, reserved_quantity) VALUES ";

// One order row's values, as an order group writes them (a resting limit buy).
struct Row {
  long long order_id;
  std::string user;
};

// The text form: values inlined, as SOCI sends them.
std::string text_insert(const std::vector<Row>& rows) {
  std::string sql = kInsert;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    sql += i == 0 ? "(" : ",(";
    sql += std::to_string(rows[i].order_id) + ",'" + rows[i].user +
           "','AAPL','BUY','LIMIT','GTC',10,1500000,'OPEN',0,0,15000000,NULL)";
  }
  return sql;
}

// The columns every row shares (a resting limit buy): text (kText) or numbers (kNumbers);
// column 0 is the order id, column 1 the user, the last reserved_quantity (NULL).
const char* const kText[kColumns] = {nullptr, nullptr, "AAPL",  "BUY",   "LIMIT",
                                     "GTC",   nullptr, nullptr, "OPEN",  nullptr,
                                     nullptr, nullptr, nullptr};
const long long kNumbers[kColumns] = {0, 0, 0, 0, 0, 0, 10, 1500000, 0, 0, 0, 15000000, 0};

MYSQL_STMT* prepare(MYSQL* connection, const std::string& sql) {
  MYSQL_STMT* statement = mysql_stmt_init(connection);
  if (statement == nullptr || mysql_stmt_prepare(statement, sql.data(), sql.size()) != 0) {
    die(statement ? mysql_stmt_error(statement) : "mysql_stmt_init");
  }
  return statement;
}

// The prepared form: the same statement with placeholders, bound per execution.
class PreparedInsert {
 public:
  PreparedInsert(MYSQL* connection, int rows) : binds_(rows * kColumns), ints_(rows * kColumns),
                                                lengths_(rows * kColumns), users_(rows) {
    std::string sql = kInsert;
    for (int r = 0; r < rows; ++r) {
      sql += r == 0 ? "(" : ",(";
      for (int c = 0; c < kColumns; ++c) sql += c == 0 ? "?" : ",?";
      sql += ")";
    }
    statement_ = prepare(connection, sql);
  }
  ~PreparedInsert() { mysql_stmt_close(statement_); }
  PreparedInsert(const PreparedInsert&) = delete;
  PreparedInsert& operator=(const PreparedInsert&) = delete;

  void execute(const std::vector<Row>& rows) {
    std::memset(binds_.data(), 0, binds_.size() * sizeof(MYSQL_BIND));
    for (std::size_t r = 0; r < rows.size(); ++r) {
      users_[r] = rows[r].user;
      for (int c = 0; c < kColumns; ++c) {
        const std::size_t i = r * kColumns + c;
        MYSQL_BIND& bind = binds_[i];
        if (c == 1 || kText[c] != nullptr) {
          const char* text = c == 1 ? users_[r].c_str() : kText[c];
          lengths_[i] = std::strlen(text);
          bind.buffer_type = MYSQL_TYPE_STRING;
          bind.buffer = const_cast<char*>(text);
          bind.length = &lengths_[i];
        } else if (c == kColumns - 1) {
          bind.buffer_type = MYSQL_TYPE_NULL;  // reserved_quantity: NULL for a buy
        } else {
          ints_[i] = c == 0 ? rows[r].order_id : kNumbers[c];
          bind.buffer_type = MYSQL_TYPE_LONGLONG;
          bind.buffer = &ints_[i];
        }
      }
    }
    if (mysql_stmt_bind_param(statement_, binds_.data()) != 0 ||
        mysql_stmt_execute(statement_) != 0) {
      die(mysql_stmt_error(statement_));
    }
  }

 private:
  MYSQL_STMT* statement_ = nullptr;
  std::vector<MYSQL_BIND> binds_;
  std::vector<long long> ints_;
  std::vector<unsigned long> lengths_;
  std::vector<std::string> users_;
};

// The array-binding form: a one-row INSERT prepared once; each execution binds, per
// column, an array of --rows values (numbers), or of pointers and lengths (strings), and
// NULLs through an indicator array.
class BulkInsert {
 public:
  BulkInsert(MYSQL* connection, int rows)
      : rows_(rows), binds_(kColumns), ints_(kColumns, std::vector<long long>(rows)),
        pointers_(kColumns, std::vector<const char*>(rows)),
        lengths_(kColumns, std::vector<unsigned long>(rows)), users_(rows),
        nulls_(rows, STMT_INDICATOR_NULL) {
    std::string sql = kInsert + "(?";
    for (int c = 1; c < kColumns; ++c) sql += ",?";
    sql += ")";
    statement_ = prepare(connection, sql);
    unsigned int array_size = static_cast<unsigned int>(rows);
    if (mysql_stmt_attr_set(statement_, STMT_ATTR_ARRAY_SIZE, &array_size) != 0) {
      die(mysql_stmt_error(statement_));
    }
  }
  ~BulkInsert() { mysql_stmt_close(statement_); }
  BulkInsert(const BulkInsert&) = delete;
  BulkInsert& operator=(const BulkInsert&) = delete;

  // REQUIRES: rows.size() is the row count given at construction.
  void execute(const std::vector<Row>& rows) {
    if (rows.size() != static_cast<std::size_t>(rows_)) die("bulk: wrong row count");
    std::memset(binds_.data(), 0, binds_.size() * sizeof(MYSQL_BIND));
    for (int c = 0; c < kColumns; ++c) {
      MYSQL_BIND& bind = binds_[c];
      if (c == 1 || kText[c] != nullptr) {
        for (int r = 0; r < rows_; ++r) {
          if (c == 1) users_[r] = rows[r].user;
          pointers_[c][r] = c == 1 ? users_[r].c_str() : kText[c];
          lengths_[c][r] = std::strlen(pointers_[c][r]);
        }
        bind.buffer_type = MYSQL_TYPE_STRING;
        bind.buffer = pointers_[c].data();
        bind.length = lengths_[c].data();
      } else if (c == kColumns - 1) {
        bind.buffer_type = MYSQL_TYPE_NULL;  // reserved_quantity: NULL for a buy
        bind.u.indicator = nulls_.data();
      } else {
        for (int r = 0; r < rows_; ++r) ints_[c][r] = c == 0 ? rows[r].order_id : kNumbers[c];
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = ints_[c].data();
      }
    }
    if (mysql_stmt_bind_param(statement_, binds_.data()) != 0 ||
        mysql_stmt_execute(statement_) != 0) {
      die(mysql_stmt_error(statement_));
    }
    if (mysql_stmt_affected_rows(statement_) != static_cast<my_ulonglong>(rows_)) {
      die("bulk: not every row was inserted");
    }
  }

 private:
  int rows_;
  MYSQL_STMT* statement_ = nullptr;
  std::vector<MYSQL_BIND> binds_;                 // one per column
  std::vector<std::vector<long long>> ints_;      // [column][row]
  std::vector<std::vector<const char*>> pointers_;
  std::vector<std::vector<unsigned long>> lengths_;
  std::vector<std::string> users_;
  std::vector<char> nulls_;  // STMT_INDICATOR_NULL per row
};

struct RunResult {
  double server_us_per_row;
  double client_us_per_row;
  double wall_us_per_row;
};

RunResult run(MYSQL* connection, Mode mode, int pid, int transactions, int rows_per_statement,
              long long& next_id) {
  std::unique_ptr<PreparedInsert> insert;
  std::unique_ptr<BulkInsert> bulk;
  if (mode == Mode::kPrepared) {
    insert = std::make_unique<PreparedInsert>(connection, rows_per_statement);
  }
  if (mode == Mode::kBulk) bulk = std::make_unique<BulkInsert>(connection, rows_per_statement);
  std::vector<Row> rows(rows_per_statement);
  const auto next_rows = [&] {
    for (Row& row : rows) {
      row.order_id = next_id++;
      row.user = "user" + std::to_string(row.order_id % 1000);
    }
  };
  const double server_before = bourse::bench::cpu_seconds(pid).value_or(-1);
  const double client_before = bourse::bench::cpu_seconds(::getpid()).value_or(-1);
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < transactions; ++t) {
    if (mode == Mode::kOneTrip) {
      std::string packet = "BEGIN";
      for (int s = 0; s < kStatementsPerTransaction; ++s) {
        next_rows();
        packet += ";" + text_insert(rows);
      }
      query_all(connection, packet + ";COMMIT");
      continue;
    }
    query(connection, "BEGIN");
    for (int s = 0; s < kStatementsPerTransaction; ++s) {
      next_rows();
      if (insert != nullptr) {
        insert->execute(rows);
      } else if (bulk != nullptr) {
        bulk->execute(rows);
      } else {
        query(connection, text_insert(rows));
      }
    }
    query(connection, "COMMIT");
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double server_after = bourse::bench::cpu_seconds(pid).value_or(-1);
  const double client_after = bourse::bench::cpu_seconds(::getpid()).value_or(-1);
  if (server_before < 0 || server_after < 0) die("cannot read /proc/<server-pid>/stat");
  const double total_rows =
      static_cast<double>(transactions) * kStatementsPerTransaction * rows_per_statement;
  return RunResult{(server_after - server_before) * 1e6 / total_rows,
                   (client_after - client_before) * 1e6 / total_rows, wall * 1e6 / total_rows};
}

}  // namespace

int main(int argc, char** argv) {
  int pid = 0, rounds = 3, transactions = 300, rows_per_statement = 32;
  if (!bourse::bench::parse_int_flags(
          "parse_cost_bench", argc, argv,
          {{"--server-pid", &pid},
           {"--rounds", &rounds},
           {"--transactions", &transactions},
           {"--rows", &rows_per_statement}})) {
    return 2;
  }
  if (pid <= 0 || rounds < 1 || rounds > 20 || transactions < 1 || transactions > 100'000 ||
      rows_per_statement < 1 || rows_per_statement > 1'000) {
    std::fprintf(stderr,
                 "usage: parse_cost_bench --server-pid P [--rounds 1..20] [--transactions "
                 "1..100000] [--rows 1..1000]\n");
    return 2;
  }
  bourse::testing::TestDatabase database;
  const bourse::db::DbConfig config = database.config();
  {
    bourse::db::DbConfig migrating = config;
    migrating.pool_size = 1;
    bourse::db::ConnectionPool pool(migrating);
    auto migrations =
        bourse::db::load_migrations(std::string(BOURSE_SOURCE_DIR) + "/migrations");
    if (!migrations || !bourse::db::apply_migrations(pool, *migrations)) {
      die("cannot apply the migrations");
    }
  }
  MYSQL* connection = mysql_init(nullptr);
  if (mysql_real_connect(connection, config.host.c_str(), config.user.c_str(),
                         config.password.c_str(), config.database.c_str(),
                         static_cast<unsigned>(config.port), nullptr,
                         CLIENT_MULTI_STATEMENTS) == nullptr) {
    die(mysql_error(connection));
  }
  long long next_id = 1;
  std::vector<double> server[kModeCount], total[kModeCount];
  for (int round = 1; round <= rounds; ++round) {
    for (const Mode mode : kModes) {
      const RunResult result =
          run(connection, mode, pid, transactions, rows_per_statement, next_id);
      server[static_cast<int>(mode)].push_back(result.server_us_per_row);
      total[static_cast<int>(mode)].push_back(result.server_us_per_row + result.client_us_per_row);
      std::printf("round %d %-8s server CPU %6.1f us/row, client CPU %5.1f us/row, wall %6.1f "
                  "us/row\n",
                  round, name(mode), result.server_us_per_row, result.client_us_per_row,
                  result.wall_us_per_row);
    }
  }
  mysql_close(connection);
  const double text = median(server[0]), one_trip = median(server[1]),
               prepared = median(server[2]), bulk = median(server[3]);
  std::printf("median server CPU per row: text %.1f us, one_trip %.1f us, prepared %.1f us "
              "(prepared/text %.0f %%), bulk %.1f us (bulk/text %.0f %%)\n",
              text, one_trip, prepared, 100.0 * prepared / text, bulk, 100.0 * bulk / text);
  std::printf("median server + client CPU per row: one_trip %.1f us, prepared %.1f us, bulk "
              "%.1f us\n",
              median(total[1]), median(total[2]), median(total[3]));
  std::printf(
      "{\"bench\":\"parse_cost\",\"rows_per_statement\":%d,\"text_server_us_per_row\":%.2f,"
      "\"one_trip_server_us_per_row\":%.2f,\"prepared_server_us_per_row\":%.2f,"
      "\"bulk_server_us_per_row\":%.2f,\"prepared_over_text\":%.3f,\"bulk_over_text\":%.3f,"
      "\"one_trip_total_us_per_row\":%.2f,\"prepared_total_us_per_row\":%.2f,"
      "\"bulk_total_us_per_row\":%.2f}\n",
      rows_per_statement, text, one_trip, prepared, bulk, prepared / text, bulk / text,
      median(total[1]), median(total[2]), median(total[3]));
  return 0;
}
