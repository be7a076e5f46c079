// AccountService::settle_batch: settle a consumer batch of fills and order ends with every
// changed balance row written once.
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
#include "bourse/account/reservation.h"
#include "bourse/common/assert.h"
#include "bourse/common/limits.h"
#include "bourse/db/sql_text.h"
#include "bourse/log/log.h"
#include "reservation_store.h"
#include "trade_fill.h"

namespace bourse::account {
namespace {

// Runs `apply` on consecutive slices of at most kMaxReservationBatch elements (the largest
// statement the stores build). Slices of an ascending range stay ascending, so locks taken
// slice by slice keep the global order.
template <typename T, typename Apply>
void in_slices(std::span<const T> items, Apply apply) {
  for (std::size_t at = 0; at < items.size(); at += kMaxReservationBatch) {
    apply(items.subspan(at, std::min(kMaxReservationBatch, items.size() - at)));
  }
}

template <typename Map, typename Apply>
void map_in_slices(const Map& all, Apply apply) {
  Map slice;
  for (const auto& entry : all) {
    slice.insert(entry);
    if (slice.size() == kMaxReservationBatch) {
      apply(slice);
      slice.clear();
    }
  }
  if (!slice.empty()) apply(slice);
}

template <typename T>
std::vector<T> sorted_unique(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

Status validate_end(const OrderEnd& end) {
  if (!end.order_id.valid()) return Error::invalid("order id must be positive", "invalid_id");
  if (auto valid = validate_user_id(end.user_id); !valid) return valid;
  if (auto valid = validate_symbol(end.symbol); !valid) return valid;
  if (end.reason.empty()) return Error::invalid("an order end needs a reason", "invalid_reason");
  return Status::success();
}

// Trade ids among `ids` (ascending, unique) already in settled_trades. A plain read: the
// trades of one symbol are settled only by the consumer that owns its partition, whose
// batch transaction holds that partition's offset row; if another transaction claimed one
// meanwhile anyway, the claim insert below fails on the duplicate key and the batch is
// rolled back and retried (then this read sees it).
std::set<std::int64_t> settled_before(soci::session& session, std::span<const std::int64_t> ids) {
  std::set<std::int64_t> settled;
  in_slices(ids, [&](std::span<const std::int64_t> slice) {
    std::vector<long long> bound(slice.begin(), slice.end());  // bound by reference
    soci::details::prepare_temp_type select =
        (session.prepare << "SELECT trade_id FROM settled_trades WHERE trade_id IN (" +
                                db::row_placeholders(bound.size(), 1) + ")");
    for (const long long& id : bound) select, soci::use(id);
    soci::rowset<soci::row> rows(select);
    for (const soci::row& row : rows) settled.insert(row.get<long long>(0));
  });
  return settled;
}

// The claims that make each trade settle once, in multi-row INSERTs.
void claim_trades(soci::session& session, std::span<const TradeSettlement* const> trades) {
  in_slices(trades, [&](std::span<const TradeSettlement* const> slice) {
    struct Bound {
      long long trade_id, buy_order, sell_order, price, quantity;
    };
    std::vector<Bound> bound;  // never reallocated: the statement binds references
    bound.reserve(slice.size());
    for (const TradeSettlement* trade : slice) {
      bound.push_back(Bound{trade->trade_id.value(), trade->buy_order_id.value(),
                            trade->sell_order_id.value(), trade->price.units(),
                            trade->quantity.value()});
    }
    soci::details::prepare_temp_type insert =
        (session.prepare << "INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, "
                            "symbol, price_units, quantity) VALUES " +
                                db::row_placeholders(slice.size(), 6));
    for (std::size_t i = 0; i < slice.size(); ++i) {
      Bound& b = bound[i];
      insert, soci::use(b.trade_id), soci::use(b.buy_order), soci::use(b.sell_order),
          soci::use(slice[i]->symbol), soci::use(b.price), soci::use(b.quantity);
    }
    soci::statement statement(insert);
    statement.execute(true);
  });
}

// The batch's balances as locked, and what the batch does to them (in memory until the
// writes at the end).
struct Books {
  std::map<std::string, Balance> cash;
  std::map<PositionKey, Balance> positions;
  std::map<std::int64_t, ReservationRow> reservations;
  std::set<std::string> cash_changed;
  std::set<PositionKey> positions_changed;
  std::set<std::int64_t> reservations_changed;
  std::vector<LedgerEntry> ledger;

  // Adds deltas to a locked balance. A total past its limit is a bad event (Error); a
  // balance that would break total >= reserved >= 0 cannot happen when every order was
  // reserved first, so it is asserted.
  static Status apply(Balance& balance, std::int64_t limit, std::int64_t total_delta,
                      std::int64_t reserved_delta) {
    if (total_delta == 0 && reserved_delta == 0) return Status::success();
    BOURSE_ASSERT(total_delta <= limit && total_delta >= -limit && reserved_delta <= limit &&
                      reserved_delta >= -limit,
                  "a settlement delta is within limits");
    Balance next = balance;
    next.total += total_delta;
    next.reserved += reserved_delta;
    if (next.total > limit) return bad_settlement("a balance would exceed its limit");
    BOURSE_ASSERT(next.reserved >= 0 && next.total >= next.reserved,
                  "settlement keeps total >= reserved >= 0");
    balance = next;
    return Status::success();
  }

  Status cash_delta(const std::string& user, std::int64_t total, std::int64_t reserved) {
    auto it = cash.find(user);
    BOURSE_ASSERT(it != cash.end(), "the cash rows of every account involved are locked");
    if (total != 0 || reserved != 0) cash_changed.insert(user);
    return apply(it->second, limits::kMaxAmountUnits, total, reserved);
  }

  Status shares_delta(const std::string& user, const std::string& symbol, std::int64_t total,
                      std::int64_t reserved) {
    auto it = positions.find({user, symbol});
    BOURSE_ASSERT(it != positions.end(), "the positions involved are locked");
    if (total != 0 || reserved != 0) positions_changed.insert({user, symbol});
    return apply(it->second, limits::kMaxQuantity, total, reserved);
  }

  ReservationRow* reservation(OrderId order_id) {
    auto it = reservations.find(order_id.value());
    return it == reservations.end() ? nullptr : &it->second;
  }
};

struct Delta {
  std::int64_t total = 0;
  std::int64_t reserved = 0;
};

// One fill: reservations, balances and ledger entries in `books`; its TradeSettled.
Result<events::TradeSettled> settle_fill(Books& books, const TradeFill& fill,
                                         std::string_view settled_at) {
  const TradeSettlement& trade = fill.trade;
  ReservationRow* buy = books.reservation(trade.buy_order_id);
  ReservationRow* sell = books.reservation(trade.sell_order_id);
  if (buy == nullptr || sell == nullptr) return bad_settlement("an order has no reservation");
  auto effect = apply_fill(*buy, *sell, trade);
  if (!effect) return effect.error();
  // Matching and settlement must agree on what each order has left.
  if (buy->quantity - buy->filled_quantity != fill.buy_remaining.value() ||
      sell->quantity - sell->filled_quantity != fill.sell_remaining.value()) {
    return bad_settlement("the remaining quantities of trade " +
                          std::to_string(trade.trade_id.value()) +
                          " differ from the reservations'");
  }
  books.reservations_changed.insert(buy->order_id);
  books.reservations_changed.insert(sell->order_id);

  // Net deltas per (user, asset): a self-trade nets to reserved-only changes.
  const std::int64_t quantity = trade.quantity.value();
  std::map<std::pair<std::string, bool>, Delta> deltas;  // (user, is_cash)
  auto add = [&deltas](const std::string& user, bool is_cash, std::int64_t total,
                       std::int64_t reserved) {
    Delta& delta = deltas[{user, is_cash}];
    delta.total += total;
    delta.reserved += reserved;
  };
  add(trade.buyer, true, -effect->paid, -(effect->consumed + effect->leftover));
  add(trade.buyer, false, quantity, 0);
  add(trade.seller, false, -quantity, -quantity);
  add(trade.seller, true, effect->paid, 0);
  const std::string reference = "trade:" + std::to_string(trade.trade_id.value());
  for (const auto& [key, delta] : deltas) {
    if (delta.total == 0 && delta.reserved == 0) continue;
    const auto& [user, is_cash] = key;
    const Status applied = is_cash
                               ? books.cash_delta(user, delta.total, delta.reserved)
                               : books.shares_delta(user, trade.symbol, delta.total, delta.reserved);
    if (!applied) return applied.error();
    books.ledger.push_back(LedgerEntry{"trade", reference, user,
                                       is_cash ? cash_asset(kCurrency) : shares_asset(trade.symbol),
                                       delta.total, delta.reserved});
  }

  events::TradeSettled settled;
  settled.trade_id = trade.trade_id;
  settled.symbol = trade.symbol;
  settled.price = trade.price;
  settled.quantity = trade.quantity;
  settled.buy_order_id = trade.buy_order_id;
  settled.sell_order_id = trade.sell_order_id;
  settled.buyer = trade.buyer;
  settled.seller = trade.seller;
  settled.buy_order_done = buy->status == kStatusCompleted;
  settled.sell_order_done = sell->status == kStatusCompleted;
  settled.executed_at = fill.executed_at;
  settled.settled_at = std::string(settled_at);
  return settled;
}

// One order end: release what the order still holds; its ReservationReleased.
Result<events::ReservationReleased> settle_end(Books& books, const OrderEnd& end) {
  const bool buy = end.side == Side::kBuy;
  std::int64_t released = 0;
  if (ReservationRow* row = books.reservation(end.order_id); row == nullptr) {
    log::warn("settlement: order end of an order without a reservation, nothing to release",
              {{"order_id", end.order_id.value()}, {"user_id", end.user_id}});
  } else {
    if (row->user_id != end.user_id || row->symbol != end.symbol ||
        row->side != to_string(end.side)) {
      return bad_settlement("order end of order " + std::to_string(row->order_id) +
                            " names another user, symbol or side than its reservation");
    }
    if (row->status == kStatusReserved) {
      released = row->remaining;
      if (released > 0) {
        const Status applied = buy ? books.cash_delta(row->user_id, 0, -released)
                                   : books.shares_delta(row->user_id, row->symbol, 0, -released);
        if (!applied) return applied.error();
        books.ledger.push_back(LedgerEntry{"release",
                                           "order:" + std::to_string(row->order_id),
                                           row->user_id, row->asset, 0, -released});
      }
      row->remaining = 0;
      row->status = kStatusReleased;
      books.reservations_changed.insert(row->order_id);
    }
  }
  events::ReservationReleased event;
  event.order_id = end.order_id;
  event.user_id = end.user_id;
  event.symbol = end.symbol;
  event.side = end.side;
  event.cause = end.cause;
  event.reason = end.reason;
  if (buy) {
    event.released_cash = Amount::from_units(released);
  } else {
    event.released_quantity = Quantity::of(released);
  }
  return event;
}

}  // namespace

Result<std::vector<SettlementEvent>> AccountService::settle_batch(
    soci::session& session, std::span<const SettlementInput> inputs,
    std::string_view settled_at) {
  if (inputs.size() > kMaxSettlementBatch) {
    return Error::invalid("at most " + std::to_string(kMaxSettlementBatch) +
                              " inputs per settlement batch",
                          "batch_too_large");
  }
  // 1. Field checks, and which trades are new (not settled before, first in the batch).
  std::vector<std::int64_t> trade_ids;
  for (const SettlementInput& input : inputs) {
    if (const auto* fill = std::get_if<TradeFill>(&input)) {
      if (auto valid = validate_trade(fill->trade); !valid) return valid.error();
      if (fill->buy_remaining.value() < 0 || fill->sell_remaining.value() < 0) {
        return Error::invalid("remaining quantities must not be negative", "invalid_quantity");
      }
      trade_ids.push_back(fill->trade.trade_id.value());
    } else if (auto valid = validate_end(std::get<OrderEnd>(input)); !valid) {
      return valid.error();
    }
  }
  trade_ids = sorted_unique(std::move(trade_ids));
  const std::set<std::int64_t> settled = settled_before(session, trade_ids);
  std::set<std::int64_t> seen;
  std::vector<bool> apply(inputs.size(), true);
  std::vector<const TradeSettlement*> new_trades;
  std::vector<std::int64_t> order_ids;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (const auto* fill = std::get_if<TradeFill>(&inputs[i])) {
      const std::int64_t id = fill->trade.trade_id.value();
      if (settled.count(id) > 0 || !seen.insert(id).second) {
        apply[i] = false;  // a replay: settled before, or earlier in this batch
        continue;
      }
      new_trades.push_back(&fill->trade);
      order_ids.push_back(fill->trade.buy_order_id.value());
      order_ids.push_back(fill->trade.sell_order_id.value());
    } else {
      order_ids.push_back(std::get<OrderEnd>(inputs[i]).order_id.value());
    }
  }
  std::vector<SettlementEvent> published;
  if (order_ids.empty()) return published;  // only replays
  order_ids = sorted_unique(std::move(order_ids));

  // 2. Who is involved: the trades' users, and the owners of the ended orders'
  // reservations (a plain read: owner, side and symbol never change).
  std::map<std::int64_t, ReservationRow> owners;
  in_slices(std::span<const std::int64_t>(order_ids), [&](std::span<const std::int64_t> slice) {
    owners.merge(read_reservations(session, slice));
  });
  std::vector<std::string> users;
  std::vector<PositionKey> position_keys;
  for (const TradeSettlement* trade : new_trades) {
    users.push_back(trade->buyer);
    users.push_back(trade->seller);
    position_keys.emplace_back(trade->buyer, trade->symbol);
    position_keys.emplace_back(trade->seller, trade->symbol);
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto* end = std::get_if<OrderEnd>(&inputs[i]);
    if (end == nullptr) continue;
    auto owner = owners.find(end->order_id.value());
    if (owner == owners.end()) continue;
    users.push_back(owner->second.user_id);
    if (owner->second.side == "SELL") {
      position_keys.emplace_back(owner->second.user_id, owner->second.symbol);
    }
  }
  users = sorted_unique(std::move(users));
  position_keys = sorted_unique(std::move(position_keys));

  // 3. Locks, in the global order: cash rows by user, positions by (user, symbol),
  // reservations by order id.
  Books books;
  const std::string currency = kCurrency;
  in_slices(std::span<const std::string>(users), [&](std::span<const std::string> slice) {
    books.cash.merge(lock_cash_rows(session, slice, currency));
  });
  for (const std::string& user : users) {
    if (books.cash.count(user) == 0) return bad_settlement("no account for " + user);
  }
  if (!position_keys.empty()) {
    in_slices(std::span<const PositionKey>(position_keys), [&](std::span<const PositionKey> slice) {
      ensure_positions(session, slice);
      books.positions.merge(lock_position_rows(session, slice));
    });
    BOURSE_ASSERT(books.positions.size() == position_keys.size(),
                  "every position involved exists after its upsert");
  }
  in_slices(std::span<const std::int64_t>(order_ids), [&](std::span<const std::int64_t> slice) {
    books.reservations.merge(lock_reservations(session, slice));
  });
  for (const auto& [order_id, row] : books.reservations) {
    const ReservationRow& owner = owners.at(order_id);
    BOURSE_ASSERT(row.user_id == owner.user_id && row.side == owner.side &&
                      row.symbol == owner.symbol,
                  "a reservation's owner, side and symbol never change");
  }

  // 4. Apply in input order (fills add up: each sees the previous ones' effect).
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!apply[i]) continue;
    if (const auto* fill = std::get_if<TradeFill>(&inputs[i])) {
      auto event = settle_fill(books, *fill, settled_at);
      if (!event) return event.error();
      published.emplace_back(std::move(*event));
    } else {
      auto event = settle_end(books, std::get<OrderEnd>(inputs[i]));
      if (!event) return event.error();
      published.emplace_back(std::move(*event));
    }
  }

  // 5. Writes: the claims, the ledger, then each changed row once.
  if (!new_trades.empty()) claim_trades(session, new_trades);
  in_slices(std::span<const LedgerEntry>(books.ledger),
            [&](std::span<const LedgerEntry> slice) { insert_ledger_entries(session, slice); });
  std::map<std::string, Balance> changed_cash;
  for (const std::string& user : books.cash_changed) changed_cash.emplace(user, books.cash[user]);
  map_in_slices(changed_cash, [&](const std::map<std::string, Balance>& slice) {
    update_cash_balances(session, currency, slice);
  });
  std::map<PositionKey, Balance> changed_positions;
  for (const PositionKey& key : books.positions_changed) {
    changed_positions.emplace(key, books.positions[key]);
  }
  map_in_slices(changed_positions, [&](const std::map<PositionKey, Balance>& slice) {
    update_position_balances(session, slice);
  });
  std::vector<ReservationRow> changed_reservations;
  for (std::int64_t order_id : books.reservations_changed) {
    changed_reservations.push_back(books.reservations.at(order_id));
  }
  in_slices(std::span<const ReservationRow>(changed_reservations),
            [&](std::span<const ReservationRow> slice) { update_reservations(session, slice); });
  return published;
}

}  // namespace bourse::account
