// Order ids, handed out by the order committer from blocks it reserves in the database.
//
// An order's id is known before its INSERT, so the orders go to the server with the rest of
// the group's writes and the COMMIT (order_committer.cc) instead of in a round trip of
// their own whose AUTO_INCREMENT ids had to come back first.
//
// Contract:
// - Unique across every instance sharing the database, for ever: a block is reserved by
//   ONE autocommitted `UPDATE order_id_blocks SET next_order_id = next_order_id + n`
//   (migrations/0205), whose commit is durable before any id of it is handed out. A crash
//   loses the rest of a block (a gap), never reuses an id.
// - Ascending within one OrderIdBlocks (one committer lane); ids of different lanes or
//   instances interleave by block, so an id says nothing about creation order across them
//   (created_at does).
// - Ids taken by a group that then fails are not given back (gaps).
//
// Thread-safety: none; one per committer lane, used on its thread.
// Blocking: reserve() may run one statement on a pool session; never on an I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/db/connection_pool.h"

namespace bourse::order {

// Ids per reservation: at least a whole group, so one reservation covers any group; small
// enough that a restart wastes little. At 2,000 orders/s it is two statements a second.
inline constexpr std::int64_t kOrderIdBlockSize = 1024;

class OrderIdBlocks {
 public:
  explicit OrderIdBlocks(db::ConnectionPool& pool) : pool_(pool) {}

  // Makes at least `count` ids available: nothing to do when the current block has them,
  // otherwise one round trip reserves a fresh block (the old block's rest is dropped).
  // Errors: the pool's (kUnavailable when the database cannot be reached).
  // REQUIRES: 1 <= count <= kOrderIdBlockSize.
  Status reserve(std::size_t count);

  // The next id. REQUIRES: available() > 0 (reserve() first).
  OrderId take();

  std::size_t available() const { return static_cast<std::size_t>(end_ - next_); }

 private:
  db::ConnectionPool& pool_;
  std::int64_t next_ = 0;  // [next_, end_) is reserved and not handed out yet
  std::int64_t end_ = 0;
};

}  // namespace bourse::order
