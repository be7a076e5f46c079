// The binary snapshot of a ShardState (format kShardSnapshotFormat = 1): the plain data
// (ShardSnapshot) and its byte codec. Private to the matching module; ShardState::encode /
// decode are the public entry points (they add the checks against the configuration and
// restore the books).
//
// Layout: little endian, fixed-width integers, every string and list with an explicit
// length, nothing implicit.
//
//   header (24 bytes)
//     magic        4 bytes "BSS1"
//     format       u32     kShardSnapshotFormat
//     body_length  u64     bytes after the header (== blob size - 24)
//     checksum     u64     FNV-1a 64 of the body
//   body
//     partition i32, next_offset i64, trade_sequence i64, next_user_handle u64
//     symbol_count u32, then per symbol (strictly ascending by name):
//       name_length u8, name, tick_units i64,
//       has_last_trade u8 (0/1), last_trade_price_ticks i64, last_trade_quantity i64
//         (both 0 when has_last_trade is 0),
//       next_sequence u64, next_trade_id i64,
//       order_count u32, orders (bids best first, then asks best first, queue order):
//         order_id i64, user u64, side u8, price_ticks i64, remaining i64,
//         accepted_sequence u64                                       (41 bytes each)
//       pending_cancel_count u32, pending cancel ids (oldest first, as id lists below)
//     user_count u32, then per user (strictly ascending by handle):
//       handle u64, user_id_length u8, user_id
//     recent_order_id_count u32, ids (oldest first)
//     recent_cancel_id_count u32, ids (oldest first)
//   and nothing after.
//   An id list holds each id (> 0) as the unsigned LEB128 varint (canonical: minimal, at
//   most 10 bytes) of the zigzagged difference to the previous id of the list (the first:
//   to 0). Order ids come from one sequence, so most take one to three bytes instead of 8.
//
// decode_snapshot checks every byte: header, format, length, checksum, each count against
// its limit below and against the bytes left (so a forged count cannot allocate more than
// the blob's size), each value against its range, and the cross-references (every order's
// user is in the user table and every user has a resting order; no order id rests twice in
// the shard; the books' trade counters add up to the shard's trade sequence). Left to the
// loaders: the books' own structure (priority order, uncrossed, sequences, unique pending
// cancels) to OrderBook::restore, unique ids in each id memory to ShardState::decode (both
// build their indexes anyway). Any failure is kMalformed; it never crashes and never reads
// out of bounds.
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/matching/book_snapshot.h"
#include "bourse/matching/matching_limits.h"
#include "bourse/matching/shard_state.h"
#include "bourse/matching/types.h"

namespace bourse::matching::snapshot {

inline constexpr std::size_t kHeaderBytes = 24;
inline constexpr char kMagic[4] = {'B', 'S', 'S', '1'};

// --- Limits (every count in a snapshot is bounded by one of these) --------------------
// Symbols of one shard: the engine's ceiling.
inline constexpr std::uint32_t kMaxSymbols = limits::kMaxSymbolsPerShard;
// Resting orders of one book: the engine's ceiling.
inline constexpr std::uint32_t kMaxOrdersPerBook = limits::kMaxRestingOrdersPerBook;
// Pending cancels of one book: the engine's ceiling.
inline constexpr std::uint32_t kMaxPendingCancelsPerBook = limits::kMaxPendingCancelsPerBook;
// Each id memory (orders, cancels).
inline constexpr std::size_t kMaxRecentIds = kRecentIdsRemembered;
// Largest blob: 4 GiB - 1 covers ~100 million resting orders in one shard (far past what
// one partition's thread serves) and fits a LONGBLOB; encode asserts it.
inline constexpr std::uint64_t kMaxSnapshotBytes = 0xFFFF'FFFFull;
// Users are bounded by the resting orders (each user in the table has one), so by the
// blob's size; there is no separate ceiling.
// Counters (next_offset, next_user_handle, a book's next_sequence): at most 2^62, so that
// even a forged snapshot leaves 2^62 steps before anything could overflow (a live shard
// never gets near: 10^6 inputs per second for 146,000 years).
inline constexpr std::uint64_t kMaxCounter = std::uint64_t{1} << 62;
// The shard's trade sequence: at most 2^52 (a book's next_trade_id at most 2^52 + 1), half
// of what global_trade_id accepts (2^53 - 1 with 1,024 partitions): the same headroom.
inline constexpr std::int64_t kMaxTradeSequence = std::int64_t{1} << 52;

struct SymbolSnapshot {
  std::string symbol;
  std::int64_t tick_units = 0;
  std::optional<std::int64_t> last_trade_price_ticks;  // with last_trade_quantity
  std::int64_t last_trade_quantity = 0;
  BookSnapshot book;  // book.symbol is this symbol's index in ShardSnapshot::symbols
  friend bool operator==(const SymbolSnapshot&, const SymbolSnapshot&) = default;
};

struct UserSnapshot {
  UserHandle handle = 0;
  std::string user_id;
  friend bool operator==(const UserSnapshot&, const UserSnapshot&) = default;
};

struct ShardSnapshot {
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;
  std::int64_t trade_sequence = 0;  // the last one handed out (0: none yet)
  UserHandle next_user_handle = 1;
  std::vector<SymbolSnapshot> symbols;          // strictly ascending by name
  std::vector<UserSnapshot> users;              // strictly ascending by handle
  std::vector<std::int64_t> recent_order_ids;   // oldest first
  std::vector<std::int64_t> recent_cancel_ids;  // oldest first
  friend bool operator==(const ShardSnapshot&, const ShardSnapshot&) = default;
};

// FNV-1a, 64 bits: offset basis 14695981039346656037, prime 1099511628211.
std::uint64_t fnv1a64(std::string_view bytes) noexcept;

// The blob of `snapshot`. REQUIRES: it is valid (decode_snapshot would accept it): asserted
// for the sizes and ranges the format depends on.
std::string encode_snapshot(const ShardSnapshot& snapshot);

// The snapshot `blob` holds, fully checked (see the file comment). kMalformed otherwise.
Result<ShardSnapshot> decode_snapshot(std::string_view blob);

}  // namespace bourse::matching::snapshot
