#include "balance_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "bourse/account/reservation.h"
#include "bourse/common/assert.h"
#include "bourse/common/limits.h"
#include "bourse/db/sql_batch.h"
#include "bourse/db/sql_error.h"
#include "bourse/db/sql_text.h"

namespace bourse::account {
namespace {

std::int64_t limit_of(BalanceTable table) {
  return table == BalanceTable::kCash ? limits::kMaxAmountUnits : limits::kMaxQuantity;
}

void assert_balance(const Balance& balance, BalanceTable table) {
  BOURSE_ASSERT(balance.reserved >= 0, "balance reserved is negative");
  BOURSE_ASSERT(balance.total >= balance.reserved, "balance total below reserved");
  BOURSE_ASSERT(balance.total <= limit_of(table), "balance past its limit");
}

std::optional<Balance> lock_row(soci::session& session, const char* sql, const std::string& user_id,
                                const std::string& key, BalanceTable table) {
  Balance balance;
  long long total = 0;
  long long reserved = 0;
  session << sql, soci::use(user_id), soci::use(key), soci::into(total), soci::into(reserved);
  if (!session.got_data()) return std::nullopt;
  balance.total = total;
  balance.reserved = reserved;
  assert_balance(balance, table);
  return balance;
}

void assert_ledger_entry(const LedgerEntry& entry) {
  BOURSE_ASSERT(!entry.kind.empty() && !entry.reference.empty() && !entry.user_id.empty() &&
                    !entry.asset.empty(),
                "ledger entry key is complete");
  BOURSE_ASSERT(entry.total_delta != 0 || entry.reserved_delta != 0,
                "a ledger entry changes something");
}

// Reads (key..., total, reserved) rows of a balance read into `balances`.
template <typename Key, typename MakeKey>
void read_balances(const std::vector<db::SqlRow>& rows, std::map<Key, Balance>& balances,
                   BalanceTable table, MakeKey make_key) {
  for (const db::SqlRow& row : rows) {
    for (const auto& column : row) BOURSE_ASSERT(column.has_value(), "balance columns are NOT NULL");
    Balance balance;
    balance.total = std::stoll(*row[row.size() - 2]);
    balance.reserved = std::stoll(*row[row.size() - 1]);
    assert_balance(balance, table);
    const bool inserted = balances.emplace(make_key(row), balance).second;
    BOURSE_ASSERT(inserted, "a balance read returns each row once");
  }
}

}  // namespace

std::string cash_rows_sql(std::size_t users, BalanceReads reads) {
  return "SELECT user_id, total_units, reserved_units FROM cash_balances FORCE INDEX (PRIMARY) "
         "WHERE currency = :currency AND user_id IN (" +
         db::row_placeholders(users, 1) + ") ORDER BY user_id" +
         (reads == BalanceReads::kLocking ? " FOR UPDATE" : "");
}

std::string position_rows_sql(std::size_t positions, BalanceReads reads) {
  return "SELECT user_id, symbol, total_quantity, reserved_quantity FROM positions FORCE INDEX "
         "(PRIMARY) WHERE (user_id, symbol) IN (" +
         db::row_placeholders(positions, 2) + ") ORDER BY user_id, symbol" +
         (reads == BalanceReads::kLocking ? " FOR UPDATE" : "");
}

std::string position_keys_condition(std::size_t positions) {
  BOURSE_ASSERT(positions >= 1, "at least one position");
  std::string text;
  for (std::size_t i = 0; i < positions; ++i) {
    const std::string n = std::to_string(i);
    text += (i == 0 ? "(user_id = :ku" : " OR (user_id = :ku") + n + " AND symbol = :ks" + n + ")";
  }
  return text;
}

std::string add_to_cash_balances_sql(std::size_t users) {
  std::string total_cases;
  std::string reserved_cases;
  for (std::size_t i = 1; i <= users; ++i) {
    const std::string n = std::to_string(i);
    total_cases += " WHEN :tu" + n + " THEN :t" + n;
    reserved_cases += " WHEN :ru" + n + " THEN :r" + n;
  }
  return "UPDATE cash_balances FORCE INDEX (PRIMARY) SET total_units = total_units + CASE user_id" +
         total_cases + " END, reserved_units = reserved_units + CASE user_id" + reserved_cases +
         " END WHERE currency = :currency AND user_id IN (" + db::row_placeholders(users, 1) + ")";
}

GroupBalanceRows read_group_balances(soci::session& session, std::span<const std::string> user_ids,
                                     std::span<const PositionKey> keys, const std::string& currency,
                                     BalanceReads reads) {
  BOURSE_ASSERT(!user_ids.empty() && user_ids.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch users per read");
  BOURSE_ASSERT(std::adjacent_find(user_ids.begin(), user_ids.end(), std::greater_equal<>()) ==
                    user_ids.end(),
                "users are read (and locked) in ascending order");
  BOURSE_ASSERT(keys.size() <= kMaxReservationBatch, "at most kMaxReservationBatch positions");
  BOURSE_ASSERT(std::adjacent_find(keys.begin(), keys.end(), std::greater_equal<>()) == keys.end(),
                "positions are read (and locked) in ascending (user, symbol) order");
  std::vector<db::SqlStatement> reads_batch;
  db::SqlStatement& cash = reads_batch.emplace_back(
      db::SqlStatement{cash_rows_sql(user_ids.size(), reads), {currency}, std::nullopt, std::nullopt});
  for (const std::string& user_id : user_ids) cash.values.emplace_back(user_id);
  if (!keys.empty()) {
    // After the cash read in the same packet: the server runs them in order (lock order).
    db::SqlStatement& positions = reads_batch.emplace_back(
        db::SqlStatement{position_rows_sql(keys.size(), reads), {}, std::nullopt, std::nullopt});
    for (const PositionKey& key : keys) {
      positions.values.emplace_back(key.first);
      positions.values.emplace_back(key.second);
    }
  }
  auto outcomes = db::execute_statements(session, reads_batch);
  BOURSE_ASSERT(outcomes.ok() && outcomes->size() == reads_batch.size(), "unmapped failures throw");
  GroupBalanceRows rows;
  read_balances((*outcomes)[0].rows, rows.cash, BalanceTable::kCash,
                [](const db::SqlRow& row) { return *row[0]; });
  if (!keys.empty()) {
    read_balances((*outcomes)[1].rows, rows.positions, BalanceTable::kPosition,
                  [](const db::SqlRow& row) { return PositionKey(*row[0], *row[1]); });
  }
  return rows;
}

namespace {

void assert_deltas_bounded(const BalanceDelta& delta, BalanceTable table) {
  const std::int64_t limit = limit_of(table);
  BOURSE_ASSERT(delta.total != 0 || delta.reserved != 0, "a balance delta changes something");
  BOURSE_ASSERT(delta.total >= -limit && delta.total <= limit && delta.reserved >= -limit &&
                    delta.reserved <= limit,
                "a balance delta is within the balance's limit");
}

}  // namespace

db::SqlStatement cash_balances_addition(const std::string& currency,
                                        const std::map<std::string, BalanceDelta>& deltas) {
  BOURSE_ASSERT(!deltas.empty() && deltas.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch cash deltas per UPDATE");
  db::SqlStatement update{add_to_cash_balances_sql(deltas.size()), {}, std::nullopt, std::nullopt};
  update.values.reserve(5 * deltas.size() + 1);
  for (const auto& [user_id, delta] : deltas) {
    assert_deltas_bounded(delta, BalanceTable::kCash);
    update.values.insert(update.values.end(), {user_id, delta.total});
  }
  for (const auto& [user_id, delta] : deltas) {
    update.values.insert(update.values.end(), {user_id, delta.reserved});
  }
  update.values.emplace_back(currency);
  for (const auto& entry : deltas) update.values.emplace_back(entry.first);
  return update;
}

std::size_t add_to_cash_balances(soci::session& session, const std::string& currency,
                                 const std::map<std::string, BalanceDelta>& deltas) {
  const long long changed =
      db::execute_statement(session, cash_balances_addition(currency, deltas)).affected_rows;
  BOURSE_ASSERT(changed >= 0 && changed <= static_cast<long long>(deltas.size()),
                "only the named cash rows were updated");
  return static_cast<std::size_t>(changed);
}

std::string add_to_positions_sql(std::size_t positions) {
  std::string total_cases;
  std::string reserved_cases;
  for (std::size_t i = 1; i <= positions; ++i) {
    const std::string n = std::to_string(i);
    total_cases += " WHEN user_id = :tu" + n + " AND symbol = :ts" + n + " THEN :t" + n;
    reserved_cases += " WHEN user_id = :ru" + n + " AND symbol = :rs" + n + " THEN :r" + n;
  }
  return "UPDATE positions FORCE INDEX (PRIMARY) SET total_quantity = total_quantity + CASE" +
         total_cases + " END, reserved_quantity = reserved_quantity + CASE" + reserved_cases +
         " END WHERE " + position_keys_condition(positions);
}

void add_to_positions(soci::session& session, const std::map<PositionKey, BalanceDelta>& deltas,
                      bool create_missing) {
  BOURSE_ASSERT(!deltas.empty() && deltas.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch position deltas per call");
  // 1. Every row exists and is locked, in ascending (user, symbol) (the map's order): an
  // upsert of empty rows. Not the deltas themselves: MariaDB checks a candidate row's
  // CHECKs before it finds the duplicate, so a negative delta could not even be offered.
  // ON DUPLICATE KEY UPDATE (not INSERT IGNORE): an existing row gets an exclusive record
  // lock at once, never a shared one that the UPDATE would upgrade (two upgrades deadlock).
  // 2. The deltas, in ONE relative UPDATE. Both statements in one round trip.
  std::vector<db::SqlStatement> statements;
  if (create_missing) statements.push_back(positions_creation(deltas));
  statements.push_back(positions_addition(deltas));
  statements.back().expected_rows = static_cast<long long>(deltas.size());  // every row present
  auto done = db::execute_statements(session, statements);
  BOURSE_ASSERT(done.ok(), "no CHECK failure is mapped: it throws");
}

db::SqlStatement positions_creation(const std::map<PositionKey, BalanceDelta>& deltas) {
  BOURSE_ASSERT(!deltas.empty() && deltas.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch positions per upsert");
  std::string rows;
  db::SqlStatement insert{{}, {}, std::nullopt, std::nullopt};
  insert.values.reserve(2 * deltas.size());
  for (const auto& [key, delta] : deltas) {
    const std::string n = std::to_string(insert.values.size() / 2);
    rows += (rows.empty() ? "(:u" : ", (:u") + n + ", :s" + n + ", 0, 0)";
    insert.values.insert(insert.values.end(), {key.first, key.second});
  }
  insert.text = "INSERT INTO positions (user_id, symbol, total_quantity, reserved_quantity) VALUES " +
                rows + " ON DUPLICATE KEY UPDATE user_id = user_id";
  return insert;
}

db::SqlStatement positions_addition(const std::map<PositionKey, BalanceDelta>& deltas) {
  BOURSE_ASSERT(!deltas.empty() && deltas.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch position deltas per UPDATE");
  db::SqlStatement update{add_to_positions_sql(deltas.size()), {}, std::nullopt, std::nullopt};
  update.values.reserve(8 * deltas.size());
  for (const auto& [key, delta] : deltas) {
    assert_deltas_bounded(delta, BalanceTable::kPosition);
    update.values.insert(update.values.end(), {key.first, key.second, delta.total});
  }
  for (const auto& [key, delta] : deltas) {
    update.values.insert(update.values.end(), {key.first, key.second, delta.reserved});
  }
  for (const auto& entry : deltas) {
    update.values.insert(update.values.end(), {entry.first.first, entry.first.second});
  }
  return update;
}

db::SqlStatement ledger_entries_insert(std::span<const LedgerEntry> entries) {
  BOURSE_ASSERT(!entries.empty() && entries.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch entries per INSERT");
  db::SqlStatement insert{
      "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, reserved_delta) "
      "VALUES " +
          db::row_placeholders(entries.size(), 6),
      {}, std::nullopt, static_cast<long long>(entries.size())};
  insert.values.reserve(6 * entries.size());
  for (const LedgerEntry& entry : entries) {
    assert_ledger_entry(entry);
    insert.values.insert(insert.values.end(), {entry.kind, entry.reference, entry.user_id,
                                               entry.asset, entry.total_delta,
                                               entry.reserved_delta});
  }
  return insert;
}

void insert_ledger_entries(soci::session& session, std::span<const LedgerEntry> entries) {
  if (entries.empty()) return;
  db::execute_statement(session, ledger_entries_insert(entries));
}

std::optional<Balance> lock_cash(soci::session& session, const std::string& user_id,
                                 const std::string& currency) {
  return lock_row(session,
                  "SELECT total_units, reserved_units FROM cash_balances "
                  "WHERE user_id = :v1 AND currency = :v2 FOR UPDATE",
                  user_id, currency, BalanceTable::kCash);
}

std::optional<Balance> lock_position(soci::session& session, const std::string& user_id,
                                     const std::string& symbol) {
  return lock_row(session,
                  "SELECT total_quantity, reserved_quantity FROM positions "
                  "WHERE user_id = :v3 AND symbol = :v4 FOR UPDATE",
                  user_id, symbol, BalanceTable::kPosition);
}

Balance lock_or_create_position(soci::session& session, const std::string& user_id,
                                const std::string& symbol) {
  // An insert of a new primary key takes no gap lock that another transaction's
  // insert could wait for; a duplicate key takes a record lock on the existing row.
  session << "INSERT INTO positions (user_id, symbol, total_quantity, reserved_quantity) "
             "VALUES (:v5, :v6, 0, 0) ON DUPLICATE KEY UPDATE user_id = user_id",
      soci::use(user_id), soci::use(symbol);
  auto balance = lock_position(session, user_id, symbol);
  BOURSE_ASSERT(balance.has_value(), "position exists after its upsert");
  return *balance;
}

bool insert_account(soci::session& session, const std::string& user_id,
                    const std::string& currency) {
  try {
    session << "INSERT INTO accounts (user_id) VALUES (:v7)", soci::use(user_id);
  } catch (const std::exception& error) {
    if (db::is_duplicate_key(error)) return false;
    throw;
  }
  session << "INSERT INTO cash_balances (user_id, currency, total_units, reserved_units) "
             "VALUES (:v8, :v9, 0, 0)",
      soci::use(user_id), soci::use(currency);
  return true;
}

bool insert_ledger_entry(soci::session& session, const LedgerEntry& entry) {
  assert_ledger_entry(entry);
  long long total_delta = entry.total_delta;
  long long reserved_delta = entry.reserved_delta;
  try {
    session << "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, "
               "reserved_delta) VALUES (:v10, :v11, :v12, :v13, :v14, :v15)",
        soci::use(entry.kind), soci::use(entry.reference), soci::use(entry.user_id),
        soci::use(entry.asset), soci::use(total_delta), soci::use(reserved_delta);
    return true;
  } catch (const std::exception& error) {
    if (db::is_duplicate_key(error)) return false;
    throw;
  }
}

bool post(soci::session& session, BalanceTable table, const std::string& key,
          const LedgerEntry& entry, Balance& balance) {
  assert_balance(balance, table);
  Balance next = balance;
  // Both operands are within +-limit (10^15), so the sums cannot overflow int64.
  BOURSE_ASSERT(entry.total_delta <= limit_of(table) && entry.total_delta >= -limit_of(table) &&
                    entry.reserved_delta <= limit_of(table) &&
                    entry.reserved_delta >= -limit_of(table),
                "ledger delta within limits");
  next.total += entry.total_delta;
  next.reserved += entry.reserved_delta;
  assert_balance(next, table);

  if (!insert_ledger_entry(session, entry)) return false;
  long long total = next.total;
  long long reserved = next.reserved;
  const char* sql = table == BalanceTable::kCash
                        ? "UPDATE cash_balances SET total_units = :v16, reserved_units = :v17 "
                          "WHERE user_id = :v18 AND currency = :v19"
                        : "UPDATE positions SET total_quantity = :v20, reserved_quantity = :v21 "
                          "WHERE user_id = :v22 AND symbol = :v23";
  soci::statement update = (session.prepare << sql, soci::use(total), soci::use(reserved),
                            soci::use(entry.user_id), soci::use(key));
  update.execute(true);
  BOURSE_ASSERT(update.get_affected_rows() == 1, "the locked balance row was updated");
  balance = next;
  return true;
}

}  // namespace bourse::account
