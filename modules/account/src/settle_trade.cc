// AccountService::settle_trade: move cash and shares for one trade, exactly once.
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
#include "bourse/common/ids.h"
#include "bourse/common/limits.h"
#include "bourse/db/sql_error.h"
#include "reservation_store.h"

namespace bourse::account {
namespace {

Error bad_settlement(std::string message) {
  return Error{ErrorCode::kInternal, "trade does not fit its reservations: " + std::move(message),
               "settlement_mismatch"};
}

Status validate(const TradeSettlement& trade) {
  if (!trade.trade_id.valid() || !trade.buy_order_id.valid() || !trade.sell_order_id.valid()) {
    return Error::invalid("trade and order ids must be positive", "invalid_id");
  }
  if (trade.buy_order_id == trade.sell_order_id) {
    return Error::invalid("a trade needs two different orders", "invalid_id");
  }
  if (auto valid = validate_user_id(trade.buyer); !valid) return valid;
  if (auto valid = validate_user_id(trade.seller); !valid) return valid;
  if (auto valid = validate_symbol(trade.symbol); !valid) return valid;
  if (trade.price.units() <= 0)
    return Error::invalid("trade price must be positive", "invalid_price");
  if (trade.quantity.value() <= 0) {
    return Error::invalid("trade quantity must be positive", "invalid_quantity");
  }
  return Status::success();
}

// The exactly-once claim: false if the trade was settled before.
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

Status check_fill(const ReservationRow& row, const std::string& user, const char* side,
                  const TradeSettlement& trade) {
  const std::string order = "order " + std::to_string(row.order_id);
  if (row.user_id != user) return bad_settlement(order + " belongs to another user");
  if (row.side != side) return bad_settlement(order + " is on the other side");
  if (row.symbol != trade.symbol) return bad_settlement(order + " is for another symbol");
  if (row.status != kStatusReserved) return bad_settlement(order + " holds no open reservation");
  if (trade.quantity.value() > row.quantity - row.filled_quantity) {
    return bad_settlement(order + " would be overfilled");
  }
  return Status::success();
}

struct Delta {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
};

}  // namespace

Result<SettlementOutcome> AccountService::settle_trade(soci::session& session,
                                                       const TradeSettlement& trade) {
  if (auto valid = validate(trade); !valid) return valid.error();
  auto notional = trade.price.checked_mul(trade.quantity);
  if (!notional) return bad_settlement("price x quantity exceeds the maximum amount");
  const std::int64_t paid = notional->units();
  const std::int64_t quantity = trade.quantity.value();
  const std::string currency = kCurrency;

  // Lock order: accounts by user id; in each, the cash row, then the position.
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
  // Then the reservations, by order id.
  const std::int64_t first_order = std::min(trade.buy_order_id, trade.sell_order_id).value();
  const std::int64_t second_order = std::max(trade.buy_order_id, trade.sell_order_id).value();
  auto first = lock_reservation(session, first_order);
  auto second = lock_reservation(session, second_order);
  if (!first || !second) return bad_settlement("an order has no reservation");
  ReservationRow& buy = first_order == trade.buy_order_id.value() ? *first : *second;
  ReservationRow& sell = first_order == trade.buy_order_id.value() ? *second : *first;

  if (!claim_trade(session, trade)) {
    SettlementOutcome replay;
    replay.replayed = true;
    return replay;
  }
  if (auto fits = check_fill(buy, trade.buyer, "BUY", trade); !fits) return fits.error();
  if (auto fits = check_fill(sell, trade.seller, "SELL", trade); !fits) return fits.error();

  // The buyer's reservation shrinks by what this fill held: limit x quantity for a
  // limit buy (the price improvement goes back), what was spent for a market buy.
  std::int64_t consumed = paid;
  if (buy.limit_price_units) {
    if (trade.price.units() > *buy.limit_price_units) {
      return bad_settlement("trade price above the buy limit");
    }
    // limit x quantity <= limit x unfilled == remaining: within limits.
    consumed = *buy.limit_price_units * quantity;
  }
  if (consumed > buy.remaining) return bad_settlement("market buy past its cash cap");
  buy.filled_quantity += quantity;
  buy.remaining -= consumed;
  std::int64_t leftover = 0;
  if (buy.filled_quantity == buy.quantity) {
    leftover = buy.remaining;  // a market buy's unspent cap
    buy.remaining = 0;
    buy.status = kStatusCompleted;
  }
  sell.filled_quantity += quantity;
  sell.remaining -= quantity;
  if (sell.filled_quantity == sell.quantity) sell.status = kStatusCompleted;

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
  const std::string reference = "trade:" + std::to_string(trade.trade_id.value());
  for (const auto& [key, delta] : deltas) {
    if (delta.total == 0 && delta.reserved == 0) continue;
    const bool is_cash = key.second == cash_name;
    LedgerEntry entry{"trade", reference, key.first, key.second, delta.total, delta.reserved};
    const bool posted =
        is_cash ? post(session, BalanceTable::kCash, currency, entry, cash[key.first])
                : post(session, BalanceTable::kPosition, trade.symbol, entry, shares[key.first]);
    BOURSE_ASSERT(posted, "one trade entry per account and asset (the trade claim was new)");
  }
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
