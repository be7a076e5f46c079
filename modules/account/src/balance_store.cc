#include "balance_store.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/common/limits.h"

namespace bourse::account {
namespace {

constexpr unsigned kMysqlDuplicateKey = 1062;

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

}  // namespace

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
  } catch (const soci::mysql_soci_error& error) {
    if (error.err_num_ == kMysqlDuplicateKey) return false;
    throw;
  }
  session << "INSERT INTO cash_balances (user_id, currency, total_units, reserved_units) "
             "VALUES (:v8, :v9, 0, 0)",
      soci::use(user_id), soci::use(currency);
  return true;
}

bool insert_ledger_entry(soci::session& session, const LedgerEntry& entry) {
  BOURSE_ASSERT(!entry.kind.empty() && !entry.reference.empty() && !entry.user_id.empty() &&
                    !entry.asset.empty(),
                "ledger entry key is complete");
  BOURSE_ASSERT(entry.total_delta != 0 || entry.reserved_delta != 0,
                "a ledger entry changes something");
  long long total_delta = entry.total_delta;
  long long reserved_delta = entry.reserved_delta;
  try {
    session << "INSERT INTO ledger_entries (kind, reference, user_id, asset, total_delta, "
               "reserved_delta) VALUES (:v10, :v11, :v12, :v13, :v14, :v15)",
        soci::use(entry.kind), soci::use(entry.reference), soci::use(entry.user_id),
        soci::use(entry.asset), soci::use(total_delta), soci::use(reserved_delta);
    return true;
  } catch (const soci::mysql_soci_error& error) {
    if (error.err_num_ == kMysqlDuplicateKey) return false;
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
