// BookSnapshot: everything needed to rebuild one order book exactly.
//
// An instance that takes over a partition restores each book from its snapshot and
// then sees the same future matching outcomes (same trades, same trade ids, same
// sequence numbers) as the instance that took it. That needs: every resting order in
// priority order, the book's next event sequence and next trade id, and the
// pending-cancel FIFO (a remembered cancel changes what a later order does).
//
// Order of `orders`: bids best price first, then asks best price first; within one
// price, queue order (oldest first). Restore appends in this order, which recreates
// the time priority. Plain value; thread-safe like a struct.
#pragma once

#include <cstdint>
#include <vector>

#include "bourse/matching/types.h"

namespace bourse::matching {

struct SnapshotOrder {
  OrderId order_id;
  UserHandle user = 0;
  Side side = Side::kBuy;
  std::int64_t price_ticks = 0;
  std::int64_t remaining_quantity = 0;
  Sequence accepted_sequence = 0;  // sequence of its OrderAccepted event
  friend bool operator==(const SnapshotOrder&, const SnapshotOrder&) = default;
};

struct BookSnapshot {
  SymbolHandle symbol = 0;
  Sequence next_sequence = 1;
  std::int64_t next_trade_id = 1;
  std::vector<SnapshotOrder> orders;
  std::vector<std::int64_t> pending_cancels;  // order ids, oldest first
  friend bool operator==(const BookSnapshot&, const BookSnapshot&) = default;
};

}  // namespace bourse::matching
