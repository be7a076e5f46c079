// The account module's facade: accounts, cash and share balances, the double-entry
// ledger and the reservations that back every open order.
//
// Owns the tables accounts, cash_balances, positions, ledger_entries, reservations
// and settled_trades (migrations/0100_accounts.sql); nothing else writes them.
//
// Two kinds of calls:
//   - open_account / deposit_* / get_account run their own transaction on the pool
//     and return errors as values; SOCI exceptions never escape them.
//   - reserve_for_order / release_reservation / settle_trade run INSIDE the caller's
//     transaction (the exactly-once consumer that stores its Kafka offset in the same
//     transaction). They return an Error for a request that can never succeed
//     (invalid fields, a trade that does not fit the reservations: a poison message),
//     and let SOCI exceptions PROPAGATE, so the caller's transaction rolls back and
//     ConnectionPool::in_transaction retries deadlocks and lock-wait timeouts. After
//     any Error or exception the caller must roll back: some rows may be written.
//     One event per transaction: the lock order below holds within one call only.
//
// Lock order (no deadlock between any number of instances): accounts are locked in
// ascending user_id (byte order); within an account its cash row first, then its
// position rows in ascending symbol order; then reservation rows in ascending
// order id; then the settled_trades / ledger rows inserted. Every write to an
// account's rows happens while holding its cash row lock (SELECT ... FOR UPDATE).
//
// Invariants, asserted before each write and after each read: for every balance
// total >= reserved >= 0; every balance equals the sum of its ledger deltas; every
// ledger group (kind, reference, asset) sums to zero in total (deposits are booked
// against the pseudo-account "@external"); an open reservation's remaining amount is
// what its order still holds, and reserved balances equal the sum of them.
//
// Thread-safety: an AccountService is stateless apart from the pool reference and may
// be shared by any number of threads. Every call blocks on the database: call it from
// a worker thread, never from an I/O thread. It has no threads of its own.
#pragma once

#include <soci/session.h>

#include <map>
#include <string>
#include <string_view>

#include "bourse/account/account_snapshot.h"
#include "bourse/account/reservation.h"
#include "bourse/account/reservation_release.h"
#include "bourse/account/settlement.h"
#include "bourse/common/error.h"
#include "bourse/common/money.h"
#include "bourse/db/connection_pool.h"

namespace bourse::account {

// Opening positions are one request body: bound them like everything else.
inline constexpr std::size_t kMaxOpeningPositions = 1'000;
// get_account shows at most this many positions (in symbol order): the answer is one
// HTTP body and must stay bounded.
inline constexpr std::size_t kMaxPositionsShown = 1'000;

struct DepositOutcome {
  // True when this reference had already been applied: nothing changed this time.
  bool replayed = false;
};

class AccountService {
 public:
  // `pool` must outlive the service.
  explicit AccountService(db::ConnectionPool& pool) : pool_(pool) {}

  // Creates the account with its opening cash and positions (ledger kind "opening").
  // Errors: invalid user id or symbol, negative values, more than kMaxOpeningPositions
  // (kInvalidArgument / kOutOfRange); kConflict (reason "account_exists") if the
  // account exists; kUnavailable / kInternal from the database.
  Status open_account(std::string_view user_id, Amount cash,
                      const std::map<std::string, Quantity>& positions);

  // Adds cash (> 0) to the account, exactly once per (user_id, reference): the HTTP
  // layer passes the user-scoped Idempotency-Key. A replay reports replayed = true; a
  // replay with a different amount is kConflict ("idempotency_key_reused").
  // Errors: kNotFound ("unknown_account"), invalid arguments, database errors.
  Result<DepositOutcome> deposit_cash(std::string_view user_id, Amount cash,
                                      std::string_view reference);
  // Adds shares (> 0) of `symbol`; same rules as deposit_cash.
  Result<DepositOutcome> deposit_shares(std::string_view user_id, std::string_view symbol,
                                        Quantity quantity, std::string_view reference);

  // Cash and positions read in one consistent snapshot. kNotFound if absent.
  Result<AccountSnapshot> get_account(std::string_view user_id);

  // Decides, once per order id, whether the order's cash (BUY) or shares (SELL) can be
  // held, and holds them. Rejections are recorded too. Runs in the caller's
  // transaction (see above). Errors only for an invalid request or an order id that
  // was already used for a different order (kConflict "order_id_reused").
  Result<ReservationOutcome> reserve_for_order(soci::session& session,
                                               const ReservationRequest& request);

  // Returns what `order_id` still holds to available (ledger kind "release", keyed by
  // `reference`, e.g. the cancellation event id). Idempotent per order.
  Result<ReleaseOutcome> release_reservation(soci::session& session, OrderId order_id,
                                             std::string_view reference);

  // Settles one trade exactly once per trade id (see settlement.h). Errors when the
  // trade does not fit the two reservations (unknown or closed order, wrong user or
  // symbol, overfill, buy price above the limit or past a market buy's cap): that is
  // a bug upstream, the caller dead-letters the event and alerts.
  Result<SettlementOutcome> settle_trade(soci::session& session, const TradeSettlement& trade);

 private:
  db::ConnectionPool& pool_;
};

}  // namespace bourse::account
