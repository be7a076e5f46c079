// Reconciliation run time on a realistic book of 100,000 orders (default): a scratch
// database with the project's migrations, filled with bulk multi-row INSERTs shaped
// exactly like the rows the account and order modules write (accounts opened against
// '@external', a reservation + `reserve` ledger entry per order, settled trades carrying
// their legs in their settled_trades row (the trade journal), releases of cancelled
// orders, the order module's orders and trade record, account_outbox events and the status follower's processed_events),
// with a few hundred settlements still "in flight" (the order module not caught up). Then
// Reconciler::run() several times: the run must be OK, and its time is reported.
//
//   reconciliation_bench [--orders N] [--users N] [--runs N] [--in-flight N]
//
// Uses the stack's database settings (BOURSE_DB_* from .stack/env). Prints figures, then
// one JSON line. Exit status: 0 ok, 1 a run failed or was not OK, 2 usage.
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bourse/account/events.h"
#include "bourse/common/clock.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/envelope/envelope.h"
#include "bourse/scheduler/reconciler.h"
#include "test_database.h"

using namespace bourse;

namespace {

constexpr const char* kGroup = "bench.order-status-account";
constexpr std::int64_t kPriceUnits = 1'500'000;  // 150.00
constexpr std::size_t kRowsPerInsert = 1'000;

struct Options {
  std::int64_t orders = 100'000;
  std::int64_t users = 2'000;
  int runs = 5;
  std::int64_t in_flight = 200;
};

// Buffers rows of one table and sends them as multi-row INSERTs of kRowsPerInsert.
class BulkInsert {
 public:
  BulkInsert(soci::session& session, std::string head)
      : session_(session), head_(std::move(head)) {}
  ~BulkInsert() { flush(); }
  void add(const std::string& row) {
    values_ += (count_ == 0 ? "" : ",") + row;
    if (++count_ == kRowsPerInsert) flush();
  }
  void flush() {
    if (count_ == 0) return;
    session_ << head_ + " VALUES " + values_;
    values_.clear();
    count_ = 0;
  }

 private:
  soci::session& session_;
  const std::string head_;
  std::string values_;
  std::size_t count_ = 0;
};

std::string sql_text(const std::string& text) { return "'" + text + "'"; }

struct Balance {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
};

std::string envelope_of(std::string_view type, std::string_view aggregate_type,
                        const std::string& aggregate_id, boost::json::object data,
                        std::string& event_id) {
  envelope::Envelope envelope;
  envelope.event_id = event_id = random_uuid_v4();
  envelope.event_type = std::string(type);
  envelope.version = 1;
  envelope.occurred_at = format_rfc3339_utc(std::chrono::system_clock::now());
  envelope.aggregate_type = std::string(aggregate_type);
  envelope.aggregate_id = aggregate_id;
  envelope.data = std::move(data);
  std::string text = envelope::serialize(envelope);
  // The payload goes inside a single-quoted SQL literal.
  std::string escaped;
  for (char c : text) {
    if (c == '\'' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

void generate(soci::session& session, const Options& options) {
  const std::string now = "NOW(6)";
  const std::int64_t pairs = options.orders / 2;
  std::map<std::string, Balance> cash, shares;
  std::vector<std::string> users;
  for (std::int64_t u = 0; u < options.users; ++u) users.push_back("u" + std::to_string(u));

  BulkInsert accounts(session, "INSERT INTO accounts (user_id)");
  BulkInsert ledger(session,
                    "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta,"
                    " reserved_delta)");
  auto entry = [&](const char* kind, const std::string& reference, const std::string& user,
                   const std::string& asset, std::int64_t total, std::int64_t reserved) {
    ledger.add("(" + sql_text(kind) + "," + sql_text(reference) + "," + sql_text(user) + "," +
               sql_text(asset) + "," + std::to_string(total) + "," + std::to_string(reserved) +
               ")");
    if (user == "@external") return;
    Balance& balance = asset == "cash:USD" ? cash[user] : shares[user];
    balance.total += total;
    balance.reserved += reserved;
  };
  // A balance change booked in a settled trade's row, not in ledger_entries.
  auto leg = [&](const std::string& user, const std::string& asset, std::int64_t total,
                 std::int64_t reserved) {
    Balance& balance = asset == "cash:USD" ? cash[user] : shares[user];
    balance.total += total;
    balance.reserved += reserved;
  };
  // Opening balances, all different.
  for (std::int64_t u = 0; u < options.users; ++u) {
    const std::string& user = users[u];
    accounts.add("(" + sql_text(user) + ")");
    const std::int64_t opening_cash = (1'000'000 + u) * 10'000 + u;
    const std::int64_t opening_shares = 100'000 + u;
    entry("opening", "account:" + user, user, "cash:USD", opening_cash, 0);
    entry("opening", "account:" + user, "@external", "cash:USD", -opening_cash, 0);
    entry("opening", "account:" + user, user, "shares:AAPL", opening_shares, 0);
    entry("opening", "account:" + user, "@external", "shares:AAPL", -opening_shares, 0);
  }
  accounts.flush();

  BulkInsert orders(
      session,
      "INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force,"
      " quantity, price_units, status, filled_quantity, filled_notional_units,"
      " reserved_cash_units, reserved_quantity, cancel_reason)");
  BulkInsert reservations(session,
                          "INSERT INTO reservations (order_id, user_id, side, order_type, symbol,"
                          " asset, quantity, filled_quantity, limit_price_units, reserved,"
                          " remaining, status)");
  BulkInsert settled(session,
                     "INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, symbol,"
                     " price_units, quantity, buyer, seller, paid_units, buyer_reserved_units)");
  BulkInsert trades(session,
                    "INSERT INTO trades (trade_id, symbol, price_units, quantity, buy_order_id,"
                    " sell_order_id, buyer, seller, executed_at, settled_at)");
  // Outbox ids are dense and in commit order, handed out from the outbox's sequence row
  // (no AUTO_INCREMENT): these rows take the ones after the table's last, and every one
  // of them counts as published (the sequence and published_up_to move past them below).
  long long outbox_id = 0;
  session << "SELECT COALESCE(MAX(id), 0) FROM account_outbox", soci::into(outbox_id);
  BulkInsert outbox(session,
                    "INSERT INTO account_outbox (id, event_id, event_type, topic, message_key,"
                    " payload)");
  BulkInsert processed(session, "INSERT INTO processed_events (consumer_group, event_id)");

  for (std::int64_t i = 0; i < pairs; ++i) {
    const std::int64_t buy_id = 2 * i + 1, sell_id = 2 * i + 2;
    const std::string& buyer = users[(2 * i) % options.users];
    const std::string& seller = users[(2 * i + 1) % options.users];
    const std::int64_t quantity = 1 + i % 10;
    const std::int64_t notional = kPriceUnits * quantity;
    // 80% trade fully, 10% stay open, 10% are cancelled.
    const int kind = static_cast<int>(i % 10);
    const bool traded = kind < 8, cancelled = kind == 9;
    const bool in_flight = traded && i >= pairs - options.in_flight * 5 / 4;
    entry("reserve", "order:" + std::to_string(buy_id), buyer, "cash:USD", 0, notional);
    entry("reserve", "order:" + std::to_string(sell_id), seller, "shares:AAPL", 0, quantity);
    std::string reservation_status = "RESERVED", order_status = "OPEN", cancel_reason = "NULL";
    std::int64_t filled = 0, buy_remaining = notional, sell_remaining = quantity;
    if (traded) {
      const std::int64_t trade_id = (i + 1) * 1024;
      // The trade's legs live in its settled_trades row (bourse/account/ledger.h).
      leg(buyer, "cash:USD", -notional, -notional);
      leg(seller, "cash:USD", notional, 0);
      leg(seller, "shares:AAPL", -quantity, -quantity);
      leg(buyer, "shares:AAPL", quantity, 0);
      settled.add("(" + std::to_string(trade_id) + "," + std::to_string(buy_id) + "," +
                  std::to_string(sell_id) + ",'AAPL'," + std::to_string(kPriceUnits) + "," +
                  std::to_string(quantity) + "," + sql_text(buyer) + "," + sql_text(seller) +
                  "," + std::to_string(notional) + "," + std::to_string(notional) + ")");
      reservation_status = "COMPLETED";
      filled = quantity;
      buy_remaining = sell_remaining = 0;
      trades.add("(" + std::to_string(trade_id) + ",'AAPL'," + std::to_string(kPriceUnits) + "," +
                 std::to_string(quantity) + "," + std::to_string(buy_id) + "," +
                 std::to_string(sell_id) + "," + sql_text(buyer) + "," + sql_text(seller) + "," +
                 now + "," + (in_flight ? "NULL" : now) + ")");
      account::events::TradeSettled event{TradeId(trade_id),
                                          "AAPL",
                                          Amount::from_units(kPriceUnits),
                                          Quantity::of(quantity),
                                          OrderId(buy_id),
                                          OrderId(sell_id),
                                          buyer,
                                          seller,
                                          true,
                                          true,
                                          "2026-12-01T00:00:00.000000Z",
                                          "2026-12-01T00:00:00.000001Z"};
      std::string event_id;
      const std::string payload = envelope_of(event.kType, event.kAggregateType,
                                              event.aggregate_id(), event.to_json(), event_id);
      outbox.add("(" + std::to_string(++outbox_id) + "," + sql_text(event_id) +
                 ",'TradeSettled','bench.account-events','AAPL','" + payload + "')");
      if (!in_flight) processed.add("('" + std::string(kGroup) + "'," + sql_text(event_id) + ")");
      order_status = in_flight ? "OPEN" : "FILLED";
    } else if (cancelled) {
      entry("release", "order:" + std::to_string(buy_id), buyer, "cash:USD", 0, -notional);
      entry("release", "order:" + std::to_string(sell_id), seller, "shares:AAPL", 0, -quantity);
      reservation_status = "RELEASED";
      order_status = "CANCELLED";
      cancel_reason = "'user'";
      buy_remaining = sell_remaining = 0;
      for (int side = 0; side < 2; ++side) {
        account::events::ReservationReleased event;
        event.order_id = OrderId(side == 0 ? buy_id : sell_id);
        event.user_id = side == 0 ? buyer : seller;
        event.symbol = "AAPL";
        event.side = side == 0 ? Side::kBuy : Side::kSell;
        event.reason = "user";
        if (side == 0)
          event.released_cash = Amount::from_units(notional);
        else
          event.released_quantity = Quantity::of(quantity);
        std::string event_id;
        const std::string payload = envelope_of(event.kType, event.kAggregateType,
                                                event.aggregate_id(), event.to_json(), event_id);
        outbox.add("(" + std::to_string(++outbox_id) + "," + sql_text(event_id) +
                   ",'ReservationReleased','bench.account-events','AAPL','" + payload + "')");
        processed.add("('" + std::string(kGroup) + "'," + sql_text(event_id) + ")");
      }
    }
    const std::int64_t order_filled = in_flight ? 0 : filled;
    orders.add("(" + std::to_string(buy_id) + "," + sql_text(buyer) +
               ",'AAPL','BUY','LIMIT','GTC'," + std::to_string(quantity) + "," +
               std::to_string(kPriceUnits) + "," + sql_text(order_status) + "," +
               std::to_string(order_filled) + "," + std::to_string(order_filled * kPriceUnits) +
               "," + std::to_string(notional) + ",NULL," + cancel_reason + ")");
    orders.add("(" + std::to_string(sell_id) + "," + sql_text(seller) +
               ",'AAPL','SELL','LIMIT','GTC'," + std::to_string(quantity) + "," +
               std::to_string(kPriceUnits) + "," + sql_text(order_status) + "," +
               std::to_string(order_filled) + "," + std::to_string(order_filled * kPriceUnits) +
               ",NULL," + std::to_string(quantity) + "," + cancel_reason + ")");
    reservations.add("(" + std::to_string(buy_id) + "," + sql_text(buyer) +
                     ",'BUY','LIMIT','AAPL','cash:USD'," + std::to_string(quantity) + "," +
                     std::to_string(filled) + "," + std::to_string(kPriceUnits) + "," +
                     std::to_string(notional) + "," + std::to_string(buy_remaining) + "," +
                     sql_text(reservation_status) + ")");
    reservations.add("(" + std::to_string(sell_id) + "," + sql_text(seller) +
                     ",'SELL','LIMIT','AAPL','shares:AAPL'," + std::to_string(quantity) + "," +
                     std::to_string(filled) + "," + std::to_string(kPriceUnits) + "," +
                     std::to_string(quantity) + "," + std::to_string(sell_remaining) + "," +
                     sql_text(reservation_status) + ")");
  }
  ledger.flush();
  orders.flush();
  reservations.flush();
  settled.flush();
  trades.flush();
  outbox.flush();
  session << "INSERT INTO outbox_sequences (outbox, last_id) VALUES ('account_outbox', :id)"
             " ON DUPLICATE KEY UPDATE last_id = VALUES(last_id)",
      soci::use(outbox_id);
  session << "UPDATE outbox_relay_barriers SET published_up_to = :id"
             " WHERE outbox = 'account_outbox'",
      soci::use(outbox_id);
  processed.flush();
  // The balances are the sums of the ledger, as the account module keeps them.
  BulkInsert cash_rows(
      session, "INSERT INTO cash_balances (user_id, currency, total_units, reserved_units)");
  for (const auto& [user, balance] : cash) {
    cash_rows.add("(" + sql_text(user) + ",'USD'," + std::to_string(balance.total) + "," +
                  std::to_string(balance.reserved) + ")");
  }
  cash_rows.flush();
  BulkInsert position_rows(session,
                           "INSERT INTO positions (user_id, symbol, total_quantity,"
                           " reserved_quantity)");
  for (const auto& [user, balance] : shares) {
    position_rows.add("(" + sql_text(user) + ",'AAPL'," + std::to_string(balance.total) + "," +
                      std::to_string(balance.reserved) + ")");
  }
  position_rows.flush();
}

long long count_rows(soci::session& session, const char* table) {
  long long n = 0;
  session << std::string("SELECT COUNT(*) FROM ") + table, soci::into(n);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long long value = std::atoll(argv[i + 1]);
    if (flag == "--orders")
      options.orders = value;
    else if (flag == "--users")
      options.users = value;
    else if (flag == "--runs")
      options.runs = static_cast<int>(value);
    else if (flag == "--in-flight")
      options.in_flight = value;
    else {
      std::fprintf(stderr, "usage: %s [--orders N] [--users N] [--runs N] [--in-flight N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (options.orders < 20 || options.users < 2 || options.runs < 1 || options.in_flight < 0) {
    std::fprintf(stderr, "orders >= 20, users >= 2, runs >= 1, in-flight >= 0\n");
    return 2;
  }
  bourse::testing::TestDatabase database;
  db::DbConfig config = database.config();
  config.pool_size = 2;
  db::ConnectionPool pool(config);
  auto migrations = db::load_migrations(std::string(BOURSE_SOURCE_DIR) + "/migrations");
  if (!migrations || !db::apply_migrations(pool, *migrations)) {
    std::fprintf(stderr, "cannot apply the migrations\n");
    return 1;
  }
  const auto generate_start = std::chrono::steady_clock::now();
  long long ledger_rows = 0, outbox_rows = 0, trade_rows = 0;
  Status generated = pool.with_session([&](soci::session& session) {
    session << "START TRANSACTION";
    generate(session, options);
    session << "COMMIT";
    session << "ANALYZE TABLE ledger_entries, reservations, orders, trades, settled_trades,"
               " account_outbox, processed_events, cash_balances, positions";
    ledger_rows = count_rows(session, "ledger_entries");
    outbox_rows = count_rows(session, "account_outbox");
    trade_rows = count_rows(session, "settled_trades");
  });
  if (!generated) {
    std::fprintf(stderr, "cannot generate the data: %s\n", generated.error().message.c_str());
    return 1;
  }
  const double generate_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - generate_start).count();
  std::printf(
      "data: %lld orders, %lld users, %lld settled trades, %lld ledger entries, "
      "%lld account_outbox rows (%lld settlements in flight), generated in %.1f s\n",
      static_cast<long long>(options.orders), static_cast<long long>(options.users), trade_rows,
      ledger_rows, outbox_rows, static_cast<long long>(options.in_flight), generate_s);

  scheduler::Reconciler reconciler(pool, scheduler::ReconcilerOptions{kGroup},
                                   SystemClock::instance());
  std::vector<double> times_ms;
  std::int64_t in_flight_seen = 0;
  for (int run = 0; run < options.runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    auto report = reconciler.run();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!report) {
      std::fprintf(stderr, "run failed: %s\n", report.error().message.c_str());
      return 1;
    }
    if (!report->ok()) {
      std::fprintf(stderr, "run not OK: %s\n", scheduler::serialize(*report).c_str());
      return 1;
    }
    in_flight_seen = report->in_flight_events;
    times_ms.push_back(ms);
    std::printf("run %d: OK in %.1f ms (%lld events in flight):", run + 1, ms,
                static_cast<long long>(report->in_flight_events));
    for (const auto& check : report->checks) {
      std::printf(" %s %lld ms;", check.name.c_str(), static_cast<long long>(check.duration_ms));
    }
    std::printf("\n");
  }
  // Calibration: the machine's load, and one plain full scan of the largest table, so
  // that figures from a busy machine can be compared with an idle one.
  double scan_ms = 0;
  (void)pool.with_session([&](soci::session& session) {
    const auto start = std::chrono::steady_clock::now();
    long long rows = 0, sum = 0;
    session << "SELECT COUNT(*), CAST(SUM(total_delta) AS SIGNED) FROM ledger_entries",
        soci::into(rows), soci::into(sum);
    scan_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  });
  double load_average = -1;
  if (FILE* file = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(file, "%lf", &load_average) != 1) load_average = -1;
    std::fclose(file);
  }
  std::printf("calibration: load average %.2f; full scan of ledger_entries %.1f ms\n", load_average,
              scan_ms);
  std::sort(times_ms.begin(), times_ms.end());
  const double median = times_ms[times_ms.size() / 2];
  std::printf("reconciliation of %lld orders: min %.1f ms, median %.1f ms, max %.1f ms\n",
              static_cast<long long>(options.orders), times_ms.front(), median, times_ms.back());
  std::printf(
      "{\"bench\":\"reconciliation\",\"orders\":%lld,\"users\":%lld,\"settled_trades\":%lld,"
      "\"ledger_entries\":%lld,\"in_flight_events\":%lld,\"runs\":%d,\"min_ms\":%.1f,"
      "\"median_ms\":%.1f,\"max_ms\":%.1f,\"ledger_scan_ms\":%.1f,\"load_average\":%.2f}\n",
      static_cast<long long>(options.orders), static_cast<long long>(options.users), trade_rows,
      ledger_rows, static_cast<long long>(in_flight_seen), options.runs, times_ms.front(), median,
      times_ms.back(), scan_ms, load_average);
  if (const char* pause = std::getenv("BOURSE_BENCH_PAUSE_S")) {
    std::printf("database %s kept for %s s\n", database.name().c_str(), pause);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(pause)));
  }
  return 0;
}
