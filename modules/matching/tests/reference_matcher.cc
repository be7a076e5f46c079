#include "reference_matcher.h"

#include <algorithm>

#include "bourse/matching/matching_limits.h"

namespace bourse::matching::testing {

ReferenceMatcher::ReferenceMatcher(SymbolHandle symbol, std::size_t max_resting_orders,
                                   std::size_t max_pending_cancels)
    : symbol_(symbol),
      max_resting_orders_(max_resting_orders),
      max_pending_cancels_(max_pending_cancels) {}

bool ReferenceMatcher::is_resting(std::int64_t order_id) const {
  for (const auto* side : {&bids_, &asks_}) {
    for (const Resting& r : *side) {
      if (r.order_id == order_id) return true;
    }
  }
  return false;
}

ReferenceMatcher::Stop ReferenceMatcher::run_match(const NewOrder& order,
                                                   std::vector<Resting>& makers,
                                                   std::int64_t& remaining, Sequence& sequence,
                                                   std::int64_t& trade_id,
                                                   std::vector<Event>* out) const {
  std::int64_t cash_left = order.cash_cap_ticks;
  const bool capped = order.type == OrderType::kMarket && order.side == Side::kBuy;
  while (remaining > 0 && !makers.empty()) {
    Resting& maker = makers.front();
    if (order.type == OrderType::kLimit) {
      const bool crosses = order.side == Side::kBuy ? maker.price_ticks <= order.price_ticks
                                                    : maker.price_ticks >= order.price_ticks;
      if (!crosses) break;
    }
    if (maker.user == order.user) return Stop::kSelfTrade;
    std::int64_t quantity = std::min(remaining, maker.remaining);
    if (capped) {
      // Largest quantity whose notional still fits the cash left (binary search in
      // 128-bit arithmetic, independent of the engine's floor division).
      std::int64_t low = 0;
      std::int64_t high = quantity;
      while (low < high) {
        const std::int64_t middle = low + (high - low + 1) / 2;
        if (static_cast<__int128>(middle) * maker.price_ticks <= cash_left) {
          low = middle;
        } else {
          high = middle - 1;
        }
      }
      const std::int64_t affordable = low;
      if (affordable == 0) return Stop::kCashCap;
      quantity = affordable;
      cash_left -= quantity * maker.price_ticks;
    }
    maker.remaining -= quantity;
    remaining -= quantity;
    const Sequence this_sequence = sequence++;
    const std::int64_t this_trade = trade_id++;
    if (out != nullptr) {
      out->push_back(Trade{this_sequence, symbol_, TradeId(this_trade), maker.price_ticks, quantity,
                           OrderId(maker.order_id), order.order_id, maker.user, order.user,
                           order.side, maker.remaining, remaining});
    }
    if (maker.remaining == 0) makers.erase(makers.begin());
  }
  return Stop::kNone;
}

std::vector<Event> ReferenceMatcher::submit(const NewOrder& order) {
  std::vector<Event> out;
  auto reject = [&](RejectReason reason) {
    out.push_back(OrderRejected{sequence_++, symbol_, order.order_id, order.user, reason});
    return out;
  };
  auto cancelled = [&](CancelReason reason, std::int64_t quantity) {
    out.push_back(
        OrderCancelled{sequence_++, symbol_, order.order_id, order.user, reason, quantity});
    return out;
  };
  if (order.order_id.value() <= 0) return reject(RejectReason::kInvalidOrderId);
  if (order.side != Side::kBuy && order.side != Side::kSell) return reject(RejectReason::kInvalidSide);
  if (order.type != OrderType::kLimit && order.type != OrderType::kMarket) {
    return reject(RejectReason::kInvalidType);
  }
  if (order.time_in_force != TimeInForce::kGtc && order.time_in_force != TimeInForce::kIoc &&
      order.time_in_force != TimeInForce::kFok) {
    return reject(RejectReason::kInvalidTimeInForce);
  }
  if (order.quantity <= 0 || order.quantity > limits::kMaxOrderQuantity) {
    return reject(RejectReason::kInvalidQuantity);
  }
  if (order.type == OrderType::kLimit &&
      (order.price_ticks <= 0 || order.price_ticks > limits::kMaxPriceTicks)) {
    return reject(RejectReason::kInvalidPrice);
  }
  if (order.type == OrderType::kMarket && order.side == Side::kBuy && order.cash_cap_ticks <= 0) {
    return reject(RejectReason::kInvalidCashCap);
  }
  if (is_resting(order.order_id.value())) return reject(RejectReason::kDuplicateOrderId);
  if (order.type == OrderType::kLimit && order.time_in_force == TimeInForce::kGtc &&
      resting_order_count() >= max_resting_orders_) {
    return reject(RejectReason::kBookFull);
  }
  const auto pending = std::find(pending_.begin(), pending_.end(), order.order_id.value());
  if (pending != pending_.end()) {
    pending_.erase(pending);
    return cancelled(CancelReason::kUserBeforeArrival, order.quantity);
  }
  std::vector<Resting>& makers = order.side == Side::kBuy ? asks_ : bids_;
  if (order.time_in_force == TimeInForce::kFok) {
    std::vector<Resting> scratch = makers;
    std::int64_t remaining = order.quantity;
    Sequence sequence = 0;
    std::int64_t trade_id = 0;
    run_match(order, scratch, remaining, sequence, trade_id, nullptr);
    if (remaining > 0) return cancelled(CancelReason::kFokNotFillable, order.quantity);
  }
  std::int64_t remaining = order.quantity;
  const Stop stop = run_match(order, makers, remaining, sequence_, trade_id_, &out);
  if (remaining == 0) return out;
  if (stop == Stop::kSelfTrade) return cancelled(CancelReason::kSelfTrade, remaining);
  if (stop == Stop::kCashCap) return cancelled(CancelReason::kCashCap, remaining);
  if (order.type == OrderType::kMarket) return cancelled(CancelReason::kMarketRemainder, remaining);
  if (order.time_in_force == TimeInForce::kIoc) {
    return cancelled(CancelReason::kIocRemainder, remaining);
  }
  // Rest behind every order at a better or equal price.
  std::vector<Resting>& own = order.side == Side::kBuy ? bids_ : asks_;
  const Sequence accepted = sequence_++;
  std::size_t position = 0;
  while (position < own.size()) {
    const bool ahead = order.side == Side::kBuy ? own[position].price_ticks >= order.price_ticks
                                                : own[position].price_ticks <= order.price_ticks;
    if (!ahead) break;
    ++position;
  }
  own.insert(own.begin() + static_cast<std::ptrdiff_t>(position),
             Resting{order.order_id.value(), order.user, order.side, order.price_ticks, remaining,
                     accepted});
  out.push_back(OrderAccepted{accepted, symbol_, order.order_id, order.user, order.side,
                              order.price_ticks, remaining});
  return out;
}

std::vector<Event> ReferenceMatcher::cancel(const CancelOrder& request) {
  std::vector<Event> out;
  if (request.order_id.value() <= 0) {
    out.push_back(
        OrderRejected{sequence_++, symbol_, request.order_id, 0, RejectReason::kInvalidOrderId});
    return out;
  }
  for (auto* side : {&bids_, &asks_}) {
    for (auto it = side->begin(); it != side->end(); ++it) {
      if (it->order_id == request.order_id.value()) {
        out.push_back(OrderCancelled{sequence_++, symbol_, request.order_id, it->user,
                                     CancelReason::kUser, it->remaining});
        side->erase(it);
        return out;
      }
    }
  }
  if (std::find(pending_.begin(), pending_.end(), request.order_id.value()) == pending_.end()) {
    if (pending_.size() == max_pending_cancels_) pending_.pop_front();
    pending_.push_back(request.order_id.value());
  }
  return out;
}

std::optional<std::int64_t> ReferenceMatcher::best_bid() const {
  if (bids_.empty()) return std::nullopt;
  return bids_.front().price_ticks;
}

std::optional<std::int64_t> ReferenceMatcher::best_ask() const {
  if (asks_.empty()) return std::nullopt;
  return asks_.front().price_ticks;
}

std::int64_t ReferenceMatcher::resting_quantity() const {
  std::int64_t total = 0;
  for (const auto* side : {&bids_, &asks_}) {
    for (const Resting& r : *side) total += r.remaining;
  }
  return total;
}

BookSnapshot ReferenceMatcher::snapshot() const {
  BookSnapshot out;
  out.symbol = symbol_;
  out.next_sequence = sequence_;
  out.next_trade_id = trade_id_;
  for (const auto* side : {&bids_, &asks_}) {
    for (const Resting& r : *side) {
      out.orders.push_back(SnapshotOrder{OrderId(r.order_id), r.user, r.side, r.price_ticks,
                                         r.remaining, r.accepted_sequence});
    }
  }
  out.pending_cancels.assign(pending_.begin(), pending_.end());
  return out;
}

}  // namespace bourse::matching::testing
