// AccountService::settle_batch: settle a consumer batch of fills and order ends with every
// changed balance row written once.
#include <soci/soci.h>

#include <algorithm>
#include <iterator>
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
#include "bourse/db/sql_batch.h"
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

// A trade's claim and journal row (settled_trades, migration 0104): its terms and the
// two amounts its legs need (bourse/account/ledger.h).
struct JournalRow {
  const TradeSettlement* trade = nullptr;
  std::int64_t paid = 0;             // price x quantity
  std::int64_t buyer_reserved = 0;   // taken off the buy reservation (consumed + leftover)
};

// The settled_trades rows of `trades`, one multi-row INSERT per kMaxReservationBatch: the
// claims that make each trade settle once, and its legs in the ledger of record.
void claim_trades(std::span<const JournalRow> trades, std::vector<db::SqlStatement>& writes) {
  in_slices(trades, [&](std::span<const JournalRow> slice) {
    db::SqlStatement insert{"INSERT INTO settled_trades (trade_id, buy_order_id, sell_order_id, "
                            "symbol, price_units, quantity, buyer, seller, paid_units, "
                            "buyer_reserved_units) VALUES " +
                                db::row_placeholders(slice.size(), 10),
                            {}, std::nullopt, static_cast<long long>(slice.size())};
    insert.values.reserve(10 * slice.size());
    for (const JournalRow& row : slice) {
      const TradeSettlement& trade = *row.trade;
      insert.values.insert(insert.values.end(),
                           {trade.trade_id.value(), trade.buy_order_id.value(),
                            trade.sell_order_id.value(), trade.symbol, trade.price.units(),
                            trade.quantity.value(), trade.buyer, trade.seller, row.paid,
                            row.buyer_reserved});
    }
    writes.push_back(std::move(insert));
  });
}

// What the batch does: its reservations as locked and changed, and the net delta of every
// balance row it touches (in memory until the writes at the end).
struct Books {
  std::map<std::string, BalanceDelta> cash;
  std::map<PositionKey, BalanceDelta> positions;
  std::map<std::int64_t, ReservationRow> reservations;
  std::set<std::int64_t> reservations_changed;
  std::vector<JournalRow> journal;  // the new trades, in input order
  std::vector<LedgerEntry> ledger;  // releases (trades book their legs in `journal`)

  // Adds to a balance row's net delta. A single step past the balance's limit is a bad
  // event; the resulting balances are checked by the tables' CHECKs when written.
  static Status add(BalanceDelta& delta, std::int64_t limit, std::int64_t total,
                    std::int64_t reserved) {
    if (total == 0 && reserved == 0) return Status::success();
    BOURSE_ASSERT(total <= limit && total >= -limit && reserved <= limit && reserved >= -limit,
                  "a settlement delta is within limits");
    if (delta.total + total > limit || delta.total + total < -limit ||
        delta.reserved + reserved > limit || delta.reserved + reserved < -limit) {
      return bad_settlement("a balance would exceed its limit");
    }
    delta.total += total;
    delta.reserved += reserved;
    return Status::success();
  }

  Status cash_delta(const std::string& user, std::int64_t total, std::int64_t reserved) {
    return add(cash[user], limits::kMaxAmountUnits, total, reserved);
  }

  Status shares_delta(const std::string& user, const std::string& symbol, std::int64_t total,
                      std::int64_t reserved) {
    return add(positions[{user, symbol}], limits::kMaxQuantity, total, reserved);
  }

  ReservationRow* reservation(OrderId order_id) {
    auto it = reservations.find(order_id.value());
    return it == reservations.end() ? nullptr : &it->second;
  }
};

// The rows of `deltas` whose net change is not zero (a self-trade, or a buy and a sell of
// one user at one price, can net to nothing).
template <typename Key>
std::map<Key, BalanceDelta> nonzero(const std::map<Key, BalanceDelta>& deltas) {
  std::map<Key, BalanceDelta> out;
  for (const auto& [key, delta] : deltas) {
    if (delta.total != 0 || delta.reserved != 0) out.emplace(key, delta);
  }
  return out;
}

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
  std::map<std::pair<std::string, bool>, BalanceDelta> deltas;  // (user, is_cash)
  auto add = [&deltas](const std::string& user, bool is_cash, std::int64_t total,
                       std::int64_t reserved) {
    BalanceDelta& delta = deltas[{user, is_cash}];
    delta.total += total;
    delta.reserved += reserved;
  };
  add(trade.buyer, true, -effect->paid, -(effect->consumed + effect->leftover));
  add(trade.buyer, false, quantity, 0);
  add(trade.seller, false, -quantity, -quantity);
  add(trade.seller, true, effect->paid, 0);
  for (const auto& [key, delta] : deltas) {
    if (delta.total == 0 && delta.reserved == 0) continue;
    const auto& [user, is_cash] = key;
    const Status applied =
        is_cash ? books.cash_delta(user, delta.total, delta.reserved)
                : books.shares_delta(user, trade.symbol, delta.total, delta.reserved);
    if (!applied) return applied.error();
  }
  // The legs: the same four changes, booked in the trade's own settled_trades row.
  BOURSE_ASSERT(effect->paid > 0 && effect->consumed + effect->leftover >= effect->paid,
                "a fill pays something and takes at least that off the buy reservation");
  books.journal.push_back(JournalRow{&trade, effect->paid, effect->consumed + effect->leftover});

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
        books.ledger.push_back(LedgerEntry{"release", "order:" + std::to_string(row->order_id),
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
    soci::session& session, std::span<const SettlementInput> inputs, std::string_view settled_at,
    std::vector<db::SqlStatement>* last_writes, std::vector<db::SqlStatement>* balance_writes) {
  BOURSE_ASSERT(balance_writes == nullptr || last_writes != nullptr,
                "settle_batch: balance_writes only with last_writes");
  if (inputs.size() > kMaxSettlementBatch) {
    return Error::invalid(
        "at most " + std::to_string(kMaxSettlementBatch) + " inputs per settlement batch",
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
  std::vector<std::int64_t> order_ids;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (const auto* fill = std::get_if<TradeFill>(&inputs[i])) {
      const std::int64_t id = fill->trade.trade_id.value();
      if (settled.count(id) > 0 || !seen.insert(id).second) {
        apply[i] = false;  // a replay: settled before, or earlier in this batch
        continue;
      }
      order_ids.push_back(fill->trade.buy_order_id.value());
      order_ids.push_back(fill->trade.sell_order_id.value());
    } else {
      order_ids.push_back(std::get<OrderEnd>(inputs[i]).order_id.value());
    }
  }
  std::vector<SettlementEvent> published;
  if (order_ids.empty()) return published;  // only replays
  order_ids = sorted_unique(std::move(order_ids));

  // 2. The first locks: the batch's reservations, by order id (the lock order: existing
  // reservations, then cash rows, then positions). Nothing else is locked until the
  // balance writes at the very end, so an order group waiting for one of this batch's
  // cash rows waits only for those writes and the commit, not for the whole batch.
  Books books;
  in_slices(std::span<const std::int64_t>(order_ids), [&](std::span<const std::int64_t> slice) {
    books.reservations.merge(lock_reservations(session, slice));
  });

  // 3. Apply in input order (fills add up: each sees the previous ones' effect on the
  // reservations); balances only gather net deltas.
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

  // 4. Writes: the claims with their legs, the ledger (releases), the changed
  // reservations, then - last, so that the cash and position locks are held only from
  // here to the commit - every changed balance row once, as a relative update in the lock
  // order (cash by user, then positions). None needs anything back: one round trip, or
  // none here when the caller sends them with its COMMIT (`last_writes`).
  std::vector<db::SqlStatement> writes;
  claim_trades(books.journal, writes);
  in_slices(std::span<const LedgerEntry>(books.ledger), [&](std::span<const LedgerEntry> slice) {
    writes.push_back(ledger_entries_insert(slice));
  });
  std::vector<ReservationRow> changed_reservations;
  for (std::int64_t order_id : books.reservations_changed) {
    changed_reservations.push_back(books.reservations.at(order_id));
  }
  in_slices(std::span<const ReservationRow>(changed_reservations),
            [&](std::span<const ReservationRow> slice) {
              writes.push_back(reservations_update(slice));
            });
  const std::size_t balances_from = writes.size();
  // total >= reserved >= 0 or a limit would break: the inputs do not fit the balances.
  const Error out_of_bounds = bad_settlement("a balance would leave its bounds");  // + the CHECK
  map_in_slices(nonzero(books.cash), [&](const std::map<std::string, BalanceDelta>& slice) {
    writes.push_back(cash_balances_addition(kCurrency, slice));
    writes.back().on_check_violation = out_of_bounds;
    // Every user here owns a reservation this batch locked, made when the user's cash row
    // existed; cash rows are never deleted.
    writes.back().expected_rows = static_cast<long long>(slice.size());
  });
  map_in_slices(nonzero(books.positions), [&](const std::map<PositionKey, BalanceDelta>& slice) {
    writes.push_back(positions_creation(slice));
    writes.back().on_check_violation = out_of_bounds;
    writes.push_back(positions_addition(slice));
    writes.back().on_check_violation = out_of_bounds;
    writes.back().expected_rows = static_cast<long long>(slice.size());
  });
  if (writes.empty()) return published;
  if (last_writes != nullptr) {
    const auto balances = writes.begin() + static_cast<std::ptrdiff_t>(balances_from);
    std::move(writes.begin(), balances, std::back_inserter(*last_writes));
    std::move(balances, writes.end(),
              std::back_inserter(balance_writes != nullptr ? *balance_writes : *last_writes));
    return published;
  }
  auto written = db::execute_statements(session, writes);
  if (!written) return written.error();
  return published;
}

}  // namespace bourse::account
