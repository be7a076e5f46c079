// SQL for balances and the ledger: row locks, balance updates and ledger entries.
//
// Every function runs on the caller's session inside its transaction and lets SOCI
// exceptions propagate. Callers take the locks in the module's lock order
// (account_service.h): cash row, then position rows by symbol.
//
// post() is the only way a balance changes: it asserts the new balance keeps
// total >= reserved >= 0, writes the ledger entry and then the balance row, so the
// balance always equals the sum of its ledger deltas. Find unique-key replays by
// inserting (a duplicate takes a record lock on the existing row), never by a locking
// read of a missing row: under REPEATABLE READ that takes a gap lock, and two such gap
// locks followed by inserts deadlock.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace bourse::account {

// A balance row as read under its lock, in units (cash) or shares (positions).
struct Balance {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
  std::int64_t available() const { return total - reserved; }
};

// SELECT ... FOR UPDATE of the account's cash row. nullopt: no such account.
std::optional<Balance> lock_cash(soci::session& session, const std::string& user_id,
                                 const std::string& currency);
// SELECT ... FOR UPDATE of one position. nullopt: the user never held the symbol.
std::optional<Balance> lock_position(soci::session& session, const std::string& user_id,
                                     const std::string& symbol);
// Creates an empty position if there is none, then locks it.
// REQUIRES: the account's cash row is locked by this transaction.
Balance lock_or_create_position(soci::session& session, const std::string& user_id,
                                const std::string& symbol);

// --- Batches: one statement for a whole order group -----------------------------------
// The locking reads name their rows with an IN list on the primary key and FORCE INDEX
// (PRIMARY): InnoDB then walks the key range in ascending key order and locks only those
// rows (an IN list that fell back to a table scan would lock every row it passed). The
// SQL texts are exposed so that a test can EXPLAIN them.

// (user_id, symbol) of a positions row.
using PositionKey = std::pair<std::string, std::string>;

std::string lock_cash_rows_sql(std::size_t users);
std::string lock_position_rows_sql(std::size_t positions);
// The position UPDATEs name their rows as OR-ed (user_id = ? AND symbol = ?) pairs, not as
// a row IN list: MariaDB 10.11 runs a single-table UPDATE whose WHERE is a ONE-element
// `(user_id, symbol) IN ((?, ?))` as a full index scan (EXPLAIN type "index", every row
// examined and, inside a transaction, every row touched by the lock), even with FORCE
// INDEX; the OR form is a range on the primary key for any count. Every batch UPDATE of
// cash_balances and positions also says FORCE INDEX (PRIMARY): without it, a list naming
// a large share of a small table (40 of 100 rows) is run as a full index scan.
std::string position_keys_condition(std::size_t positions);
std::string update_reserved_positions_sql(std::size_t positions);
std::string update_position_balances_sql(std::size_t positions);
std::string update_reserved_cash_sql(std::size_t users);
std::string update_cash_balances_sql(std::size_t users);

// Locks the cash rows of `user_ids` in ONE SELECT ... FOR UPDATE, in ascending user id.
// Users without an account are absent from the result (under READ COMMITTED such a miss
// takes no gap lock; under REPEATABLE READ it locks the gap before the next user).
// REQUIRES: user_ids ascending and unique, 1..kMaxReservationBatch of them.
std::map<std::string, Balance> lock_cash_rows(soci::session& session,
                                              std::span<const std::string> user_ids,
                                              const std::string& currency);
// Locks the position rows of `keys` in ONE SELECT ... FOR UPDATE, in ascending (user,
// symbol); positions that do not exist are absent. REQUIRES: keys ascending and unique,
// 1..kMaxReservationBatch of them; their owners' cash rows are locked (lock order).
std::map<PositionKey, Balance> lock_position_rows(soci::session& session,
                                                  std::span<const PositionKey> keys);

// Writes the reserved amount of each locked cash row in `balances` in ONE UPDATE (nothing
// for an empty map). Asserts total >= reserved >= 0 and that every row was updated.
void update_reserved_cash(soci::session& session, const std::string& currency,
                          const std::map<std::string, Balance>& balances);
// The same for positions.
void update_reserved_positions(soci::session& session,
                               const std::map<PositionKey, Balance>& balances);

// Creates, empty, the positions of `keys` that do not exist, in ONE multi-row upsert (an
// existing row is left as it is but takes a record lock, never a gap lock). REQUIRES:
// keys ascending and unique, 1..kMaxReservationBatch of them; their owners' cash rows are
// locked (lock order).
void ensure_positions(soci::session& session, std::span<const PositionKey> keys);

// Writes total and reserved of each locked cash row in `balances` in ONE UPDATE (nothing
// for an empty map). Asserts total >= reserved >= 0 within limits and that every row was
// found. REQUIRES: at most kMaxReservationBatch rows.
void update_cash_balances(soci::session& session, const std::string& currency,
                          const std::map<std::string, Balance>& balances);
// The same for positions (total_quantity and reserved_quantity).
void update_position_balances(soci::session& session,
                              const std::map<PositionKey, Balance>& balances);

// Inserts the account and its empty cash row. Returns false, writing nothing, if the
// account exists.
bool insert_account(soci::session& session, const std::string& user_id,
                    const std::string& currency);

struct LedgerEntry {
  std::string kind;       // "opening", "deposit", "reserve", "release", "trade"
  std::string reference;  // with kind, user and asset: the natural (unique) key
  std::string user_id;
  std::string asset;  // cash_asset() / shares_asset()
  std::int64_t total_delta = 0;
  std::int64_t reserved_delta = 0;
};

// Inserts a ledger entry. Returns false, writing nothing, if its natural key exists
// (a replay); the transaction stays usable (MySQL rolls back only the statement).
bool insert_ledger_entry(soci::session& session, const LedgerEntry& entry);

// Inserts ledger entries in ONE multi-row INSERT (nothing for an empty span). Their
// natural keys must be new: a duplicate throws (1062) and nothing is inserted.
// REQUIRES: entries.size() <= kMaxReservationBatch.
void insert_ledger_entries(soci::session& session, std::span<const LedgerEntry> entries);

enum class BalanceTable { kCash, kPosition };

// Applies `entry` to `balance` (the row locked by this transaction for entry.user_id
// and entry.asset; `key` is its currency or symbol): asserts the result keeps
// total >= reserved >= 0 within limits, inserts the ledger entry and updates the row
// and `balance`. Returns false, changing nothing, if the entry's natural key exists.
[[nodiscard]] bool post(soci::session& session, BalanceTable table, const std::string& key,
                        const LedgerEntry& entry, Balance& balance);

}  // namespace bourse::account
