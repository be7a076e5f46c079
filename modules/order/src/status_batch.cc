#include "status_batch.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "bourse/common/assert.h"
#include "bourse/matching/events.h"
#include "bourse/order/order_limits.h"
#include "bourse/order/status_rules.h"
#include "order_store.h"
#include "trade_store.h"

namespace bourse::order::follower {
namespace {

namespace matching_events = bourse::matching::events;
namespace account_events = bourse::account::events;

Error order_not_found(OrderId order_id, std::string_view event_type) {
  return Error{ErrorCode::kNotFound,
               std::string(event_type) + " names order " + std::to_string(order_id.value()) +
                   ", which the order module does not have",
               "order_not_found"};
}

// The stored trade is the one the event describes (the executed_at instants may differ
// in precision only if an upstream copied it wrongly: they are compared too).
bool same_trade(const Trade& stored, const Trade& event) {
  return stored.trade_id == event.trade_id && stored.symbol == event.symbol &&
         stored.price == event.price && stored.quantity == event.quantity &&
         stored.buy_order_id == event.buy_order_id &&
         stored.sell_order_id == event.sell_order_id && stored.buyer == event.buyer &&
         stored.seller == event.seller && stored.executed_at == event.executed_at;
}

// Runs `apply` on consecutive slices of at most kMaxStatusRowsPerStatement elements (the
// largest statement the stores build). Slices of an ascending range stay ascending, so
// locks taken slice by slice keep the global order.
template <typename T, typename Apply>
void in_slices(const std::vector<T>& items, Apply apply) {
  const std::span<const T> all(items);
  for (std::size_t at = 0; at < all.size(); at += limits::kMaxStatusRowsPerStatement) {
    apply(all.subspan(at, std::min(limits::kMaxStatusRowsPerStatement, all.size() - at)));
  }
}

template <typename T>
std::vector<T> sorted_unique(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// The trades of `effects` written and locked; the settlements that count (a trade's first
// settlement, in this batch or before) marked in `counts`. Trades only: orders are locked
// after every trade (the global lock order).
Status settle_trades(soci::session& session, std::span<const Effect> effects,
                     std::vector<bool>& counts, std::vector<db::SqlStatement>& last_writes) {
  // Every trade the batch names, as its first event (in offset order) describes it: the
  // row that event would have inserted. Ascending trade id.
  std::map<TradeId, const Trade*> named;
  std::vector<TradeId> settling;
  for (const Effect& effect : effects) {
    if (const auto* executed = std::get_if<Executed>(&effect)) {
      named.emplace(executed->trade.trade_id, &executed->trade);
    } else if (const auto* settled = std::get_if<Settled>(&effect)) {
      named.emplace(settled->trade.trade_id, &settled->trade);
      settling.push_back(settled->trade.trade_id);
    }
  }
  if (named.empty()) return Status::success();
  std::vector<Trade> rows;
  rows.reserve(named.size());
  for (const auto& entry : named) rows.push_back(*entry.second);
  // The rows exist and are locked from here on, whichever event came first.
  in_slices(rows, [&](std::span<const Trade> slice) {
    store::insert_trades_if_absent(session, slice);
  });
  if (settling.empty()) return Status::success();

  settling = sorted_unique(std::move(settling));
  std::map<TradeId, Trade> stored;
  in_slices(settling, [&](std::span<const TradeId> slice) {
    stored.merge(store::lock_trades(session, slice));
  });
  std::vector<store::TradeSettledAt> newly_settled;
  std::set<TradeId> settled_in_batch;
  for (std::size_t i = 0; i < effects.size(); ++i) {
    const auto* settled = std::get_if<Settled>(&effects[i]);
    if (settled == nullptr) continue;
    const TradeId trade_id = settled->trade.trade_id;
    auto row = stored.find(trade_id);
    BOURSE_ASSERT(row != stored.end(), "the trade row exists after insert_trades_if_absent");
    if (!same_trade(row->second, settled->trade)) {
      return Error{ErrorCode::kInternal,
                   "TradeSettled for trade " + std::to_string(trade_id.value()) +
                       " differs from the stored trade",
                   "trade_mismatch"};
    }
    if (row->second.settled_at) continue;                   // counted when first settled
    if (!settled_in_batch.insert(trade_id).second) continue;  // earlier in this batch
    counts[i] = true;
    newly_settled.push_back(store::TradeSettledAt{trade_id, settled->settled_at});
  }
  std::sort(newly_settled.begin(), newly_settled.end(),
            [](const auto& a, const auto& b) { return a.trade_id < b.trade_id; });
  in_slices(newly_settled, [&](std::span<const store::TradeSettledAt> slice) {
    last_writes.push_back(store::trades_settled_update(slice));
  });
  return Status::success();
}

// A settled trade names each of its orders on the right side, for the right user and
// symbol, at a price within the order's limit. Anything else is a poison message (a bug
// upstream, or events of another deployment's topics read against this database): refused
// (dead-lettered) rather than written into an unrelated order, as settlement refuses it.
Status check_trade_fits(const Order& order, const Trade& trade) {
  const bool buy = order.order_id == trade.buy_order_id;
  BOURSE_ASSERT(buy || order.order_id == trade.sell_order_id, "the order is one of the trade's");
  const char* problem = nullptr;
  if (order.side != (buy ? Side::kBuy : Side::kSell)) {
    problem = "is on the other side";
  } else if (order.user_id != (buy ? trade.buyer : trade.seller)) {
    problem = "belongs to another user";
  } else if (order.symbol != trade.symbol) {
    problem = "is for another symbol";
  } else if (order.price && (buy ? trade.price > *order.price : trade.price < *order.price)) {
    problem = "has a limit the trade's price violates";
  }
  if (problem == nullptr) return Status::success();
  return Error{ErrorCode::kInternal,
               "trade " + std::to_string(trade.trade_id.value()) + " does not fit order " +
                   std::to_string(order.order_id.value()) + ": the order " + problem,
               "trade_mismatch"};
}

// `order` with one more settled trade.
Status add_fill(Order& order, const Trade& trade) {
  if (Status fits = check_trade_fits(order, trade); !fits) return fits;
  auto next = state_after_settled_trade(
      FillState{order.status, order.filled_quantity, order.filled_notional}, order.quantity,
      trade.quantity, trade.price);
  if (!next) {
    Error error = next.error();
    error.message += " (order " + std::to_string(order.order_id.value()) + ", trade " +
                     std::to_string(trade.trade_id.value()) + ")";
    return error;
  }
  order.status = next->status;
  order.filled_quantity = next->filled_quantity;
  order.filled_notional = next->filled_notional;
  return Status::success();
}

// The orders `effects` touch, locked, moved on by every effect in offset order (as if
// applied one at a time), then each changed one written.
Status update_orders(soci::session& session, std::span<const Effect> effects,
                     const std::vector<bool>& counts, std::vector<db::SqlStatement>& last_writes) {
  std::vector<OrderId> touched;
  for (std::size_t i = 0; i < effects.size(); ++i) {
    const Effect& effect = effects[i];
    if (const auto* accepted = std::get_if<Accepted>(&effect)) {
      touched.push_back(accepted->order_id);
    } else if (const auto* released = std::get_if<Released>(&effect)) {
      touched.push_back(released->order_id);
    } else if (counts[i]) {
      const Trade& trade = std::get<Settled>(effect).trade;
      touched.push_back(trade.buy_order_id);
      touched.push_back(trade.sell_order_id);
    }
  }
  if (touched.empty()) return Status::success();
  touched = sorted_unique(std::move(touched));
  std::map<OrderId, Order> locked;
  in_slices(touched, [&](std::span<const OrderId> slice) {
    locked.merge(store::lock_orders(session, slice));
  });

  std::map<OrderId, Order> orders = locked;  // what the batch makes of them
  for (std::size_t i = 0; i < effects.size(); ++i) {
    const Effect& effect = effects[i];
    if (const auto* accepted = std::get_if<Accepted>(&effect)) {
      auto order = orders.find(accepted->order_id);
      if (order == orders.end()) {
        return order_not_found(accepted->order_id, matching_events::OrderAccepted::kType);
      }
      order->second.status = status_after_accepted(order->second.status);
    } else if (const auto* released = std::get_if<Released>(&effect)) {
      auto order = orders.find(released->order_id);
      if (order == orders.end()) {
        return order_not_found(released->order_id, account_events::ReservationReleased::kType);
      }
      Order& state = order->second;
      const OrderStatus next = status_after_released(state.status, released->cause);
      if (next == state.status) continue;  // already final
      state.status = next;
      if (next == OrderStatus::kCancelled) {
        state.cancel_reason = released->reason;
      } else {
        state.reject_reason = released->reason;
      }
    } else if (counts[i]) {
      const Trade& trade = std::get<Settled>(effect).trade;
      // Ascending order id, as the locks were taken.
      std::array<OrderId, 2> sides{trade.buy_order_id, trade.sell_order_id};
      std::sort(sides.begin(), sides.end());
      for (OrderId order_id : sides) {
        auto order = orders.find(order_id);
        if (order == orders.end()) {
          return order_not_found(order_id, account_events::TradeSettled::kType);
        }
        if (Status added = add_fill(order->second, trade); !added) return added;
      }
    }
  }

  std::vector<store::OrderStateChange> changes;
  for (const auto& [order_id, after] : orders) {
    const Order& before = locked.at(order_id);
    if (after.status == before.status && after.filled_quantity == before.filled_quantity &&
        after.filled_notional == before.filled_notional &&
        after.cancel_reason == before.cancel_reason &&
        after.reject_reason == before.reject_reason) {
      continue;  // late or repeated events: never backwards
    }
    store::OrderStateUpdate update{after.status, after.filled_quantity, after.filled_notional,
                                   {}, {}};
    if (after.cancel_reason != before.cancel_reason) update.cancel_reason = after.cancel_reason;
    if (after.reject_reason != before.reject_reason) update.reject_reason = after.reject_reason;
    changes.push_back(store::OrderStateChange{order_id, std::move(update)});
  }
  in_slices(changes, [&](std::span<const store::OrderStateChange> slice) {
    last_writes.push_back(store::order_states_update(slice));
  });
  return Status::success();
}

}  // namespace

Status apply_batch(soci::session& session, std::span<const Effect> effects,
                   std::vector<db::SqlStatement>& last_writes) {
  std::vector<bool> counts(effects.size(), false);  // the settlements that add fills
  if (Status trades = settle_trades(session, effects, counts, last_writes); !trades) {
    return trades;
  }
  return update_orders(session, effects, counts, last_writes);
}

}  // namespace bourse::order::follower
