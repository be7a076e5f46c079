#include "bourse/matching/order_book.h"

#include <algorithm>
#include <string>

#include "bourse/common/assert.h"

namespace bourse::matching {

namespace {

constexpr Side opposite(Side side) noexcept {
  return side == Side::kBuy ? Side::kSell : Side::kBuy;
}

// True when a price on `side` is strictly worse than `other` (lower bid, higher ask).
constexpr bool worse(Side side, std::int64_t price, std::int64_t other) noexcept {
  return side == Side::kBuy ? price < other : price > other;
}

// True when a taker on `taker_side` with `limit_price` may trade at `maker_price`.
constexpr bool crosses(Side taker_side, std::int64_t limit_price,
                       std::int64_t maker_price) noexcept {
  return taker_side == Side::kBuy ? maker_price <= limit_price : maker_price >= limit_price;
}

// Scoped re-entrancy guard: a listener calling back into the book would see (and
// corrupt) a half-applied match.
class CallGuard {
 public:
  explicit CallGuard(bool& flag) : flag_(flag) {
    BOURSE_ASSERT(!flag_, "OrderBook re-entered from a listener");
    flag_ = true;
  }
  ~CallGuard() { flag_ = false; }
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;

 private:
  bool& flag_;
};

Status invalid_snapshot(const std::string& what) {
  return Error::invalid("invalid book snapshot: " + what, "invalid_snapshot");
}

}  // namespace

OrderBook::OrderBook(SymbolHandle symbol, EventListener& listener, BookOptions options)
    : symbol_(symbol),
      listener_(&listener),
      options_(options),
      pending_cancels_(options.max_pending_cancels) {
  BOURSE_ASSERT(options_.max_resting_orders >= 1 &&
                    options_.max_resting_orders <= limits::kMaxRestingOrdersPerBook,
                "max_resting_orders out of range");
  const std::uint32_t capacity =
      std::min(options_.initial_order_capacity, options_.max_resting_orders);
  nodes_.reserve(capacity);
  order_index_.reserve(capacity);
}

// --- Input ---------------------------------------------------------------------

std::optional<RejectReason> OrderBook::validate(const NewOrder& order) const noexcept {
  if (!order.order_id.valid()) return RejectReason::kInvalidOrderId;
  if (order.side != Side::kBuy && order.side != Side::kSell) return RejectReason::kInvalidSide;
  if (order.type != OrderType::kLimit && order.type != OrderType::kMarket) {
    return RejectReason::kInvalidType;
  }
  if (order.time_in_force != TimeInForce::kGtc && order.time_in_force != TimeInForce::kIoc &&
      order.time_in_force != TimeInForce::kFok) {
    return RejectReason::kInvalidTimeInForce;
  }
  if (order.quantity <= 0 || order.quantity > limits::kMaxOrderQuantity) {
    return RejectReason::kInvalidQuantity;
  }
  if (order.type == OrderType::kLimit &&
      (order.price_ticks <= 0 || order.price_ticks > limits::kMaxPriceTicks)) {
    return RejectReason::kInvalidPrice;
  }
  if (order.type == OrderType::kMarket && order.side == Side::kBuy && order.cash_cap_ticks <= 0) {
    return RejectReason::kInvalidCashCap;
  }
  if (order_index_.find(order.order_id.value()) != IdIndex::kNotFound) {
    return RejectReason::kDuplicateOrderId;
  }
  if (order.type == OrderType::kLimit && order.time_in_force == TimeInForce::kGtc &&
      order_index_.size() >= options_.max_resting_orders) {
    return RejectReason::kBookFull;
  }
  return std::nullopt;
}

void OrderBook::submit(const NewOrder& order) {
  CallGuard guard(in_call_);
  if (const auto reason = validate(order)) {
    emit_rejected(order.order_id, order.user, *reason);
    return;
  }
  if (pending_cancels_.take(order.order_id.value())) {
    emit_cancelled(order, CancelReason::kUserBeforeArrival, order.quantity);
    return;
  }
  if (order.time_in_force == TimeInForce::kFok && fillable_quantity(order) < order.quantity) {
    emit_cancelled(order, CancelReason::kFokNotFillable, order.quantity);
    return;
  }
  std::int64_t remaining = order.quantity;
  const StopReason stop = match(order, remaining);
  BOURSE_ASSERT(remaining >= 0 && remaining <= order.quantity, "remaining within the order");
  if (remaining == 0) return;
  BOURSE_ASSERT(order.time_in_force != TimeInForce::kFok, "a checked FOK fills completely");
  if (stop == StopReason::kSelfTrade) {
    emit_cancelled(order, CancelReason::kSelfTrade, remaining);
  } else if (stop == StopReason::kCashCap) {
    emit_cancelled(order, CancelReason::kCashCap, remaining);
  } else if (order.type == OrderType::kMarket) {
    emit_cancelled(order, CancelReason::kMarketRemainder, remaining);
  } else if (order.time_in_force == TimeInForce::kIoc) {
    emit_cancelled(order, CancelReason::kIocRemainder, remaining);
  } else {
    rest(order, remaining);
  }
}

void OrderBook::cancel(const CancelOrder& request) {
  CallGuard guard(in_call_);
  if (!request.order_id.valid()) {
    emit_rejected(request.order_id, 0, RejectReason::kInvalidOrderId);
    return;
  }
  const std::uint32_t node_index = order_index_.find(request.order_id.value());
  if (node_index == IdIndex::kNotFound) {
    pending_cancels_.remember(request.order_id.value());
    return;
  }
  const OrderNode node = nodes_[node_index];
  remove_order(node_index);
  listener_->on_cancelled(OrderCancelled{take_sequence(), symbol_, OrderId(node.order_id),
                                         node.user, CancelReason::kUser, node.remaining});
}

// --- Matching ------------------------------------------------------------------

std::int64_t OrderBook::fillable_quantity(const NewOrder& order) const noexcept {
  const Ladder& opposite_side = ladder(opposite(order.side));
  const bool is_limit = order.type == OrderType::kLimit;
  const bool capped = order.type == OrderType::kMarket && order.side == Side::kBuy;
  std::int64_t cap = order.cash_cap_ticks;
  std::int64_t filled = 0;
  for (std::size_t i = opposite_side.size(); i-- > 0;) {
    const LadderEntry entry = opposite_side[i];
    if (is_limit && !crosses(order.side, order.price_ticks, entry.price_ticks)) break;
    const PriceLevel& level = levels_[entry.level];
    for (std::uint32_t n = level.head; n != kNil; n = nodes_[n].next) {
      const OrderNode& maker = nodes_[n];
      if (maker.user == order.user) return filled;
      std::int64_t fill = std::min(order.quantity - filled, maker.remaining);
      if (capped) {
        const std::int64_t affordable = cap / entry.price_ticks;
        if (affordable == 0) return filled;
        fill = std::min(fill, affordable);
        cap -= fill * entry.price_ticks;
      }
      filled += fill;
      if (filled == order.quantity) return filled;
    }
  }
  return filled;
}

OrderBook::StopReason OrderBook::match(const NewOrder& order, std::int64_t& remaining) {
  const Side maker_side = opposite(order.side);
  Ladder& makers = ladder(maker_side);
  const bool is_limit = order.type == OrderType::kLimit;
  const bool capped = order.type == OrderType::kMarket && order.side == Side::kBuy;
  std::int64_t cap = order.cash_cap_ticks;

  while (remaining > 0 && !makers.empty()) {
    const LadderEntry best_entry = makers.back();
    if (is_limit && !crosses(order.side, order.price_ticks, best_entry.price_ticks)) break;
    PriceLevel& level = levels_[best_entry.level];
    const std::int64_t price = best_entry.price_ticks;
    BOURSE_ASSERT(level.head != kNil && level.price_ticks == price,
                  "ladder points at a live level");
    while (remaining > 0 && level.head != kNil) {
      const std::uint32_t maker_index = level.head;
      OrderNode& maker = nodes_[maker_index];
      if (maker.user == order.user) return StopReason::kSelfTrade;
      std::int64_t fill = std::min(remaining, maker.remaining);
      if (capped) {
        const std::int64_t affordable = cap / price;
        if (affordable == 0) return StopReason::kCashCap;
        fill = std::min(fill, affordable);
        cap -= fill * price;
        BOURSE_ASSERT(cap >= 0, "a market buy never spends past its cash cap");
      }
      BOURSE_ASSERT(fill > 0, "no trade has quantity 0");
      maker.remaining -= fill;
      level.total_quantity -= fill;
      resting_quantity_ -= fill;
      remaining -= fill;
      listener_->on_trade(Trade{take_sequence(), symbol_, TradeId(next_trade_id_++), price, fill,
                                OrderId(maker.order_id), order.order_id, maker.user, order.user,
                                order.side, maker.remaining, remaining});
      if (maker.remaining == 0) {
        // The maker is at the head of its level: pop it.
        level.head = maker.next;
        if (level.head != kNil) {
          nodes_[level.head].prev = kNil;
        } else {
          level.tail = kNil;
        }
        --level.order_count;
        const bool erased = order_index_.erase(maker.order_id);
        BOURSE_ASSERT(erased, "a resting order is indexed");
        free_node(maker_index);
      }
    }
    if (level.head != kNil) break;  // the taker is done; the level keeps its remainder
    BOURSE_ASSERT(level.order_count == 0 && level.total_quantity == 0, "an empty level is empty");
    makers.pop_back();
    levels_[best_entry.level].next_free = free_level_;
    free_level_ = best_entry.level;
  }
  return StopReason::kNone;
}

void OrderBook::rest(const NewOrder& order, std::int64_t remaining) {
  const std::uint32_t node_index = allocate_node();
  const std::uint32_t level_index = find_or_add_level(order.side, order.price_ticks);
  const Sequence sequence = take_sequence();
  OrderNode& node = nodes_[node_index];
  node.order_id = order.order_id.value();
  node.user = order.user;
  node.remaining = remaining;
  node.accepted_sequence = sequence;
  append_to_level(level_index, node_index);
  order_index_.insert(node.order_id, node_index);
  listener_->on_accepted(OrderAccepted{sequence, symbol_, order.order_id, order.user, order.side,
                                       order.price_ticks, remaining});
}

// --- Structure maintenance -------------------------------------------------------

std::uint32_t OrderBook::find_or_add_level(Side side, std::int64_t price_ticks) {
  Ladder& side_ladder = ladder(side);
  // Most placements land on the best level or next to it: look there first.
  if (!side_ladder.empty() && side_ladder.back().price_ticks == price_ticks) {
    return side_ladder.back().level;
  }
  const auto position = side_ladder.begin() + static_cast<std::ptrdiff_t>(ladder_lower_bound(
                                                  side_ladder, side, price_ticks));
  if (position != side_ladder.end() && position->price_ticks == price_ticks) return position->level;
  const std::uint32_t level_index = allocate_level();
  PriceLevel& level = levels_[level_index];
  level.price_ticks = price_ticks;
  level.total_quantity = 0;
  level.head = kNil;
  level.tail = kNil;
  level.order_count = 0;
  level.side = side;
  level.next_free = kNil;
  side_ladder.insert(position, LadderEntry{price_ticks, level_index});
  return level_index;
}

std::size_t OrderBook::ladder_lower_bound(const Ladder& side_ladder, Side side,
                                          std::int64_t price_ticks) noexcept {
  // Galloping search from the best end: most prices are near the touch, and the entries
  // next to the back are the ones already in cache.
  std::size_t high = side_ladder.size();  // the answer is <= high
  std::size_t low = 0;
  for (std::size_t step = 1;; step *= 2) {
    if (high < step) break;
    const std::size_t probe = high - step;
    if (worse(side, side_ladder[probe].price_ticks, price_ticks)) {
      low = probe + 1;
      break;
    }
    high = probe;
  }
  const auto first = side_ladder.begin() + static_cast<std::ptrdiff_t>(low);
  const auto last = side_ladder.begin() + static_cast<std::ptrdiff_t>(high);
  return static_cast<std::size_t>(
      std::lower_bound(first, last, price_ticks,
                       [side](const LadderEntry& entry, std::int64_t price) {
                         return worse(side, entry.price_ticks, price);
                       }) -
      side_ladder.begin());
}

void OrderBook::append_to_level(std::uint32_t level_index, std::uint32_t node_index) {
  PriceLevel& level = levels_[level_index];
  OrderNode& node = nodes_[node_index];
  node.level = level_index;
  node.prev = level.tail;
  node.next = kNil;
  if (level.tail != kNil) {
    nodes_[level.tail].next = node_index;
  } else {
    level.head = node_index;
  }
  level.tail = node_index;
  ++level.order_count;
  level.total_quantity += node.remaining;
  resting_quantity_ += node.remaining;
}

void OrderBook::remove_order(std::uint32_t node_index) {
  OrderNode& node = nodes_[node_index];
  PriceLevel& level = levels_[node.level];
  if (node.prev != kNil) {
    nodes_[node.prev].next = node.next;
  } else {
    level.head = node.next;
  }
  if (node.next != kNil) {
    nodes_[node.next].prev = node.prev;
  } else {
    level.tail = node.prev;
  }
  --level.order_count;
  level.total_quantity -= node.remaining;
  resting_quantity_ -= node.remaining;
  BOURSE_ASSERT(level.total_quantity >= 0, "level totals never go negative");
  const std::uint32_t level_index = node.level;
  const bool erased = order_index_.erase(node.order_id);
  BOURSE_ASSERT(erased, "a resting order is indexed");
  free_node(node_index);
  if (level.order_count == 0) {
    BOURSE_ASSERT(level.head == kNil && level.total_quantity == 0, "an empty level is empty");
    remove_empty_level(level);
    level.next_free = free_level_;
    free_level_ = level_index;
  }
}

void OrderBook::remove_empty_level(const PriceLevel& level) {
  Ladder& side_ladder = ladder(level.side);
  BOURSE_ASSERT(!side_ladder.empty(), "an empty level is on its ladder");
  if (side_ladder.back().price_ticks == level.price_ticks) {
    side_ladder.pop_back();
    return;
  }
  const auto position = side_ladder.begin() + static_cast<std::ptrdiff_t>(ladder_lower_bound(
                                                  side_ladder, level.side, level.price_ticks));
  BOURSE_ASSERT(position != side_ladder.end() && position->price_ticks == level.price_ticks,
                "an empty level is on its ladder");
  side_ladder.erase(position);
}

std::uint32_t OrderBook::allocate_node() {
  if (free_node_ != kNil) {
    const std::uint32_t index = free_node_;
    free_node_ = nodes_[index].next;
    return index;
  }
  BOURSE_ASSERT(nodes_.size() < options_.max_resting_orders, "order pool bounded by the limit");
  nodes_.emplace_back();
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void OrderBook::free_node(std::uint32_t node_index) noexcept {
  OrderNode& node = nodes_[node_index];
  node.order_id = 0;
  node.remaining = 0;
  node.level = kNil;
  node.prev = kNil;
  node.next = free_node_;
  free_node_ = node_index;
}

std::uint32_t OrderBook::allocate_level() {
  if (free_level_ != kNil) {
    const std::uint32_t index = free_level_;
    free_level_ = levels_[index].next_free;
    return index;
  }
  levels_.emplace_back();
  return static_cast<std::uint32_t>(levels_.size() - 1);
}

void OrderBook::emit_cancelled(const NewOrder& order, CancelReason reason, std::int64_t quantity) {
  BOURSE_ASSERT(quantity > 0, "a cancellation cancels something");
  listener_->on_cancelled(
      OrderCancelled{take_sequence(), symbol_, order.order_id, order.user, reason, quantity});
}

void OrderBook::emit_rejected(OrderId order_id, UserHandle user, RejectReason reason) {
  listener_->on_rejected(OrderRejected{take_sequence(), symbol_, order_id, user, reason});
}

// --- Queries -------------------------------------------------------------------

std::optional<LevelView> OrderBook::best(Side side) const noexcept {
  const Ladder& side_ladder = ladder(side);
  if (side_ladder.empty()) return std::nullopt;
  const PriceLevel& level = levels_[side_ladder.back().level];
  return LevelView{level.price_ticks, level.total_quantity, level.order_count};
}

std::vector<LevelView> OrderBook::depth(Side side, std::size_t max_levels) const {
  const Ladder& side_ladder = ladder(side);
  const std::size_t count =
      std::min({max_levels, limits::kMaxDepthQueryLevels, side_ladder.size()});
  std::vector<LevelView> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const PriceLevel& level = levels_[side_ladder[side_ladder.size() - 1 - i].level];
    out.push_back(LevelView{level.price_ticks, level.total_quantity, level.order_count});
  }
  return out;
}

std::optional<RestingOrderView> OrderBook::find(OrderId order_id) const noexcept {
  if (!order_id.valid()) return std::nullopt;
  const std::uint32_t index = order_index_.find(order_id.value());
  if (index == IdIndex::kNotFound) return std::nullopt;
  const OrderNode& node = nodes_[index];
  const PriceLevel& level = levels_[node.level];
  return RestingOrderView{order_id,          node.user,      level.side,
                          level.price_ticks, node.remaining, node.accepted_sequence};
}

std::size_t OrderBook::memory_bytes() const noexcept {
  return nodes_.capacity() * sizeof(OrderNode) + levels_.capacity() * sizeof(PriceLevel) +
         (bids_.capacity() + asks_.capacity()) * sizeof(LadderEntry) + order_index_.memory_bytes() +
         pending_cancels_.memory_bytes();
}

// --- Snapshot / restore ----------------------------------------------------------

BookSnapshot OrderBook::snapshot() const {
  BookSnapshot out;
  out.symbol = symbol_;
  out.next_sequence = next_sequence_;
  out.next_trade_id = next_trade_id_;
  out.orders.reserve(order_index_.size());
  for (const Side side : {Side::kBuy, Side::kSell}) {
    const Ladder& side_ladder = ladder(side);
    for (std::size_t i = side_ladder.size(); i-- > 0;) {
      const PriceLevel& level = levels_[side_ladder[i].level];
      for (std::uint32_t n = level.head; n != kNil; n = nodes_[n].next) {
        const OrderNode& node = nodes_[n];
        out.orders.push_back(SnapshotOrder{OrderId(node.order_id), node.user, side,
                                           level.price_ticks, node.remaining,
                                           node.accepted_sequence});
      }
    }
  }
  out.pending_cancels = pending_cancels_.oldest_first();
  return out;
}

Status OrderBook::restore(const BookSnapshot& snapshot) {
  CallGuard guard(in_call_);
  BOURSE_ASSERT(order_index_.size() == 0 && pending_cancels_.size() == 0 && next_sequence_ == 1 &&
                    next_trade_id_ == 1,
                "restore() REQUIRES a fresh book");
  if (snapshot.symbol != symbol_) return invalid_snapshot("symbol mismatch");
  if (snapshot.next_sequence < 1) return invalid_snapshot("next_sequence < 1");
  if (snapshot.next_trade_id < 1) return invalid_snapshot("next_trade_id < 1");
  if (snapshot.orders.size() > options_.max_resting_orders)
    return invalid_snapshot("too many orders");
  if (snapshot.pending_cancels.size() > options_.max_pending_cancels) {
    return invalid_snapshot("too many pending cancels");
  }
  IdIndex seen;
  seen.reserve(snapshot.orders.size() + snapshot.pending_cancels.size());
  const SnapshotOrder* previous = nullptr;
  std::optional<std::int64_t> best_bid;
  std::optional<std::int64_t> best_ask;
  for (const SnapshotOrder& order : snapshot.orders) {
    if (!order.order_id.valid()) return invalid_snapshot("order id <= 0");
    if (seen.find(order.order_id.value()) != IdIndex::kNotFound) {
      return invalid_snapshot("duplicate order id");
    }
    seen.insert(order.order_id.value(), 0);
    if (order.side != Side::kBuy && order.side != Side::kSell) return invalid_snapshot("bad side");
    if (order.remaining_quantity <= 0 || order.remaining_quantity > limits::kMaxOrderQuantity) {
      return invalid_snapshot("quantity out of range");
    }
    if (order.price_ticks <= 0 || order.price_ticks > limits::kMaxPriceTicks) {
      return invalid_snapshot("price out of range");
    }
    if (order.accepted_sequence < 1 || order.accepted_sequence >= snapshot.next_sequence) {
      return invalid_snapshot("accepted_sequence out of range");
    }
    if (previous != nullptr) {
      if (previous->side == Side::kSell && order.side == Side::kBuy) {
        return invalid_snapshot("bids must precede asks");
      }
      if (previous->side == order.side) {
        if (worse(order.side, previous->price_ticks, order.price_ticks)) {
          return invalid_snapshot("levels not in best-first order");
        }
        if (previous->price_ticks == order.price_ticks &&
            previous->accepted_sequence >= order.accepted_sequence) {
          return invalid_snapshot("queue not in arrival order");
        }
      }
    }
    auto& best_of_side = order.side == Side::kBuy ? best_bid : best_ask;
    if (!best_of_side) best_of_side = order.price_ticks;
    previous = &order;
  }
  if (best_bid && best_ask && *best_bid >= *best_ask) return invalid_snapshot("crossed book");
  for (const std::int64_t id : snapshot.pending_cancels) {
    if (id <= 0) return invalid_snapshot("pending cancel id <= 0");
    if (seen.find(id) != IdIndex::kNotFound) {
      return invalid_snapshot("pending cancel duplicates an id");
    }
    seen.insert(id, 0);
  }

  nodes_.reserve(snapshot.orders.size());
  order_index_.reserve(snapshot.orders.size());
  for (const SnapshotOrder& order : snapshot.orders) {
    const std::uint32_t node_index = allocate_node();
    const std::uint32_t level_index = find_or_add_level(order.side, order.price_ticks);
    OrderNode& node = nodes_[node_index];
    node.order_id = order.order_id.value();
    node.user = order.user;
    node.remaining = order.remaining_quantity;
    node.accepted_sequence = order.accepted_sequence;
    append_to_level(level_index, node_index);
    order_index_.insert(node.order_id, node_index);
  }
  for (const std::int64_t id : snapshot.pending_cancels) pending_cancels_.remember(id);
  next_sequence_ = snapshot.next_sequence;
  next_trade_id_ = snapshot.next_trade_id;
  return Status::success();
}

// --- Invariants ------------------------------------------------------------------

void OrderBook::check_invariants() const {
  std::size_t total_orders = 0;
  std::int64_t total_quantity = 0;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    const Ladder& side_ladder = ladder(side);
    for (std::size_t i = 0; i < side_ladder.size(); ++i) {
      const LadderEntry& entry = side_ladder[i];
      if (i > 0) {
        BOURSE_ASSERT(worse(side, side_ladder[i - 1].price_ticks, entry.price_ticks),
                      "ladder sorted worst to best, no duplicate prices");
      }
      const PriceLevel& level = levels_[entry.level];
      BOURSE_ASSERT(level.price_ticks == entry.price_ticks && level.side == side, "level matches");
      std::int64_t sum = 0;
      std::uint32_t count = 0;
      std::uint32_t previous = kNil;
      Sequence previous_sequence = 0;
      for (std::uint32_t n = level.head; n != kNil; n = nodes_[n].next) {
        const OrderNode& node = nodes_[n];
        BOURSE_ASSERT(node.remaining > 0, "resting quantity > 0");
        BOURSE_ASSERT(node.level == entry.level && node.prev == previous, "queue links consistent");
        BOURSE_ASSERT(node.accepted_sequence > previous_sequence, "queue in arrival order");
        BOURSE_ASSERT(order_index_.find(node.order_id) == n, "index points at the node");
        BOURSE_ASSERT(!pending_cancels_.contains(node.order_id), "no pending cancel is resting");
        previous_sequence = node.accepted_sequence;
        sum += node.remaining;
        ++count;
        previous = n;
      }
      BOURSE_ASSERT(level.tail == previous, "tail is the last order");
      BOURSE_ASSERT(count > 0 && count == level.order_count, "level count matches");
      BOURSE_ASSERT(sum == level.total_quantity, "level total matches");
      total_orders += count;
      total_quantity += sum;
    }
  }
  BOURSE_ASSERT(total_orders == order_index_.size(), "index holds exactly the resting orders");
  BOURSE_ASSERT(total_quantity == resting_quantity_, "resting total matches the levels");
  if (!bids_.empty() && !asks_.empty()) {
    BOURSE_ASSERT(bids_.back().price_ticks < asks_.back().price_ticks, "book never crossed");
  }
}

}  // namespace bourse::matching
