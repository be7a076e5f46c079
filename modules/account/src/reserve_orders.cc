// AccountService::reserve_orders: hold a whole order group's cash and shares inside the
// order module's group transaction, in a constant number of statements.
#include <soci/soci.h>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
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
    const CreateOrders& create_orders) {
  if (requests.empty() || requests.size() > kMaxReservationBatch) {
    return Error::invalid("1.." + std::to_string(kMaxReservationBatch) + " orders per batch",
                          "invalid_batch");
  }
  for (const ReservationRequest& request : requests) {
    if (Status valid = validate_reservation_request(request); !valid) return valid.error();
  }
  const std::string currency = kCurrency;

  // 1. Lock order: every cash row (ascending user id), then positions by (user, symbol).
  GroupBalances balances;
  const std::vector<std::string> users = users_to_lock(requests);
  balances.cash = lock_cash_rows(session, users, currency);
  const std::vector<PositionKey> keys = positions_to_lock(requests, balances.cash);
  if (!keys.empty()) balances.positions = lock_position_rows(session, keys);
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
  insert_reservations(session, rows);
  insert_ledger_entries(session, entries);
  // Only the rows whose reserved amount moved are written.
  std::map<std::string, Balance> changed_cash;
  for (const auto& [user_id, balance] : balances.cash) {
    if (balance.reserved != locked.cash.at(user_id).reserved)
      changed_cash.emplace(user_id, balance);
  }
  std::map<PositionKey, Balance> changed_positions;
  for (const auto& [key, balance] : balances.positions) {
    if (balance.reserved != locked.positions.at(key).reserved) {
      changed_positions.emplace(key, balance);
    }
  }
  update_reserved_cash(session, currency, changed_cash);
  update_reserved_positions(session, changed_positions);
  return decisions;
}

}  // namespace bourse::account
