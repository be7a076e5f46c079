// ReferenceMatcher: a deliberately simple model of the order book rules, for tests.
//
// Sorted vectors scanned linearly (O(n) everything), a std::deque for the pending
// cancels, and FOK decided by matching on a scratch copy of the book instead of the
// engine's dry-run walk. It shares no code with OrderBook except the types, so the
// randomized test that compares the two checks the rules, not one implementation
// against itself.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "bourse/matching/book_snapshot.h"
#include "bourse/matching/types.h"

namespace bourse::matching::testing {

class ReferenceMatcher {
 public:
  ReferenceMatcher(SymbolHandle symbol, std::size_t max_resting_orders,
                   std::size_t max_pending_cancels);

  std::vector<Event> submit(const NewOrder& order);
  std::vector<Event> cancel(const CancelOrder& request);

  std::optional<std::int64_t> best_bid() const;
  std::optional<std::int64_t> best_ask() const;
  std::int64_t resting_quantity() const;
  std::size_t resting_order_count() const { return bids_.size() + asks_.size(); }
  // Same layout as OrderBook::snapshot().
  BookSnapshot snapshot() const;

 private:
  struct Resting {
    std::int64_t order_id;
    UserHandle user;
    Side side;
    std::int64_t price_ticks;
    std::int64_t remaining;
    Sequence accepted_sequence;
  };
  enum class Stop { kNone, kSelfTrade, kCashCap };

  Stop run_match(const NewOrder& order, std::vector<Resting>& makers, std::int64_t& remaining,
                 Sequence& sequence, std::int64_t& trade_id, std::vector<Event>* out) const;
  bool is_resting(std::int64_t order_id) const;

  SymbolHandle symbol_;
  std::size_t max_resting_orders_;
  std::size_t max_pending_cancels_;
  std::vector<Resting> bids_;  // best first: price descending, then oldest first
  std::vector<Resting> asks_;  // best first: price ascending, then oldest first
  std::deque<std::int64_t> pending_;  // oldest first
  Sequence sequence_ = 1;
  std::int64_t trade_id_ = 1;
};

}  // namespace bourse::matching::testing
