// outbox_cost_bench: what MariaDB spends per outbox row, as the relay works today (each
// published row marked) against a design that is NOT built: ids handed out in commit
// order from a per-outbox sequence row, and the relay keeping one "published up to" id.
// Under load the outboxes' statements are about a third of MariaDB's statement time
// (docs/PERFORMANCE.md, "3 Dec, 07:45-09:30": marks 15 %, fetches 8.5 %, inserts 8 %,
// barriers 5 %); this bench says how much of that the other design would save, before
// anyone builds it (docs/PERFORMANCE.md, "3 Dec, 11:20-11:40").
//
//   outbox_cost_bench --server-pid P [--rounds 3] [--cycles 1000] [--rows 28]
//   Database: the stack's (BOURSE_DB_*, e.g. `source .stack/env`): a scratch database,
//   dropped at the end.
//
// One cycle = a writer's transaction of --rows outbox rows (430-byte payloads, random
// event ids), then one relay batch that fetches them, on a second connection; each is ONE
// round trip, as the project sends them:
//   marked     (today: modules/outbox/README.md) the writer inserts into a table shaped
//              like order_outbox (primary key, unique event_id, index (published_at, id));
//              the relay fetches `WHERE published_at IS NULL AND id NOT IN (<last batch>)
//              ORDER BY id LIMIT 500` and, in the same packet, marks the last batch
//              (`UPDATE ... SET published_at = NOW(6) WHERE id IN (...)`);
//   sequenced  (not built) the writer's packet also bumps the outbox's sequence row
//              (`UPDATE outbox_sequences SET next_id = LAST_INSERT_ID(next_id + n)`: the
//              row lock orders writers by commit) and inserts with those ids into a table
//              with no published_at index; the relay fetches `WHERE id > <published up to>
//              ORDER BY id LIMIT 500` and, in the same packet, records the last batch's
//              highest id in a one-row progress table.
//   deleted    (not built either) as marked, but the relay deletes the last batch
//              instead of marking it: the (published_at, id) index only ever holds
//              unpublished rows, and no cleanup is left for later (a marked row is also
//              deleted later, after its retention: that delete is not in this bench).
// Each run ends when InnoDB has purged what it left (Innodb_history_list_length < 100).
// The server's CPU is read from /proc/P/stat around each run (the stack's MariaDB must
// serve nothing else meanwhile). Prints each run, medians, and a final JSON line
// {"bench":"outbox_cost","rows_per_transaction":..,"marked_server_us_per_row":..,
//  "sequenced_server_us_per_row":..,"deleted_server_us_per_row":..,
//  "sequenced_over_marked":..,"deleted_over_marked":..}.
#include <mysql.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "loadgen/cpu_usage.h"
#include "bench_flags.h"
#include "test_database.h"

namespace {

using bourse::bench::median;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "outbox_cost_bench: %s\n", what.c_str());
  std::exit(1);
}

// Sends `sql` (one or more statements) in one packet and returns the rows of every
// result set, in order.
std::vector<std::vector<long long>> query_all(MYSQL* connection, const std::string& sql) {
  if (mysql_real_query(connection, sql.data(), sql.size()) != 0) die(mysql_error(connection));
  std::vector<std::vector<long long>> ids;  // first column of each result set
  for (;;) {
    if (MYSQL_RES* result = mysql_store_result(connection)) {
      std::vector<long long>& out = ids.emplace_back();
      while (MYSQL_ROW row = mysql_fetch_row(result)) out.push_back(std::atoll(row[0]));
      mysql_free_result(result);
    } else if (mysql_field_count(connection) != 0) {
      die(mysql_error(connection));
    }
    const int more = mysql_next_result(connection);
    if (more > 0) die(mysql_error(connection));
    if (more < 0) return ids;
  }
}

MYSQL* connect(const bourse::db::DbConfig& config) {
  MYSQL* connection = mysql_init(nullptr);
  if (mysql_real_connect(connection, config.host.c_str(), config.user.c_str(),
                         config.password.c_str(), config.database.c_str(),
                         static_cast<unsigned>(config.port), nullptr,
                         CLIENT_MULTI_STATEMENTS) == nullptr) {
    die(mysql_error(connection));
  }
  return connection;
}

const char* const kColumns = "event_id, event_type, topic, message_key, payload";

// The outbox columns of migrations/0201_order_outbox.sql; `marked` keeps the
// published_at index, `sequenced` has no published_at at all and takes its ids as given.
const char* const kSchema =
    "CREATE TABLE marked_outbox ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " event_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " message_key VARCHAR(255) NOT NULL, payload MEDIUMTEXT NOT NULL,"
    " created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
    " published_at TIMESTAMP(6) NULL DEFAULT NULL,"
    " UNIQUE KEY uq_marked_event (event_id), KEY ix_marked_unpublished (published_at, id)"
    ") ENGINE=InnoDB;"
    "CREATE TABLE deleted_outbox LIKE marked_outbox;"
    "CREATE TABLE sequenced_outbox ("
    " id BIGINT NOT NULL PRIMARY KEY,"
    " event_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " message_key VARCHAR(255) NOT NULL, payload MEDIUMTEXT NOT NULL,"
    " created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
    " UNIQUE KEY uq_sequenced_event (event_id)"
    ") ENGINE=InnoDB;"
    "CREATE TABLE outbox_sequences (outbox VARCHAR(64) NOT NULL PRIMARY KEY,"
    " next_id BIGINT NOT NULL) ENGINE=InnoDB;"
    "CREATE TABLE outbox_progress (outbox VARCHAR(64) NOT NULL PRIMARY KEY,"
    " published_id BIGINT NOT NULL) ENGINE=InnoDB;"
    "CREATE TABLE outbox_relay_barriers (outbox VARCHAR(64) NOT NULL PRIMARY KEY,"
    " barriers BIGINT NOT NULL) ENGINE=InnoDB;"
    "INSERT INTO outbox_sequences VALUES ('sequenced_outbox', 0);"
    "INSERT INTO outbox_progress VALUES ('sequenced_outbox', 0)";

enum class Mode { kMarked, kSequenced, kDeleted };
const char* name(Mode mode) {
  return mode == Mode::kMarked ? "marked" : mode == Mode::kSequenced ? "sequenced" : "deleted";
}

class Rows {
 public:
  explicit Rows(unsigned seed) : random_(seed) {
    payload_.assign(430, 'x');
    payload_.front() = '{';
    payload_.back() = '}';
  }
  // One row's values after the id: a random event id, as the writers make them.
  std::string values() {
    static const char* const kHex = "0123456789abcdef";
    std::string event_id(36, '-');
    for (std::size_t i = 0; i < event_id.size(); ++i) {
      if (i != 8 && i != 13 && i != 18 && i != 23) event_id[i] = kHex[random_() % 16];
    }
    return "'" + event_id + "','OrderCreated','orders','SYM" + std::to_string(random_() % 1000) +
           "','" + payload_ + "'";
  }

 private:
  std::mt19937_64 random_;
  std::string payload_;
};

std::string join(const std::vector<long long>& ids) {
  std::string out;
  for (const long long id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

// Waits (at most 20 s) until InnoDB has purged what the run left behind (the old index
// entries of a mark, the rows of a delete), so that this work counts for the run that
// made it rather than for the next one.
void wait_for_purge(MYSQL* connection) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string sql = "SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'";
    if (mysql_real_query(connection, sql.data(), sql.size()) != 0) die(mysql_error(connection));
    MYSQL_RES* result = mysql_store_result(connection);
    MYSQL_ROW row = result != nullptr ? mysql_fetch_row(result) : nullptr;
    const long long pending = row != nullptr ? std::atoll(row[1]) : 0;
    if (result != nullptr) mysql_free_result(result);
    if (pending < 100) return;
    usleep(50'000);
  }
}

struct RunResult {
  double server_us_per_row;
  double client_us_per_row;
};

RunResult run(MYSQL* writer, MYSQL* relay, Mode mode, int pid, int cycles, int rows, Rows& values) {
  std::vector<long long> last_batch;  // fetched, to be marked / recorded with the next fetch
  long long published_up_to = 0;
  if (mode == Mode::kSequenced) {
    published_up_to = query_all(relay, "SELECT published_id FROM outbox_progress").front().front();
  }
  const double server_before = bourse::bench::cpu_seconds(pid).value_or(-1);
  const double client_before = bourse::bench::cpu_seconds(::getpid()).value_or(-1);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::string packet = "BEGIN;";
    if (mode != Mode::kSequenced) {
      packet += std::string("INSERT INTO ") + (mode == Mode::kMarked ? "marked" : "deleted") +
                "_outbox (" + kColumns + ") VALUES ";
      for (int r = 0; r < rows; ++r) packet += (r == 0 ? "(" : ",(") + values.values() + ")";
    } else {
      packet += "UPDATE outbox_sequences SET next_id = LAST_INSERT_ID(next_id + " +
                std::to_string(rows) + ") WHERE outbox = 'sequenced_outbox';";
      packet += std::string("INSERT INTO sequenced_outbox (id, ") + kColumns + ") VALUES ";
      for (int r = 0; r < rows; ++r) {
        packet += std::string(r == 0 ? "(" : ",(") + "LAST_INSERT_ID() - " +
                  std::to_string(rows - 1 - r) + "," + values.values() + ")";
      }
    }
    packet += ";COMMIT";
    query_all(writer, packet);

    std::string fetch;
    if (mode != Mode::kSequenced) {
      // As the relay does today: the last batch leaves the fetch and is marked (or deleted)
      // with it; with nothing to mark, the durability barrier instead.
      const std::string table = std::string(name(mode)) + "_outbox";
      const std::string last = join(last_batch);
      fetch = "SELECT id, event_id, event_type, topic, message_key, payload FROM " + table +
              " WHERE published_at IS NULL" +
              (last_batch.empty() ? std::string() : " AND id NOT IN (" + last + ")") +
              " ORDER BY id LIMIT 500;";
      if (last_batch.empty()) {
        fetch += "INSERT INTO outbox_relay_barriers (outbox, barriers) SELECT '" + table +
                 "', 1 FROM DUAL WHERE FOUND_ROWS() > 0 ON DUPLICATE KEY UPDATE barriers = "
                 "barriers + 1";
      } else if (mode == Mode::kMarked) {
        fetch += "UPDATE " + table + " FORCE INDEX (PRIMARY) SET published_at = NOW(6) WHERE id "
                 "IN (" + last + ") AND published_at IS NULL";
      } else {
        fetch += "DELETE FROM " + table + " WHERE id IN (" + last + ")";
      }
    } else {
      const long long fetch_from = last_batch.empty() ? published_up_to : last_batch.back();
      fetch = "SELECT id, event_id, event_type, topic, message_key, payload FROM "
              "sequenced_outbox WHERE id > " + std::to_string(fetch_from) +
              " ORDER BY id LIMIT 500;";
      fetch += "UPDATE outbox_progress SET published_id = " + std::to_string(fetch_from) +
               " WHERE outbox = 'sequenced_outbox'";
    }
    const std::vector<std::vector<long long>> fetched = query_all(relay, fetch);
    if (fetched.empty() || fetched.front().size() != static_cast<std::size_t>(rows)) {
      die(std::string(name(mode)) + ": the relay did not fetch exactly the writer's rows");
    }
    last_batch = fetched.front();
  }
  wait_for_purge(relay);
  const double server_after = bourse::bench::cpu_seconds(pid).value_or(-1);
  const double client_after = bourse::bench::cpu_seconds(::getpid()).value_or(-1);
  if (server_before < 0 || server_after < 0) die("cannot read /proc/<server-pid>/stat");
  // The last batch's mark / progress, so that the next run starts with nothing pending.
  if (mode == Mode::kDeleted) {
    query_all(relay, "DELETE FROM deleted_outbox WHERE id IN (" + join(last_batch) + ")");
  } else if (mode == Mode::kMarked) {
    query_all(relay, "UPDATE marked_outbox SET published_at = NOW(6) WHERE id IN (" +
                         join(last_batch) + ")");
  } else {
    query_all(relay, "UPDATE outbox_progress SET published_id = " +
                         std::to_string(last_batch.back()) + " WHERE outbox = 'sequenced_outbox'");
  }
  wait_for_purge(relay);
  const double total_rows = static_cast<double>(cycles) * rows;
  return {(server_after - server_before) * 1e6 / total_rows,
          (client_after - client_before) * 1e6 / total_rows};
}

}  // namespace

int main(int argc, char** argv) {
  int pid = 0, rounds = 3, cycles = 1000, rows = 28;
  if (!bourse::bench::parse_int_flags(
          "outbox_cost_bench", argc, argv,
          {{"--server-pid", &pid},
           {"--rounds", &rounds},
           {"--cycles", &cycles},
           {"--rows", &rows}})) {
    return 2;
  }
  if (pid <= 0 || rounds < 1 || rounds > 20 || cycles < 1 || cycles > 100'000 || rows < 1 ||
      rows > 500) {
    std::fprintf(stderr, "usage: outbox_cost_bench --server-pid P [--rounds 1..20] [--cycles "
                         "1..100000] [--rows 1..500]\n");
    return 2;
  }
  bourse::testing::TestDatabase database;
  MYSQL* writer = connect(database.config());
  MYSQL* relay = connect(database.config());
  query_all(writer, kSchema);
  Rows values(42);
  std::vector<double> server[3], total[3];
  for (int round = 1; round <= rounds; ++round) {
    for (const Mode mode : {Mode::kMarked, Mode::kSequenced, Mode::kDeleted}) {
      const RunResult result = run(writer, relay, mode, pid, cycles, rows, values);
      server[static_cast<int>(mode)].push_back(result.server_us_per_row);
      total[static_cast<int>(mode)].push_back(result.server_us_per_row + result.client_us_per_row);
      std::printf("round %d %-9s server CPU %6.1f us/row, client CPU %5.1f us/row\n", round,
                  name(mode), result.server_us_per_row, result.client_us_per_row);
    }
  }
  mysql_close(writer);
  mysql_close(relay);
  const double marked = median(server[0]), sequenced = median(server[1]),
               deleted = median(server[2]);
  std::printf("median server CPU per row, %d rows per transaction: marked %.1f us, sequenced "
              "%.1f us (%.0f %%), deleted %.1f us (%.0f %%); server + client: marked %.1f us, "
              "sequenced %.1f us, deleted %.1f us\n",
              rows, marked, sequenced, 100.0 * sequenced / marked, deleted,
              100.0 * deleted / marked, median(total[0]), median(total[1]), median(total[2]));
  std::printf("{\"bench\":\"outbox_cost\",\"rows_per_transaction\":%d,"
              "\"marked_server_us_per_row\":%.2f,\"sequenced_server_us_per_row\":%.2f,"
              "\"deleted_server_us_per_row\":%.2f,\"sequenced_over_marked\":%.3f,"
              "\"deleted_over_marked\":%.3f}\n",
              rows, marked, sequenced, deleted, sequenced / marked, deleted / marked);
  return 0;
}
