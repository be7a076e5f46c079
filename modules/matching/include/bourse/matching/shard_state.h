// ShardState: everything one matching shard (one input partition) decides with, and the
// only thing the matching service's I/O adapter drives. Pure and deterministic: no clock,
// no I/O, no randomness; every decision is a function of the snapshot it was restored
// from and the inputs applied since, in order. So "restore the latest snapshot, replay the
// input from its offset" rebuilds exactly the state a crashed owner had committed.
//
// It holds: the engine (one book per configured symbol), the user-id <-> UserHandle map,
// the symbol <-> SymbolHandle map with each symbol's tick size, the shard's trade sequence
// (-> events::global_trade_id), a bounded memory of recently seen order ids and cancel
// ids (duplicate inputs), and the next input offset it expects.
//
// Inputs (mapped by the adapter from order::OrderCreated / order::CancelRequested):
//   - Place: an order id seen before (within the memory, kRecentIdsRemembered) or still
//     resting in its symbol's book is a duplicate (the relay published its row twice): it
//     produces nothing and changes nothing, live and in replay alike. A duplicate never
//     reaches the engine.
//   - Cancel: a duplicate cancel (same order id, within the memory) produces nothing. A
//     cancel of an order resting in the cancel's symbol's book goes to the engine:
//     OrderCancelled(user, the remainder). Any other (an id not seen, or seen but already
//     filled, cancelled or rejected) produces CancelTooLate without touching the engine;
//     so the engine's cancel-before-arrival memory is never used (the order module
//     publishes an order's OrderCreated before its CancelRequested, on one partition).
//   - Quantities are shares; prices and cash caps are Amounts converted to ticks with the
//     symbol's tick size (a price off the tick, or a symbol not configured, gives
//     OrderRejected(invalid_order / unknown_symbol): the order module validated it, so that
//     is a bug upstream, answered without a crash).
// Outputs: the events of bourse/matching/events.h in the order the engine produced them,
// each with its index within the input (for events::output_event_id). TradeExecuted's
// executed_at is left empty: the adapter stamps it.
//
// Snapshot: encode() gives a self-contained binary blob (format version, checksum, next
// input offset, symbols and tick sizes, user map, trade sequence, id memory, and every
// book's BookSnapshot). decode() checks it completely (version, checksum, every count and
// value) and never crashes on bad bytes; restoring against a configuration whose symbols
// lack one of the snapshot's or give it another tick size is an error (the books would
// mean something else). Symbols configured but absent from the snapshot get empty books.
//
// Thread-safety: not thread-safe; owned by one thread (the partition's consumer thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/instrument.h"
#include "bourse/common/money.h"
#include "bourse/common/order_terms.h"
#include "bourse/matching/events.h"

namespace bourse::matching {

// Order ids (and cancel ids) remembered per shard to drop duplicate inputs. A relay
// re-publishes at most the rows it had not yet recorded as published up to (one batch,
// bounded far below this), so a duplicate always arrives within this many inputs of its
// original.
inline constexpr std::size_t kRecentIdsRemembered = 262'144;
// Snapshot format version written by encode(); decode() accepts only known versions.
inline constexpr std::uint32_t kShardSnapshotFormat = 1;

struct PlaceInput {
  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce time_in_force = TimeInForce::kGtc;
  Quantity quantity;
  std::optional<Amount> price;     // LIMIT
  std::optional<Amount> cash_cap;  // MARKET BUY
};

struct CancelInput {
  OrderId order_id;
  std::string user_id;
  std::string symbol;
};

using ShardInput = std::variant<PlaceInput, CancelInput>;

using ShardEvent = std::variant<events::OrderAccepted, events::TradeExecuted,
                                events::OrderCancelled, events::OrderRejected,
                                events::CancelTooLate>;

struct ShardOutput {
  std::int64_t input_offset = 0;  // the input it came from
  std::uint32_t index = 0;        // 0, 1, 2, ... within that input
  ShardEvent event;
};

// The market view of one symbol after a batch (for the read APIs): top levels and the
// last trade. Levels are best first; a level's quantity saturates at Quantity::kMax.
struct PriceLevelView {
  Amount price;
  Quantity quantity;
  std::int64_t orders = 0;
  friend bool operator==(const PriceLevelView&, const PriceLevelView&) = default;
};
struct SymbolView {
  std::string symbol;
  std::vector<PriceLevelView> bids;
  std::vector<PriceLevelView> asks;
  std::optional<Amount> last_trade_price;
  std::optional<Quantity> last_trade_quantity;
  friend bool operator==(const SymbolView&, const SymbolView&) = default;
};

class ShardState {
 public:
  // A fresh shard of `partition` whose first input is at `first_offset` (no snapshot
  // yet: the start of the partition). Symbols: every configured instrument.
  // REQUIRES: 0 <= partition < events::kMaxPartitions; instruments valid and not empty.
  ShardState(std::int32_t partition, std::span<const Instrument> instruments,
             std::int64_t first_offset);
  ~ShardState();
  ShardState(ShardState&&) noexcept;
  ShardState& operator=(ShardState&&) noexcept;

  // Applies the input at `offset` and appends its outputs (possibly none) to `out`.
  // REQUIRES: offset >= next_offset() (inputs in order; gaps allowed: the log may skip
  // offsets); afterwards next_offset() == offset + 1.
  void apply(std::int64_t offset, const ShardInput& input, std::vector<ShardOutput>& out);

  std::int32_t partition() const noexcept;
  std::int64_t next_offset() const noexcept;
  std::size_t resting_orders() const noexcept;

  // The view of `symbol` with at most `depth` levels per side; nullopt if not configured.
  std::optional<SymbolView> view(std::string_view symbol, std::size_t depth) const;
  // Symbols whose book or last trade changed since the last call (sorted), then forgets.
  // A new or decoded state reports every configured symbol on its first call.
  std::vector<std::string> take_changed_symbols();

  // The snapshot blob of the whole state (covers inputs up to next_offset() - 1).
  std::string encode() const;
  // The state `blob` encodes, for `partition`, checked against `instruments` (above).
  // kMalformed for bad bytes, a wrong partition or format; kInvalidArgument for a
  // configuration that does not fit.
  static Result<ShardState> decode(std::string_view blob, std::int32_t partition,
                                   std::span<const Instrument> instruments);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::matching
