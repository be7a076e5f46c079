// AccountService: opening accounts, deposits and reading balances, each in its own
// transaction on the pool. The order-driven calls live in reserve_for_order.cc,
// release_reservation.cc and settle_trade.cc.
#include "bourse/account/account_service.h"

#include <soci/soci.h>

#include "asset.h"
#include "balance_store.h"
#include "bourse/common/ids.h"
#include "bourse/common/limits.h"
#include "bourse/db/sql_error.h"

namespace bourse::account {
namespace {

Error unknown_account(std::string_view user_id) {
  return Error{ErrorCode::kNotFound, "no account for user " + std::string(user_id),
               "unknown_account"};
}

Status validate_reference(std::string_view reference) {
  if (reference.empty() || reference.size() > limits::kMaxIdempotencyKeyLength) {
    return Error::invalid("idempotency reference must have 1 to " +
                              std::to_string(limits::kMaxIdempotencyKeyLength) + " characters",
                          "invalid_idempotency_key");
  }
  for (char c : reference) {
    if (c < 0x21 || c > 0x7e) {
      return Error::invalid("idempotency reference must be printable ASCII without spaces",
                            "invalid_idempotency_key");
    }
  }
  return Status::success();
}

// The deposit claim: the first request with (user, reference) inserts it. A replay
// finds it and compares what was deposited.
enum class Claim { kNew, kReplay, kReused };

Claim claim_deposit(soci::session& session, const std::string& user_id,
                    const std::string& reference, const std::string& asset, std::int64_t amount) {
  long long amount_value = amount;
  try {
    session
        << "INSERT INTO deposits (user_id, reference, asset, amount) VALUES (:v1, :v2, :v3, :v4)",
        soci::use(user_id), soci::use(reference), soci::use(asset), soci::use(amount_value);
    return Claim::kNew;
  } catch (const std::exception& error) {
    if (!db::is_duplicate_key(error)) throw;
  }
  std::string stored_asset;
  long long stored_amount = 0;
  session
      << "SELECT asset, amount FROM deposits WHERE user_id = :v5 AND reference = :v6 FOR UPDATE",
      soci::use(user_id), soci::use(reference), soci::into(stored_asset), soci::into(stored_amount);
  BOURSE_ASSERT(session.got_data(), "a duplicate deposit claim is readable");
  return stored_asset == asset && stored_amount == amount ? Claim::kReplay : Claim::kReused;
}

// Books `amount` of `asset` into the user's locked balance and the matching contra
// entry against @external, so the (kind, reference, asset) group sums to zero.
void book_inflow(soci::session& session, const std::string& kind, const std::string& reference,
                 const std::string& user_id, BalanceTable table, const std::string& key,
                 const std::string& asset, std::int64_t amount, Balance& balance) {
  if (amount == 0) return;
  const bool posted =
      post(session, table, key, LedgerEntry{kind, reference, user_id, asset, amount, 0}, balance);
  BOURSE_ASSERT(posted, "an inflow's ledger entry is new (its claim was new)");
  const bool contra_is_new = insert_ledger_entry(
      session, LedgerEntry{kind, reference, kExternalAccount, asset, -amount, 0});
  BOURSE_ASSERT(contra_is_new, "the contra entry is new with its user entry");
}

}  // namespace

Status AccountService::open_account(std::string_view user_id, Amount cash,
                                    const std::map<std::string, Quantity>& positions) {
  if (auto valid = validate_user_id(user_id); !valid) return valid;
  if (cash.is_negative()) return Error::invalid("cash must not be negative", "invalid_amount");
  if (positions.size() > kMaxOpeningPositions) {
    return Error{ErrorCode::kOutOfRange,
                 "at most " + std::to_string(kMaxOpeningPositions) + " opening positions",
                 "too_many_positions"};
  }
  for (const auto& [symbol, quantity] : positions) {
    if (auto valid = validate_symbol(symbol); !valid) return valid;
    if (quantity.value() < 0) {
      return Error::invalid("position quantity must not be negative", "invalid_quantity");
    }
  }
  const std::string user(user_id);
  const std::string currency = kCurrency;
  const std::string reference = "account:" + user;
  Status status = pool_.in_transaction([&](soci::session& session) -> Status {
    if (!insert_account(session, user, currency)) {
      return Error{ErrorCode::kConflict, "account " + user + " already exists", "account_exists"};
    }
    auto cash_balance = lock_cash(session, user, currency);
    BOURSE_ASSERT(cash_balance.has_value(), "the new cash row is readable");
    book_inflow(session, "opening", reference, user, BalanceTable::kCash, currency,
                cash_asset(currency), cash.units(), *cash_balance);
    // std::map iterates in symbol order: the lock order.
    for (const auto& [symbol, quantity] : positions) {
      Balance position = lock_or_create_position(session, user, symbol);
      book_inflow(session, "opening", reference, user, BalanceTable::kPosition, symbol,
                  shares_asset(symbol), quantity.value(), position);
    }
    return Status::success();
  });
  if (!status && status.error().reason == db::kDuplicateKeyReason) {
    // A concurrent open of the same account won the insert.
    return Error{ErrorCode::kConflict, "account " + user + " already exists", "account_exists"};
  }
  return status;
}

Result<DepositOutcome> AccountService::deposit_cash(std::string_view user_id, Amount cash,
                                                    std::string_view reference) {
  if (auto valid = validate_user_id(user_id); !valid) return valid.error();
  if (auto valid = validate_reference(reference); !valid) return valid.error();
  if (cash.units() <= 0) return Error::invalid("deposit must be positive", "invalid_amount");
  const std::string user(user_id);
  const std::string key(reference);
  const std::string currency = kCurrency;
  const std::string asset = cash_asset(currency);
  DepositOutcome outcome;
  Status status = pool_.in_transaction([&](soci::session& session) -> Status {
    outcome = DepositOutcome{};
    auto balance = lock_cash(session, user, currency);
    if (!balance) return unknown_account(user);
    switch (claim_deposit(session, user, key, asset, cash.units())) {
      case Claim::kReplay:
        outcome.replayed = true;
        return Status::success();
      case Claim::kReused:
        return Error{ErrorCode::kConflict, "idempotency reference was used for a different deposit",
                     "idempotency_key_reused"};
      case Claim::kNew:
        break;
    }
    if (auto next = Amount::from_units(balance->total).checked_add(cash);
        !next || next->units() > limits::kMaxAmountUnits) {
      return Error{ErrorCode::kOutOfRange, "balance would exceed the maximum amount",
                   "amount_out_of_range"};
    }
    book_inflow(session, "deposit", user + "/" + key, user, BalanceTable::kCash, currency, asset,
                cash.units(), *balance);
    return Status::success();
  });
  if (!status) return status.error();
  return outcome;
}

Result<DepositOutcome> AccountService::deposit_shares(std::string_view user_id,
                                                      std::string_view symbol, Quantity quantity,
                                                      std::string_view reference) {
  if (auto valid = validate_user_id(user_id); !valid) return valid.error();
  if (auto valid = validate_symbol(symbol); !valid) return valid.error();
  if (auto valid = validate_reference(reference); !valid) return valid.error();
  if (quantity.value() <= 0) return Error::invalid("deposit must be positive", "invalid_quantity");
  const std::string user(user_id);
  const std::string key(reference);
  const std::string sym(symbol);
  const std::string asset = shares_asset(sym);
  DepositOutcome outcome;
  Status status = pool_.in_transaction([&](soci::session& session) -> Status {
    outcome = DepositOutcome{};
    if (!lock_cash(session, user, kCurrency)) return unknown_account(user);
    switch (claim_deposit(session, user, key, asset, quantity.value())) {
      case Claim::kReplay:
        outcome.replayed = true;
        return Status::success();
      case Claim::kReused:
        return Error{ErrorCode::kConflict, "idempotency reference was used for a different deposit",
                     "idempotency_key_reused"};
      case Claim::kNew:
        break;
    }
    Balance position = lock_or_create_position(session, user, sym);
    if (position.total > limits::kMaxQuantity - quantity.value()) {
      return Error{ErrorCode::kOutOfRange, "position would exceed the maximum quantity",
                   "quantity_out_of_range"};
    }
    book_inflow(session, "deposit", user + "/" + key, user, BalanceTable::kPosition, sym, asset,
                quantity.value(), position);
    return Status::success();
  });
  if (!status) return status.error();
  return outcome;
}

Result<AccountSnapshot> AccountService::get_account(std::string_view user_id) {
  if (auto valid = validate_user_id(user_id); !valid) return valid.error();
  const std::string user(user_id);
  const std::string currency = kCurrency;
  AccountSnapshot snapshot;
  // One transaction: both reads see the same (REPEATABLE READ) snapshot.
  Status status = pool_.in_transaction([&](soci::session& session) -> Status {
    snapshot = AccountSnapshot{};
    long long total = 0;
    long long reserved = 0;
    session << "SELECT total_units, reserved_units FROM cash_balances "
               "WHERE user_id = :v7 AND currency = :v8",
        soci::use(user), soci::use(currency), soci::into(total), soci::into(reserved);
    if (!session.got_data()) return unknown_account(user);
    BOURSE_ASSERT(reserved >= 0 && total >= reserved, "cash total >= reserved >= 0");
    snapshot.user_id = user;
    snapshot.cash = CashBalance{currency, Amount::from_units(total), Amount::from_units(reserved),
                                Amount::from_units(total - reserved)};
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT symbol, total_quantity, reserved_quantity FROM positions "
                            "WHERE user_id = :v9 ORDER BY symbol LIMIT " +
                                std::to_string(kMaxPositionsShown),
         soci::use(user));
    for (const soci::row& row : rows) {
      const long long quantity = row.get<long long>(1);
      const long long held = row.get<long long>(2);
      BOURSE_ASSERT(held >= 0 && quantity >= held, "position total >= reserved >= 0");
      snapshot.positions.push_back(Position{row.get<std::string>(0), Quantity::of(quantity),
                                            Quantity::of(held), Quantity::of(quantity - held)});
    }
    return Status::success();
  });
  if (!status) return status.error();
  return snapshot;
}

}  // namespace bourse::account
