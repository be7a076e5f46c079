// AccountService::reserve_orders: hold a whole order group's cash and shares inside the
// order module's group transaction, in a constant number of statements.
#include <soci/soci.h>

#include <iterator>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
#include "bourse/common/assert.h"
#include "bourse/db/sql_batch.h"
#include "reservation_decision.h"
#include "reservation_store.h"

namespace bourse::account {
namespace {

// The reservation row and the ledger entry of one reserved order.
ReservationRow reservation_row(const ReservationRequest& request, const Reserved& reserved) {
  const bool buy = request.side == Side::kBuy;
  ReservationRow row;
  row.order_id = reserved.order_id.value();
  row.user_id = request.user_id;
  row.side = std::string(to_string(request.side));
  row.order_type = std::string(to_string(request.type));
  row.symbol = request.symbol;
  row.asset = buy ? cash_asset(kCurrency) : shares_asset(request.symbol);
  row.quantity = request.quantity.value();
  if (buy && request.type == OrderType::kLimit) row.limit_price_units = request.limit_price.units();
  row.reserved = row.remaining = buy ? reserved.cash.units() : reserved.shares.value();
  row.status = kStatusReserved;
  return row;
}

}  // namespace

Result<std::vector<ReservationDecision>> AccountService::reserve_orders(
    soci::session& session, std::span<const ReservationRequest> requests,
    const CreateOrders& create_orders, BalanceReads reads,
    std::vector<db::SqlStatement>* last_writes) {
  if (requests.empty() || requests.size() > kMaxReservationBatch) {
    return Error::invalid("1.." + std::to_string(kMaxReservationBatch) + " orders per batch",
                          "invalid_batch");
  }
  for (const ReservationRequest& request : requests) {
    if (Status valid = validate_reservation_request(request); !valid) return valid.error();
  }
  const std::string currency = kCurrency;

  // 1. The balances in one round trip, locked (lock order: every cash row by ascending
  // user id, then positions by (user, symbol)) or plainly read (BalanceReads).
  GroupBalances balances;
  const std::vector<std::string> users = users_to_lock(requests);
  const std::vector<PositionKey> keys = positions_to_lock(requests);
  GroupBalanceRows read = read_group_balances(session, users, keys, currency, reads);
  balances.cash = std::move(read.cash);
  balances.positions = std::move(read.positions);
  const GroupBalances locked = balances;

  // 2. Decide (pure).
  std::vector<ReservationDecision> decisions = decide_reservations(requests, balances);
  std::vector<std::size_t> reserved_indexes;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (std::holds_alternative<Reserved>(decisions[i])) reserved_indexes.push_back(i);
  }
  if (reserved_indexes.empty()) return decisions;

  // 3. The caller creates the reserved orders and tells their ids.
  Result<std::vector<OrderId>> order_ids = create_orders(decisions);
  if (!order_ids) return order_ids.error();
  BOURSE_ASSERT(order_ids->size() == reserved_indexes.size(), "one order id per reserved order");

  // 4. Reservation rows and ledger entries (one each per order), then the balances.
  std::vector<ReservationRow> rows;
  std::vector<LedgerEntry> entries;
  rows.reserve(reserved_indexes.size());
  entries.reserve(reserved_indexes.size());
  for (std::size_t j = 0; j < reserved_indexes.size(); ++j) {
    const std::size_t i = reserved_indexes[j];
    Reserved& reserved = std::get<Reserved>(decisions[i]);
    BOURSE_ASSERT((*order_ids)[j].valid(), "order ids are positive");
    reserved.order_id = (*order_ids)[j];
    rows.push_back(reservation_row(requests[i], reserved));
    entries.push_back(LedgerEntry{"reserve", "order:" + std::to_string(rows.back().order_id),
                                  rows.back().user_id, rows.back().asset, 0, rows.back().reserved});
  }
  std::vector<db::SqlStatement> writes;
  writes.push_back(reservations_insert(rows));
  writes.push_back(ledger_entries_insert(entries));
  // 5. Last, what the group reserved is ADDED to the rows whose reserved amount moved (in
  // the lock order: cash, then positions): under kOptimistic these are its first locks on
  // them, and the CHECK total >= reserved is what proves the decisions still fit. Under
  // locks the decisions cannot be overtaken: a CHECK failure there is a bug (thrown).
  std::optional<Error> moved;
  if (reads == BalanceReads::kOptimistic) {
    moved = Error{ErrorCode::kConflict,
                  "the balances changed between the read and the reservation; run the group "
                  "again with locking reads",
                  kBalancesMovedReason};
  }
  std::map<std::string, BalanceDelta> cash_deltas;
  for (const auto& [user_id, balance] : balances.cash) {
    const std::int64_t added = balance.reserved - locked.cash.at(user_id).reserved;
    BOURSE_ASSERT(added >= 0, "a group only reserves");
    if (added > 0) cash_deltas.emplace(user_id, BalanceDelta{0, added});
  }
  if (!cash_deltas.empty()) {
    writes.push_back(cash_balances_addition(currency, cash_deltas));
    writes.back().on_check_violation = moved;
    // The cash rows read are there (never deleted).
    writes.back().expected_rows = static_cast<long long>(cash_deltas.size());
  }
  std::map<PositionKey, BalanceDelta> position_deltas;
  for (const auto& [key, balance] : balances.positions) {
    const std::int64_t added = balance.reserved - locked.positions.at(key).reserved;
    BOURSE_ASSERT(added >= 0, "a group only reserves");
    if (added > 0) position_deltas.emplace(key, BalanceDelta{0, added});
  }
  if (!position_deltas.empty()) {
    writes.push_back(positions_addition(position_deltas));
    writes.back().on_check_violation = moved;
    writes.back().expected_rows = static_cast<long long>(position_deltas.size());
  }
  if (last_writes != nullptr) {
    std::move(writes.begin(), writes.end(), std::back_inserter(*last_writes));
    return decisions;
  }
  auto written = db::execute_statements(session, writes);
  if (!written) return written.error();
  return decisions;
}

}  // namespace bourse::account
