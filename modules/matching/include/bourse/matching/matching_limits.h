// Every limit of the matching engine, with the reason next to the number.
//
// The engine rejects (never crashes on) input past these limits; internal structures
// assert them (BOURSE_ASSERT) because exceeding one would be a bug in the engine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bourse/common/limits.h"

namespace bourse::matching::limits {

// Highest limit price, in ticks. A price must stay representable as a money Amount
// once the adapter multiplies by the tick size, so it shares the Amount ceiling.
inline constexpr std::int64_t kMaxPriceTicks = ::bourse::limits::kMaxAmountUnits;

// Largest quantity of one order, in lots: the shared kernel's quantity ceiling.
inline constexpr std::int64_t kMaxOrderQuantity = ::bourse::limits::kMaxQuantity;

// Resting orders in one book. Two reasons: node links are 32-bit indices (4-byte links
// keep an order node at 48 bytes), and the quantity summed over a whole side
// (kMaxRestingOrdersPerBook x kMaxOrderQuantity = 4.2e18) must fit int64 (9.2e18)
// so level and side totals can never overflow.
inline constexpr std::uint32_t kMaxRestingOrdersPerBook = 1u << 22;

// Orders pre-allocated per book when no capacity is given. The pool doubles when it
// runs out (amortised, never per order); a deployment sizes books with
// BookOptions::initial_order_capacity so the hot path never grows a pool.
inline constexpr std::uint32_t kDefaultInitialOrderCapacity = 64;

// Cancels remembered for orders not yet seen ("cancel before arrival"). A cancel can
// overtake its order only inside the window where both are in flight (milliseconds);
// thousands of such races per book at once means something upstream is broken, so the
// oldest remembered cancel is evicted first (FIFO) and memory stays bounded: at most
// 4096 x ~40 bytes per book, allocated only when the first such cancel arrives.
inline constexpr std::uint32_t kMaxPendingCancelsPerBook = 4096;

// Books one shard (one Kafka partition's single-writer thread) can own. Symbol handles
// are dense indices 0..symbol_count-1 into a vector of books; 65,536 bounds that
// vector and is far above the number of listed symbols of an exchange partition.
inline constexpr std::uint32_t kMaxSymbolsPerShard = 65'536;

// Commands waiting in one shard's input ring. 65,536 x 64 bytes = 4 MiB: a few
// milliseconds of input at full speed absorbs bursts; past it the producer feels
// back-pressure (try_submit fails, submit waits) instead of memory growing.
inline constexpr std::size_t kDefaultShardRingCapacity = 1u << 16;
// Ceiling for a configured ring size (64 MiB of commands).
inline constexpr std::size_t kMaxShardRingCapacity = 1u << 20;

// Levels one depth query may return; market-data pages ask for 5..50.
inline constexpr std::size_t kMaxDepthQueryLevels = 1'000;

}  // namespace bourse::matching::limits
