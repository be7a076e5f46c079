// SQL for balances and the ledger: row locks, balance updates and ledger entries.
//
// Every function runs on the caller's session inside its transaction and lets SOCI
// exceptions propagate. Callers take the locks in the module's lock order
// (account_service.h): reservations being changed, then cash rows, then position rows.
//
// A balance changes only in the transaction that inserts its ledger entries, so it always
// equals the sum of its ledger deltas: post() for one entry (it asserts the new balance
// keeps total >= reserved >= 0), or the batch writers below, which order groups and
// settlement batches call next to insert_ledger_entries (settlement's relative updates
// leave total >= reserved >= 0 and the limits to the tables' CHECKs). Find unique-key replays by
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

#include "bourse/account/reservation.h"
#include "bourse/db/sql_batch.h"

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

// The group's reads, with FOR UPDATE for BalanceReads::kLocking (reservation.h).
std::string cash_rows_sql(std::size_t users, BalanceReads reads);
std::string position_rows_sql(std::size_t positions, BalanceReads reads);
// The position UPDATEs name their rows as OR-ed (user_id = ? AND symbol = ?) pairs, not as
// a row IN list: MariaDB 10.11 runs a single-table UPDATE whose WHERE is a ONE-element
// `(user_id, symbol) IN ((?, ?))` as a full index scan (EXPLAIN type "index", every row
// examined and, inside a transaction, every row touched by the lock), even with FORCE
// INDEX; the OR form is a range on the primary key for any count. Every batch UPDATE of
// cash_balances and positions also says FORCE INDEX (PRIMARY): without it, a list naming
// a large share of a small table (40 of 100 rows) is run as a full index scan.
std::string position_keys_condition(std::size_t positions);
std::string add_to_cash_balances_sql(std::size_t users);
std::string add_to_positions_sql(std::size_t positions);

// Reads the cash rows of `user_ids` (ascending user id) and the position rows of `keys`
// (ascending (user, symbol)) in ONE round trip, two SELECTs in one packet, locking them
// (kLocking) or not. The server runs the cash read first (lock order). Rows that do not
// exist (an unknown account, a symbol never held) are absent (under READ COMMITTED a
// locking miss takes no gap lock; under REPEATABLE READ it locks the gap after it).
// REQUIRES: user_ids ascending and unique, 1..kMaxReservationBatch; keys ascending and
// unique, 0..kMaxReservationBatch.
struct GroupBalanceRows {
  std::map<std::string, Balance> cash;
  std::map<PositionKey, Balance> positions;
};
GroupBalanceRows read_group_balances(soci::session& session, std::span<const std::string> user_ids,
                                     std::span<const PositionKey> keys, const std::string& currency,
                                     BalanceReads reads);

// What a batch adds to one balance row (units of cash, or shares): a settlement's fills
// and releases, or an order group's reservations (reserved only).
struct BalanceDelta {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
};

// Adds each delta to its cash row in ONE relative UPDATE (total_units += t, reserved_units
// += r), which locks the rows in ascending user id: the rows are locked only from here to
// the commit if the caller did not lock them before. Returns the number of rows changed: fewer than
// deltas.size() means an account without a cash row. A result that breaks the table's
// CHECKs (total >= reserved >= 0, total within kMaxAmountUnits) throws MySQL error 4025
// (db::is_check_violation). REQUIRES: 1..kMaxReservationBatch deltas, none of them zero.
std::size_t add_to_cash_balances(soci::session& session, const std::string& currency,
                                 const std::map<std::string, BalanceDelta>& deltas);
// The same for positions, in ONE relative UPDATE, ascending (user, symbol). With
// `create_missing`, ONE multi-row upsert first creates the missing rows empty and locks
// every row in that order (a buyer's first shares land in a new row); without it every
// row must exist (asserted). A negative result breaks the CHECK and throws.
void add_to_positions(soci::session& session, const std::map<PositionKey, BalanceDelta>& deltas,
                      bool create_missing);
// The UPDATEs of add_to_cash_balances and add_to_positions (without create_missing), built
// and not run, for a caller that sends them with others in one round trip (sql_batch.h).
// Same REQUIRES; they change deltas.size() rows when every row exists.
db::SqlStatement cash_balances_addition(const std::string& currency,
                                        const std::map<std::string, BalanceDelta>& deltas);
db::SqlStatement positions_addition(const std::map<PositionKey, BalanceDelta>& deltas);
// add_to_positions' first statement with create_missing: the upsert of empty rows.
db::SqlStatement positions_creation(const std::map<PositionKey, BalanceDelta>& deltas);

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
// Its INSERT, built and not run (expects entries.size() rows). REQUIRES: 1..kMaxReservationBatch.
db::SqlStatement ledger_entries_insert(std::span<const LedgerEntry> entries);

enum class BalanceTable { kCash, kPosition };

// Applies `entry` to `balance` (the row locked by this transaction for entry.user_id
// and entry.asset; `key` is its currency or symbol): asserts the result keeps
// total >= reserved >= 0 within limits, inserts the ledger entry and updates the row
// and `balance`. Returns false, changing nothing, if the entry's natural key exists.
[[nodiscard]] bool post(soci::session& session, BalanceTable table, const std::string& key,
                        const LedgerEntry& entry, Balance& balance);

}  // namespace bourse::account
