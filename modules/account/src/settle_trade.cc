// AccountService::settle_trade: move cash and shares for one trade, exactly once.
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
#include "bourse/common/assert.h"
#include "bourse/common/ids.h"
#include "bourse/common/limits.h"
#include "bourse/db/sql_error.h"
#include "reservation_store.h"
#include "trade_fill.h"

namespace bourse::account {
namespace {

// The exactly-once claim: false if the trade was settled before. Its legs are set once the
// fill is applied (settle_batch writes claim and legs in one INSERT).
bool claim_trade(soci::session& session, const TradeSettlement& trade) {
  long long trade_id = trade.trade_id.value(), buy_order = trade.buy_order_id.value(),
            sell_order = trade.sell_order_id.value(), price = trade.price.units(),
            quantity = trade.quantity.value();
  try {
    session << "INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, symbol, "
               "price_units, quantity) VALUES (:v1, :v2, :v3, :v4, :v5, :v6)",
        soci::use(trade_id), soci::use(buy_order), soci::use(sell_order), soci::use(trade.symbol),
        soci::use(price), soci::use(quantity);
    return true;
  } catch (const std::exception& error) {
    if (db::is_duplicate_key(error)) return false;
    throw;
  }
}

struct Delta {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
};

}  // namespace

Result<SettlementOutcome> AccountService::settle_trade(soci::session& session,
                                                       const TradeSettlement& trade) {
  if (auto valid = validate_trade(trade); !valid) return valid.error();
  auto notional = trade.price.checked_mul(trade.quantity);
  if (!notional) return bad_settlement("price x quantity exceeds the maximum amount");
  const std::int64_t paid = notional->units();
  const std::int64_t quantity = trade.quantity.value();
  const std::string currency = kCurrency;

  // Lock order: the reservations by order id, then accounts by user id; in each, the
  // cash row, then the position.
  const std::int64_t first_order = std::min(trade.buy_order_id, trade.sell_order_id).value();
  const std::int64_t second_order = std::max(trade.buy_order_id, trade.sell_order_id).value();
  auto first = lock_reservation(session, first_order);
  auto second = lock_reservation(session, second_order);
  if (!first || !second) return bad_settlement("an order has no reservation");
  ReservationRow& buy = first_order == trade.buy_order_id.value() ? *first : *second;
  ReservationRow& sell = first_order == trade.buy_order_id.value() ? *second : *first;
  std::vector<std::string> users{trade.buyer, trade.seller};
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  std::map<std::string, Balance> cash;
  std::map<std::string, Balance> shares;
  for (const std::string& user : users) {
    auto balance = lock_cash(session, user, currency);
    if (!balance) return bad_settlement("no account for " + user);
    cash[user] = *balance;
    shares[user] = lock_or_create_position(session, user, trade.symbol);
  }

  if (!claim_trade(session, trade)) {
    SettlementOutcome replay;
    replay.replayed = true;
    return replay;
  }
  auto fill = apply_fill(buy, sell, trade);
  if (!fill) return fill.error();
  const std::int64_t consumed = fill->consumed;
  const std::int64_t leftover = fill->leftover;

  // Net deltas per (user, asset): a self-trade nets to reserved-only changes.
  std::map<std::pair<std::string, std::string>, Delta> deltas;
  const std::string cash_name = cash_asset(currency);
  const std::string shares_name = shares_asset(trade.symbol);
  auto add = [&deltas](const std::string& user, const std::string& asset, std::int64_t total,
                       std::int64_t reserved) {
    Delta& delta = deltas[{user, asset}];
    delta.total += total;
    delta.reserved += reserved;
  };
  add(trade.buyer, cash_name, -paid, -(consumed + leftover));
  add(trade.buyer, shares_name, quantity, 0);
  add(trade.seller, shares_name, -quantity, -quantity);
  add(trade.seller, cash_name, paid, 0);

  // Check the results before writing anything else: a balance past its limit is a
  // bad event (dead letter), not a crash.
  for (const auto& [key, delta] : deltas) {
    const bool is_cash = key.second == cash_name;
    const Balance& balance = is_cash ? cash[key.first] : shares[key.first];
    const std::int64_t limit = is_cash ? limits::kMaxAmountUnits : limits::kMaxQuantity;
    if (balance.total + delta.total > limit)
      return bad_settlement("a balance would exceed its limit");
  }
  // The legs (bourse/account/ledger.h): the claim's row becomes the trade's journal row.
  long long trade_id = trade.trade_id.value(), paid_units = paid,
            buyer_reserved = consumed + leftover;
  session << "UPDATE settled_trades SET buyer = :buyer, seller = :seller, paid_units = :paid, "
             "buyer_reserved_units = :reserved WHERE trade_id = :id",
      soci::use(trade.buyer), soci::use(trade.seller), soci::use(paid_units),
      soci::use(buyer_reserved), soci::use(trade_id);
  std::map<std::string, BalanceDelta> cash_changes;
  std::map<PositionKey, BalanceDelta> position_changes;
  for (const auto& [key, delta] : deltas) {
    if (delta.total == 0 && delta.reserved == 0) continue;
    const BalanceDelta change{delta.total, delta.reserved};
    if (key.second == cash_name) {
      cash_changes.emplace(key.first, change);
    } else {
      position_changes.emplace(PositionKey{key.first, trade.symbol}, change);
    }
  }
  if (!cash_changes.empty()) {
    const std::size_t changed = add_to_cash_balances(session, currency, cash_changes);
    BOURSE_ASSERT(changed == cash_changes.size(), "the traders' cash rows are locked above");
  }
  if (!position_changes.empty()) add_to_positions(session, position_changes, false);
  update_reservation(session, *first);
  update_reservation(session, *second);

  SettlementOutcome outcome;
  outcome.cash_paid = *notional;
  outcome.buyer_cash_released = Amount::from_units(consumed - paid + leftover);
  outcome.buy_order_completed = buy.status == kStatusCompleted;
  outcome.sell_order_completed = sell.status == kStatusCompleted;
  return outcome;
}

}  // namespace bourse::account
