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
#include <optional>
#include <string>
#include <string_view>

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

enum class BalanceTable { kCash, kPosition };

// Applies `entry` to `balance` (the row locked by this transaction for entry.user_id
// and entry.asset; `key` is its currency or symbol): asserts the result keeps
// total >= reserved >= 0 within limits, inserts the ledger entry and updates the row
// and `balance`. Returns false, changing nothing, if the entry's natural key exists.
[[nodiscard]] bool post(soci::session& session, BalanceTable table, const std::string& key,
                        const LedgerEntry& entry, Balance& balance);

}  // namespace bourse::account
