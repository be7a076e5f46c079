// The client-visible trade record, owned by the order module (table `trades`, migration
// 0204): one row per trade, written by the status follower from TradeExecuted or
// TradeSettled, whichever arrives first; settled_at is set by TradeSettled. Served by
// GET /v1/trades through OrderService::list_trades.
//
// Invariants (asserted after every read): trade_id > 0; price > 0; quantity > 0; order
// ids > 0 and different.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/order/order_limits.h"

namespace bourse::order {

struct Trade {
  TradeId trade_id;  // global across symbols and partitions (the matching module's id)
  std::string symbol;
  Amount price;  // the resting order's price
  Quantity quantity;
  OrderId buy_order_id;
  OrderId sell_order_id;
  std::string buyer;
  std::string seller;
  std::chrono::system_clock::time_point executed_at;
  std::optional<std::chrono::system_clock::time_point> settled_at;  // nullopt until settled
};

// GET /v1/trades. Filters combine with AND; user_id matches the buyer or the seller,
// order_id the buy or the sell order.
struct TradeQuery {
  std::optional<std::string> symbol;
  std::optional<std::string> user_id;
  std::optional<OrderId> order_id;
  int limit = limits::kDefaultTradeListLimit;  // 1..kMaxTradeListLimit
  std::optional<TradeId> starting_after;       // cursor: trades after this one in the order
};

struct TradePage {
  std::vector<Trade> trades;  // newest first: (executed_at, trade_id) descending
  bool has_more = false;
};

}  // namespace bourse::order
