// The account module's facade: accounts, cash and share balances, the double-entry
// ledger and the reservations that back every open order.
//
// Owns the tables accounts, cash_balances, positions, ledger_entries, reservations,
// deposits and settled_trades (migrations/0100_accounts.sql) and account_outbox; nothing
// else writes them.
//
// Two kinds of calls:
//   - open_account / deposit_* / get_account run their own transaction on the pool
//     and return errors as values; SOCI exceptions never escape them.
//   - reserve_orders / release_reservation / settle_trade / settle_batch run INSIDE the caller's
//     transaction (the order module's group commit, or an exactly-once consumer that
//     stores its Kafka offset in the same transaction). They return an Error for a
//     request that can never succeed (invalid fields, a trade that does not fit the
//     reservations: a poison message), and let SOCI exceptions PROPAGATE, so the caller's
//     transaction rolls back and can be retried after a deadlock or lock-wait timeout.
//     After any Error or exception the caller must roll back: some rows may be written.
//
// Lock order, in every transaction that touches accounts, whatever the number of
// accounts (no deadlock between any number of instances): first the EXISTING reservation
// rows it changes, in ascending order id (settlement and release only: an order group
// inserts new reservations and never locks an existing one); then the cash rows of ALL
// the accounts involved, in ascending user_id (byte order); then position rows in
// ascending (user_id, symbol). Inserts of new keys (reservations, settled_trades claims,
// ledger rows) come anywhere after the first locks. Settlement, and order groups read
// kOptimistic, take their cash and position locks last: their balance changes are
// relative UPDATEs, their final account writes, so each waits for the other's last writes
// and commit, not for a whole batch or group. Every balance change and its ledger
// entries commit together.
// Within one call the module keeps this order; a caller that makes several calls in one
// transaction must order them the same way or accept deadlock retries.
//
// Invariants, asserted before each write and after each read, and table CHECKs where a
// write adds to a balance it did not read (settlement): for every balance
// total >= reserved >= 0 and total within kMaxAmountUnits / kMaxQuantity; every balance
// equals the sum of its deltas in the ledger of record (ledger.h); every
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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/account/account_snapshot.h"
#include "bourse/account/reservation.h"
#include "bourse/account/reservation_release.h"
#include "bourse/account/events.h"
#include "bourse/account/settlement.h"
#include "bourse/common/error.h"
#include "bourse/common/money.h"
#include "bourse/db/connection_pool.h"

namespace bourse::account {

// The account module's outbox table (defined with the event contracts, events.h):
// settlement publishes TradeSettled and ReservationReleased through it.
using events::kOutboxTable;

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

  // Reserves an order group's cash (BUY) or shares (SELL), in the caller's transaction,
  // with a constant number of statements whatever the group's size: it reads (kLocking:
  // locks) every requester's cash row (one SELECT, ascending user id) and the positions
  // of the sells (one more), decides each order in request order (decisions are a pure
  // function of those balances: an order that does not fit is Rejected and the next ones
  // are still decided), calls `create_orders` once with the decisions if any order is
  // reserved (the caller inserts its orders and returns their ids), then writes one reservation row
  // and one "reserve" ledger entry per reserved order and, last, adds the reserved amounts
  // to the balances (one relative multi-row UPDATE for cash, one for positions). Nothing
  // is written for a rejected order.
  // Returns one decision per request, in order; Reserved carries the caller's order id.
  // Errors: kInvalidArgument for an empty or oversized batch (1..kMaxReservationBatch) or a
  // request that no validated order could produce; any error of `create_orders`.
  // The caller should run it under db::Isolation::kReadCommitted: a lookup that finds no
  // row (an unknown account, a symbol never held) then takes no gap lock.
  // `reads`: see BalanceReads (reservation.h); kOptimistic may return kConflict with
  // reason kBalancesMovedReason, after which the caller must roll back.
  // The writes after `create_orders` (reservations, ledger entries, the two balance
  // UPDATEs) need nothing back, so they go to the server in one round trip. With
  // `last_writes`, they are not sent at all but appended to it, in order, for the caller
  // to send before anything else with its own last writes and its COMMIT
  // (db::ConnectionPool::in_transaction_ending_with). Then the "balances moved" refusal
  // comes from that batch: the balance UPDATEs carry it as their on_check_violation.
  Result<std::vector<ReservationDecision>> reserve_orders(
      soci::session& session, std::span<const ReservationRequest> requests,
      const CreateOrders& create_orders, BalanceReads reads = BalanceReads::kLocking,
      std::vector<db::SqlStatement>* last_writes = nullptr);

  // Returns what `order_id` still holds to available (ledger kind "release", keyed by
  // `reference`, e.g. the cancellation event id). Idempotent per order.
  Result<ReleaseOutcome> release_reservation(soci::session& session, OrderId order_id,
                                             std::string_view reference);

  // Settles one trade exactly once per trade id (see settlement.h). Errors when the
  // trade does not fit the two reservations (unknown or closed order, wrong user or
  // symbol, overfill, buy price above the limit or past a market buy's cap): that is
  // a bug upstream, the caller dead-letters the event and alerts.
  Result<SettlementOutcome> settle_trade(soci::session& session, const TradeSettlement& trade);

  // Settles a batch of fills and order ends in the caller's transaction (the settlement
  // consumer's batch), in input order, with a number of statements that does not grow
  // with the number of fills of one account: every balance row changed by the batch is
  // written ONCE (one multi-row UPDATE per table), so a busy account costs one UPDATE per
  // batch, not one per trade.
  //   - TradeFill: exactly once per trade id (a trade settled before, or earlier in the
  //     same batch, is skipped and publishes nothing). Cash moves buyer -> seller at the
  //     trade price, shares seller -> buyer, booked as the legs of the trade's
  //     settled_trades row (its claim; bourse/account/ledger.h); the buy reservation
  //     shrinks by limit x q (price improvement released) or, for a market buy, by what
  //     was spent; at an order's last fill (remaining 0) its leftover is released and the
  //     reservation COMPLETED. Emits TradeSettled (done flags, executed_at copied,
  //     settled_at as given).
  //   - OrderEnd: releases what the order still holds (ledger kind "release", reference
  //     "order:<id>"), reservation RELEASED; ALWAYS emits ReservationReleased (0 when
  //     nothing was left: already completed or released, or no reservation known).
  // Locks in the module's lock order: first the batch's reservations by order id (one
  // SELECT ... FOR UPDATE), and only at the end, with its last writes, the cash rows (one
  // relative UPDATE, ascending user) and positions (one upsert creating missing rows
  // empty, then one relative UPDATE, ascending (user, symbol)). A result that breaks a
  // balance CHECK (total >= reserved >= 0, the limits) is an Error like a misfit.
  // Returns one event per applied input, in input order. Errors (poison: the caller rolls
  // back and dead-letters): invalid fields, more than kMaxSettlementBatch inputs, a fill
  // that does not fit its reservations (as settle_trade) or whose remaining quantities
  // disagree with them, an order end whose user, side or symbol differ from the
  // reservation's. SOCI exceptions propagate.
  // Its writes after the reservations' locking read (claims with their legs, releases,
  // reservations, balances) need nothing back and go in one round trip; with `last_writes` they are
  // appended to it instead, for the caller to send with its COMMIT (as reserve_orders):
  // a balance CHECK failure then comes back from that batch as the same Error.
  // With `balance_writes` too, the balance updates (cash, then positions) go there instead
  // of into `last_writes`, for the caller to send after its own writes, just before the
  // COMMIT: the balance rows are the ones order entry waits for, so they are locked last.
  Result<std::vector<SettlementEvent>> settle_batch(
      soci::session& session, std::span<const SettlementInput> inputs, std::string_view settled_at,
      std::vector<db::SqlStatement>* last_writes = nullptr,
      std::vector<db::SqlStatement>* balance_writes = nullptr);

 private:
  db::ConnectionPool& pool_;
};

}  // namespace bourse::account
