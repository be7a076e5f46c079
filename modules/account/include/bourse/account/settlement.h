// Settling one trade: cash moves buyer -> seller at the TRADE price, shares move
// seller -> buyer, and both orders' reservations shrink by what the fill consumed.
//
// The buyer's reservation is consumed at the order's limit price (or, for a market
// buy, at what was spent) and the price improvement (limit - trade price) x quantity
// goes back to the buyer's available cash (docs/ARCHITECTURE.md, "Known traps"). Fills add up; when
// an order's last share fills, whatever its reservation still holds is released. Exactly once per
// trade id: a replay changes nothing and reports `replayed`.
#pragma once

#include <cstddef>
#include <string>
#include <variant>

#include "bourse/account/events.h"
#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/common/order_terms.h"

namespace bourse::account {

struct TradeSettlement {
  TradeId trade_id;
  OrderId buy_order_id;
  OrderId sell_order_id;
  std::string buyer;
  std::string seller;
  std::string symbol;
  Amount price;       // the trade price (> 0)
  Quantity quantity;  // > 0
};

struct SettlementOutcome {
  bool replayed = false;  // the trade had already been settled; nothing changed
  // The rest is zero when replayed.
  Amount cash_paid;                  // price x quantity, buyer -> seller
  Amount buyer_cash_released;        // price improvement + leftover of a completed buy
  bool buy_order_completed = false;  // its last share filled: reservation closed
  bool sell_order_completed = false;
};

// --- Batched settlement (AccountService::settle_batch) -----------------------------------

// Inputs per settle_batch call. The consumer's largest batch (consumer::kMaxBatchMessages):
// a batch transaction holds the locks of every row it touches, so it stays bounded.
inline constexpr std::size_t kMaxSettlementBatch = 5'000;

// One fill as matching reported it (TradeExecuted): the trade, and what each order has
// left after it (must agree with the reservation: 0 = that order's last fill).
struct TradeFill {
  TradeSettlement trade;
  Quantity buy_remaining;
  Quantity sell_remaining;
  std::string executed_at;  // copied to TradeSettled
};

// An order's remainder will never trade (OrderCancelled / OrderRejected): release what its
// reservation still holds.
struct OrderEnd {
  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  events::ReleaseCause cause = events::ReleaseCause::kCancelled;
  std::string reason;  // the matching event's reason spelling, e.g. "cash_cap"
};

using SettlementInput = std::variant<TradeFill, OrderEnd>;
// What settle_batch published for each input it applied (a replayed trade has none).
using SettlementEvent = std::variant<events::TradeSettled, events::ReservationReleased>;

}  // namespace bourse::account
