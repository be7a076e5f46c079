// Settling one trade: cash moves buyer -> seller at the TRADE price, shares move
// seller -> buyer, and both orders' reservations shrink by what the fill consumed.
//
// The buyer's reservation is consumed at the order's limit price (or, for a market
// buy, at what was spent) and the price improvement (limit - trade price) x quantity
// goes back to the buyer's available cash (docs/ARCHITECTURE.md, "Known traps"). Fills add up; when
// an order's last share fills, whatever its reservation still holds is released. Exactly once per
// trade id: a replay changes nothing and reports `replayed`.
#pragma once

#include <string>

#include "bourse/common/ids.h"
#include "bourse/common/money.h"

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

}  // namespace bourse::account
