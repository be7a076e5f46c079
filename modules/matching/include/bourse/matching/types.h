// The matching engine's vocabulary: input commands and output events.
//
// Everything is an integer: prices in ticks (int64), quantities in lots (int64), users
// as numeric handles that the I/O adapter maps from user-id strings, symbols as dense
// shard-local handles. Events are plain values, comparable with ==, and carry no
// pointer, clock or address-dependent data, so the same input always yields the same
// events byte for byte (field by field).
//
// Thread-safety: plain values, thread-safe like an int.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "bourse/common/ids.h"
#include "bourse/common/order_terms.h"

namespace bourse::matching {

using UserHandle = std::uint64_t;
using SymbolHandle = std::uint32_t;
// Monotonic per book, starting at 1; every output event takes the next one.
using Sequence = std::uint64_t;

// Side, OrderType and TimeInForce are the shared ones (bourse/common/order_terms.h).
// Market orders never rest: GTC and IOC behave alike for them (remainder cancelled
// with kMarketRemainder); FOK means "all or nothing".
using bourse::OrderType;
using bourse::Side;
using bourse::TimeInForce;

enum class CancelReason : std::uint8_t {
  kUser = 0,               // cancel request for a resting order
  kUserBeforeArrival = 1,  // the cancel arrived first; the order is dropped on arrival
  kIocRemainder = 2,       // IOC limit order: what did not fill at once
  kMarketRemainder = 3,    // market order: the opposite side ran out
  kFokNotFillable = 4,     // FOK could not fill completely: nothing traded
  kSelfTrade = 5,          // next resting order belonged to the same user
  kCashCap = 6,            // market buy: the next fill would exceed the reserved cash
};

enum class RejectReason : std::uint8_t {
  kInvalidOrderId = 0,     // order id <= 0
  kInvalidSide = 1,        // not a Side value
  kInvalidType = 2,        // not an OrderType value
  kInvalidTimeInForce = 3, // not a TimeInForce value
  kInvalidQuantity = 4,    // <= 0 or > limits::kMaxOrderQuantity
  kInvalidPrice = 5,       // limit price <= 0 or > limits::kMaxPriceTicks
  kInvalidCashCap = 6,     // market buy without a positive cash cap
  kDuplicateOrderId = 7,   // an order with this id is resting in the book
  kBookFull = 8,           // would exceed limits::kMaxRestingOrdersPerBook
  kUnknownSymbol = 9,      // symbol handle not owned by this engine/shard
};

using bourse::to_string;
const char* to_string(CancelReason reason) noexcept;
const char* to_string(RejectReason reason) noexcept;

// --- Input ---------------------------------------------------------------------

struct NewOrder {
  OrderId order_id;
  UserHandle user = 0;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce time_in_force = TimeInForce::kGtc;
  std::int64_t price_ticks = 0;     // LIMIT only; ignored for MARKET
  std::int64_t quantity = 0;        // lots
  // MARKET BUY only: the cash the account module reserved, as a notional in
  // price_ticks x lots. The order never spends more than this. Ignored otherwise.
  std::int64_t cash_cap_ticks = 0;
  friend bool operator==(const NewOrder&, const NewOrder&) = default;
};

struct CancelOrder {
  OrderId order_id;
  friend bool operator==(const CancelOrder&, const CancelOrder&) = default;
};

// --- Output --------------------------------------------------------------------

// The order now rests on the book (possibly after partial fills) with this quantity.
struct OrderAccepted {
  Sequence sequence = 0;
  SymbolHandle symbol = 0;
  OrderId order_id;
  UserHandle user = 0;
  Side side = Side::kBuy;
  std::int64_t price_ticks = 0;
  std::int64_t resting_quantity = 0;
  friend bool operator==(const OrderAccepted&, const OrderAccepted&) = default;
};

// One fill. price_ticks is the resting (maker) order's price; quantity > 0 always.
struct Trade {
  Sequence sequence = 0;
  SymbolHandle symbol = 0;
  TradeId trade_id;  // per-book counter starting at 1: unique per symbol, not globally
  std::int64_t price_ticks = 0;
  std::int64_t quantity = 0;
  OrderId maker_order_id;
  OrderId taker_order_id;
  UserHandle maker_user = 0;
  UserHandle taker_user = 0;
  Side taker_side = Side::kBuy;
  std::int64_t maker_remaining = 0;  // after this fill; 0 means the maker left the book
  std::int64_t taker_remaining = 0;  // after this fill
  friend bool operator==(const Trade&, const Trade&) = default;
};

// The order's remainder left (or never entered) the book. Terminal for the order.
struct OrderCancelled {
  Sequence sequence = 0;
  SymbolHandle symbol = 0;
  OrderId order_id;
  UserHandle user = 0;
  CancelReason reason = CancelReason::kUser;
  std::int64_t cancelled_quantity = 0;  // the remainder that will never trade
  friend bool operator==(const OrderCancelled&, const OrderCancelled&) = default;
};

// Invalid input; nothing changed in the book. Terminal for the order (or the cancel).
struct OrderRejected {
  Sequence sequence = 0;  // 0 when no book exists (kUnknownSymbol)
  SymbolHandle symbol = 0;
  OrderId order_id;
  UserHandle user = 0;  // 0 for a rejected cancel
  RejectReason reason = RejectReason::kInvalidOrderId;
  friend bool operator==(const OrderRejected&, const OrderRejected&) = default;
};

// Convenience for recorders and tests; the engine itself emits through EventListener.
using Event = std::variant<OrderAccepted, Trade, OrderCancelled, OrderRejected>;

// One line, stable format, for logs and test failure messages.
std::string to_string(const Event& event);

}  // namespace bourse::matching
