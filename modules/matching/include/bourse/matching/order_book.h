// OrderBook: one symbol's limit order book with price-time priority.
//
// Rules (see modules/matching/README.md for the full list):
// - LIMIT orders trade against the opposite side while it crosses their price, at the
//   resting (maker) order's price, best price first and oldest first within a price.
//   A GTC remainder rests; an IOC remainder is cancelled; a FOK order fills completely
//   or leaves no trace (cancelled with kFokNotFillable, nothing traded).
// - MARKET orders sweep the opposite side and never rest. A market BUY also carries a
//   cash cap (price_ticks x lots): at each maker it fills at most
//   floor(remaining_cap / price) lots and is cancelled with kCashCap when that is 0.
// - Partially filled resting orders keep their place in the queue.
// - Self-trade prevention: when the next maker belongs to the taker's user, the
//   taker's remainder is cancelled (kSelfTrade); fills before it stand.
// - Cancel by id removes a resting order. A cancel for an id not in the book is
//   remembered (bounded FIFO, PendingCancels) and the order is dropped on arrival.
// - Invalid input is rejected with OrderRejected; it never crashes the book.
//
// Every event carries the book's sequence number (monotonic, one per event). The same
// sequence of calls always produces the same events: no clock, no randomness, no
// pointer values and no hash-table iteration reach the output.
//
// Data structures (no per-order heap allocation once the pools are sized):
// - order nodes in one pool (vector + free list), linked per level by 32-bit indices
//   (intrusive FIFO queue per price level);
// - per side a vector of (price, level) sorted so the best price is at the back:
//   best price O(1), new level O(log L) search + a short move near the touch, removal
//   of the best level O(1);
// - an open-addressing id index for cancels: O(1) expected.
//
// Invariants (check_invariants() verifies all of them, O(n)): the book is never
// crossed after a call returns (best bid < best ask); every resting quantity is > 0;
// level totals equal the sum of their orders; the id index holds exactly the resting
// orders; no pending-cancel id is resting.
//
// Thread-safety: none. One writer thread owns a book (a shard); const queries must
// run on that thread too, or while it is stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/matching/book_snapshot.h"
#include "bourse/matching/event_listener.h"
#include "bourse/matching/id_index.h"
#include "bourse/matching/matching_limits.h"
#include "bourse/matching/pending_cancels.h"
#include "bourse/matching/types.h"

namespace bourse::matching {

struct BookOptions {
  // Order nodes and id-index room allocated up front (the pool doubles past it).
  std::uint32_t initial_order_capacity = limits::kDefaultInitialOrderCapacity;
  // Resting-order ceiling; REQUIRES: <= limits::kMaxRestingOrdersPerBook.
  std::uint32_t max_resting_orders = limits::kMaxRestingOrdersPerBook;
  // REQUIRES: 1..limits::kMaxPendingCancelsPerBook.
  std::uint32_t max_pending_cancels = limits::kMaxPendingCancelsPerBook;
};

// One aggregated price level.
struct LevelView {
  std::int64_t price_ticks = 0;
  std::int64_t total_quantity = 0;
  std::uint32_t order_count = 0;
  friend bool operator==(const LevelView&, const LevelView&) = default;
};

struct RestingOrderView {
  OrderId order_id;
  UserHandle user = 0;
  Side side = Side::kBuy;
  std::int64_t price_ticks = 0;
  std::int64_t remaining_quantity = 0;
  Sequence accepted_sequence = 0;
};

class OrderBook {
 public:
  // REQUIRES: `listener` outlives the book (or is replaced with set_listener).
  OrderBook(SymbolHandle symbol, EventListener& listener, BookOptions options = {});
  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;
  OrderBook(OrderBook&&) = default;
  OrderBook& operator=(OrderBook&&) = delete;

  void set_listener(EventListener& listener) noexcept { listener_ = &listener; }

  // Processes one new order: rejects it, drops it (pending cancel), matches it, then
  // rests or cancels its remainder. Emits the events in order.
  void submit(const NewOrder& order);
  // Cancels a resting order (OrderCancelled kUser), or remembers the id if the order
  // is not in the book (no event now). Rejects ids <= 0.
  void cancel(const CancelOrder& request);

  // --- Queries (safe on an empty book) --------------------------------------------
  std::optional<LevelView> best_bid() const noexcept { return best(Side::kBuy); }
  std::optional<LevelView> best_ask() const noexcept { return best(Side::kSell); }
  std::optional<LevelView> best(Side side) const noexcept;
  // Up to min(max_levels, kMaxDepthQueryLevels) levels of `side`, best first.
  std::vector<LevelView> depth(Side side, std::size_t max_levels) const;
  std::optional<RestingOrderView> find(OrderId order_id) const noexcept;
  std::size_t resting_order_count() const noexcept { return order_index_.size(); }
  // Sum of the remaining quantity of every resting order, both sides (O(1)).
  std::int64_t resting_quantity() const noexcept { return resting_quantity_; }
  std::size_t level_count(Side side) const noexcept { return ladder(side).size(); }
  std::size_t pending_cancel_count() const noexcept { return pending_cancels_.size(); }
  bool has_pending_cancel(OrderId order_id) const noexcept {
    return pending_cancels_.contains(order_id.value());
  }
  SymbolHandle symbol() const noexcept { return symbol_; }
  Sequence next_sequence() const noexcept { return next_sequence_; }
  std::int64_t next_trade_id() const noexcept { return next_trade_id_; }
  // Heap bytes held by this book's pools and indices (capacity, not just use).
  std::size_t memory_bytes() const noexcept;

  // --- Snapshot / restore -----------------------------------------------------------
  BookSnapshot snapshot() const;
  // Rebuilds this book from `snapshot`. REQUIRES: the book is empty and fresh (no
  // event emitted yet). Validates the snapshot (ids, quantities, prices, priority
  // order, uncrossed, sequences, pending cancels) and returns an error instead of
  // restoring a corrupt one; the book stays empty on error.
  Status restore(const BookSnapshot& snapshot);

  // Full O(n) check of every invariant; asserts (crashes) on a violation. For tests.
  void check_invariants() const;

  // --- Prefetch hints (no effect on state or events) --------------------------------
  // A caller that knows the next commands (Engine::apply over a batch) calls these a
  // few commands ahead so the cache misses of those commands overlap with the work of
  // the current one. Stage 1: the id-index slot and both ladder ends; stage 2 (after
  // stage 1 had time to land): the order node / best levels; stage 3: the neighbours.
  // They only read in-bounds state of this book and issue prefetch instructions.
  void prefetch_submit(const NewOrder& order, int stage) const noexcept;
  void prefetch_cancel(OrderId order_id, int stage) const noexcept;

 private:
  static constexpr std::uint32_t kNil = 0xFFFF'FFFFu;

  struct OrderNode {
    std::int64_t order_id = 0;  // 0 while the node is free
    UserHandle user = 0;
    std::int64_t remaining = 0;
    Sequence accepted_sequence = 0;
    std::uint32_t level = kNil;
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;  // queue link, or free-list link while free
  };
  struct PriceLevel {
    std::int64_t price_ticks = 0;
    std::int64_t total_quantity = 0;
    std::uint32_t head = kNil;  // oldest order
    std::uint32_t tail = kNil;  // newest order
    std::uint32_t order_count = 0;
    Side side = Side::kBuy;
    std::uint32_t next_free = kNil;
  };
  struct LadderEntry {
    std::int64_t price_ticks;
    std::uint32_t level;
  };
  // Sorted so that the best price is at the back: bids ascending, asks descending.
  using Ladder = std::vector<LadderEntry>;

  enum class StopReason : std::uint8_t { kNone, kSelfTrade, kCashCap };

  const Ladder& ladder(Side side) const noexcept { return side == Side::kBuy ? bids_ : asks_; }
  Ladder& ladder(Side side) noexcept { return side == Side::kBuy ? bids_ : asks_; }

  std::optional<RejectReason> validate(const NewOrder& order) const noexcept;
  std::int64_t fillable_quantity(const NewOrder& order) const noexcept;
  StopReason match(const NewOrder& order, std::int64_t& remaining);
  void rest(const NewOrder& order, std::int64_t remaining);
  std::uint32_t find_or_add_level(Side side, std::int64_t price_ticks);
  // Position of the first ladder entry not worse than `price_ticks` (std::lower_bound),
  // searched from the best end outwards: O(log distance to the touch).
  void prefetch_node(std::uint32_t index) const noexcept;
  void prefetch_level(std::uint32_t index) const noexcept;
  static void prefetch_ladder_probes(const Ladder& side_ladder) noexcept;
  static std::size_t ladder_lower_bound(const Ladder& side_ladder, Side side,
                                        std::int64_t price_ticks) noexcept;
  void remove_order(std::uint32_t node_index);
  void remove_empty_level(const PriceLevel& level);
  std::uint32_t allocate_node();
  void free_node(std::uint32_t node_index) noexcept;
  std::uint32_t allocate_level();
  void append_to_level(std::uint32_t level_index, std::uint32_t node_index);

  Sequence take_sequence() noexcept { return next_sequence_++; }
  void emit_cancelled(const NewOrder& order, CancelReason reason, std::int64_t quantity);
  void emit_rejected(OrderId order_id, UserHandle user, RejectReason reason);

  SymbolHandle symbol_;
  EventListener* listener_;
  BookOptions options_;
  Sequence next_sequence_ = 1;
  std::int64_t next_trade_id_ = 1;
  std::int64_t resting_quantity_ = 0;
  bool in_call_ = false;  // re-entrancy guard: listeners must not call back

  std::vector<OrderNode> nodes_;
  std::uint32_t free_node_ = kNil;
  std::vector<PriceLevel> levels_;
  std::uint32_t free_level_ = kNil;
  Ladder bids_;
  Ladder asks_;
  IdIndex order_index_;  // order id -> node index
  PendingCancels pending_cancels_;
};

inline void OrderBook::prefetch_ladder_probes(const Ladder& side_ladder) noexcept {
  // The entries ladder_lower_bound's galloping phase reads first: back, back-2,
  // back-6, ... (addresses only, nothing is read here).
  const std::size_t size = side_ladder.size();
  const LadderEntry* data = side_ladder.data();
  for (std::size_t step = 1; step <= size && step <= 256; step *= 2) {
    __builtin_prefetch(data + (size - step));
  }
}

inline void OrderBook::prefetch_node(std::uint32_t index) const noexcept {
  if (index >= nodes_.size()) return;
  // A 48-byte node may straddle two cache lines.
  const char* node = reinterpret_cast<const char*>(&nodes_[index]);
  __builtin_prefetch(node);
  __builtin_prefetch(node + sizeof(OrderNode) - 1);
}

inline void OrderBook::prefetch_level(std::uint32_t index) const noexcept {
  if (index >= levels_.size()) return;
  // A 40-byte level may straddle two cache lines.
  const char* level = reinterpret_cast<const char*>(&levels_[index]);
  __builtin_prefetch(level);
  __builtin_prefetch(level + sizeof(PriceLevel) - 1);
}

inline void OrderBook::prefetch_submit(const NewOrder& order, int stage) const noexcept {
  const std::int64_t id = order.order_id.value();
  const bool buy = order.side == Side::kBuy;
  const Ladder& same = buy ? bids_ : asks_;
  const Ladder& other = buy ? asks_ : bids_;
  const bool limit = order.type == OrderType::kLimit;
  switch (stage) {
    case 1:
      order_index_.prefetch(id);
      if (!other.empty()) __builtin_prefetch(&other.back());
      if (limit) prefetch_ladder_probes(same);
      return;
    case 2:
      if (!other.empty()) prefetch_level(other.back().level);
      if (free_node_ < nodes_.size()) prefetch_node(free_node_);
      if (limit && !same.empty()) {
        const std::size_t position = ladder_lower_bound(same, order.side, order.price_ticks);
        if (position < same.size() && same[position].price_ticks == order.price_ticks) {
          prefetch_level(same[position].level);
        }
      }
      return;
    case 3:
      if (!other.empty() && other.back().level < levels_.size()) {
        const std::uint32_t head = levels_[other.back().level].head;
        prefetch_node(head);
      }
      if (limit && !same.empty()) {
        const std::size_t position = ladder_lower_bound(same, order.side, order.price_ticks);
        if (position < same.size() && same[position].price_ticks == order.price_ticks &&
            same[position].level < levels_.size()) {
          const std::uint32_t tail = levels_[same[position].level].tail;
          prefetch_node(tail);
        }
      }
      return;
    default:
      return;
  }
}

inline void OrderBook::prefetch_cancel(OrderId order_id, int stage) const noexcept {
  const std::int64_t id = order_id.value();
  if (stage == 1) {
    order_index_.prefetch(id);
    return;
  }
  const std::uint32_t index = order_index_.find(id);
  if (index >= nodes_.size()) return;
  const OrderNode& node = nodes_[index];
  if (stage == 2) {
    prefetch_node(index);
    return;
  }
  if (node.level >= levels_.size()) return;
  if (stage == 3) {
    prefetch_level(node.level);
    prefetch_node(node.prev);
    prefetch_node(node.next);
    return;
  }
  // stage 4: the level empties with this cancel: its ladder entry will be searched.
  const PriceLevel& level = levels_[node.level];
  if (level.order_count == 1) prefetch_ladder_probes(ladder(level.side));
}

}  // namespace bourse::matching
