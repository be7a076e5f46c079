// The matching module's published events: the contract of topic matching-events (from
// the matching_outbox). Producers (the matching service) and consumers (settlement in the
// account module, order status in the order module, tests) use these structs and nothing
// else. Each satisfies envelope::EventContract: kType, kVersion, kAggregateType,
// partition_key() = the symbol (a symbol's outputs stay in order on one partition, the
// order the engine produced them), aggregate_id() = the order id (the trade id for
// TradeExecuted), to_json(), parse().
//
// Wire data (version 1): prices canonical decimal strings ("150.25"), quantities and ids
// JSON integers, sides "BUY"/"SELL", reasons their lower_snake_case spellings below.
//
// Ids. Every output of the matching service is derived deterministically from its input
// position, so that a restore + replay reproduces it exactly and a duplicate can never
// slip through downstream:
//   - the envelope's event_id is output_event_id(partition, input_offset, index);
//   - trade_id is global_trade_id(partition, shard trade sequence): unique across all
//     symbols and partitions (the engine's own trade id is per book and never leaves the
//     module).
//
// Order of outputs, per order: zero or one OrderAccepted (rested), zero or more
// TradeExecuted, then exactly one final event unless the order still rests: the last
// TradeExecuted that leaves it with 0 remaining, an OrderCancelled (the remainder will never
// trade) or an OrderRejected (it never reached the book). A CancelRequested ends in an
// OrderCancelled (reason user) or a CancelTooLate (nothing left to cancel).
//
// This header is in the small target bourse_matching_events (Boost.JSON, no engine),
// which consumers link without linking the engine.
// Thread-safety: plain values and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/common/order_terms.h"
#include "bourse/envelope/envelope.h"

namespace bourse::matching::events {

// The matching module's outbox table (migrations 03xx).
inline constexpr std::string_view kOutboxTable = "matching_outbox";

// Partitions of one input topic: the global trade id reserves 10 bits for the partition.
inline constexpr std::int32_t kMaxPartitions = 1'024;

// "m-<partition>-<input offset>-<index of the output within that input>".
std::string output_event_id(std::int32_t partition, std::int64_t input_offset, std::uint32_t index);
// trade sequence (1, 2, 3, ... per partition, in the shard's snapshot) * kMaxPartitions +
// partition. REQUIRES: 0 <= partition < kMaxPartitions; sequence >= 1 and small enough
// not to overflow (asserted).
TradeId global_trade_id(std::int32_t partition, std::int64_t trade_sequence);

// Why an order's remainder left the book (or never entered it).
enum class CancelReason : std::uint8_t {
  kUser,             // "user": a cancel request (also one that arrived before the order)
  kIocRemainder,     // "ioc_remainder"
  kMarketRemainder,  // "market_remainder": a market order ran out of opposite orders
  kFokNotFillable,   // "fok_not_fillable": nothing traded
  kSelfTrade,        // "self_trade": the next resting order was the same user's
  kCashCap,          // "cash_cap": a market buy's reserved cash would be exceeded
};
// Why an order never reached the book.
enum class RejectReason : std::uint8_t {
  kBookFull,       // "book_full": the book holds its maximum of resting orders
  kUnknownSymbol,  // "unknown_symbol": no book for the symbol in this deployment
  kInvalidOrder,   // "invalid_order": terms the engine refuses (a bug upstream)
};
std::string_view to_string(CancelReason reason) noexcept;
std::string_view to_string(RejectReason reason) noexcept;
Result<CancelReason> parse_cancel_reason(std::string_view text);
Result<RejectReason> parse_reject_reason(std::string_view text);

// The order rests on the book (possibly after partial fills): status OPEN.
// Invariants: order_id > 0; valid user and symbol; price > 0; resting_quantity > 0.
struct OrderAccepted {
  static constexpr std::string_view kType = "OrderAccepted";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  Amount price;
  Quantity resting_quantity;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<OrderAccepted> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const OrderAccepted&, const OrderAccepted&) = default;
};

// One fill, at the resting (maker) order's price. Settlement moves price x quantity of
// cash from buyer to seller and quantity shares from seller to buyer, exactly once per
// trade_id. buy_remaining / sell_remaining: what each order has left after this fill
// (0 = this is that order's last fill: whatever it still holds is released).
// Invariants: trade_id > 0; price > 0; quantity > 0; order ids > 0 and different;
// remaining >= 0; valid users and symbol; taker_side says which order was the taker.
struct TradeExecuted {
  static constexpr std::string_view kType = "TradeExecuted";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "trade";

  TradeId trade_id;
  std::string symbol;
  Amount price;
  Quantity quantity;
  OrderId buy_order_id;
  OrderId sell_order_id;
  std::string buyer;
  std::string seller;
  Side taker_side = Side::kBuy;
  Quantity buy_remaining;
  Quantity sell_remaining;
  std::string executed_at;  // RFC 3339 UTC, when the matching batch ran (informational)

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(trade_id.value()); }
  boost::json::object to_json() const;
  static Result<TradeExecuted> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const TradeExecuted&, const TradeExecuted&) = default;
};

// The order's remainder will never trade: final for the order. Settlement releases what
// the order still holds; the order becomes CANCELLED once that is done.
// Invariants: order_id > 0; valid user and symbol; cancelled_quantity >= 0.
struct OrderCancelled {
  static constexpr std::string_view kType = "OrderCancelled";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  CancelReason reason = CancelReason::kUser;
  Quantity cancelled_quantity;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<OrderCancelled> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const OrderCancelled&, const OrderCancelled&) = default;
};

// The order never reached the book: final. Settlement releases all it holds; the order
// becomes REJECTED with this reason.
// Invariants: order_id > 0; valid user and symbol.
struct OrderRejected {
  static constexpr std::string_view kType = "OrderRejected";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  RejectReason reason = RejectReason::kBookFull;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<OrderRejected> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const OrderRejected&, const OrderRejected&) = default;
};

// A CancelRequested found nothing left to cancel (the order had already filled, been
// cancelled or rejected): the cancel's answer, so that no one waits for it.
// Invariants: order_id > 0; valid user and symbol.
struct CancelTooLate {
  static constexpr std::string_view kType = "CancelTooLate";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<CancelTooLate> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const CancelTooLate&, const CancelTooLate&) = default;
};

static_assert(envelope::EventContract<OrderAccepted>);
static_assert(envelope::EventContract<TradeExecuted>);
static_assert(envelope::EventContract<OrderCancelled>);
static_assert(envelope::EventContract<OrderRejected>);
static_assert(envelope::EventContract<CancelTooLate>);

}  // namespace bourse::matching::events
