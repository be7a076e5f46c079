// The order module's published events: the contract of topic order-events (from the
// order_outbox). Producers (this module) and consumers (matching, tests) use these structs
// and nothing else: no event-type string and no hand-written field reader elsewhere.
// Each satisfies envelope::EventContract: kType, kVersion, kAggregateType "order",
// partition_key() = the symbol (one symbol's events stay in order on one partition),
// aggregate_id() = the order id, to_json(), parse().
//
// Wire data (version 1): money and prices are canonical decimal strings ("150.25"),
// quantities and ids JSON integers, terms their wire spellings ("BUY", "LIMIT", "GTC").
//
// This header is in the small target bourse_order_events, which consumers may link
// without linking the order module.
// Thread-safety: plain values and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/common/order_terms.h"
#include "bourse/envelope/envelope.h"

namespace bourse::order {

// The order module's outbox table (migrations/0201_order_outbox.sql).
inline constexpr std::string_view kOutboxTable = "order_outbox";

// An order was accepted: its cash or shares are reserved and it is committed. It carries
// everything matching needs to place it.
// Invariants (checked by parse, asserted by to_json): order_id > 0; valid user id and
// symbol; quantity > 0; price present iff LIMIT; reserved_cash present iff BUY (> 0);
// reserved_quantity present iff SELL (== quantity); cash_cap present iff MARKET BUY
// (== reserved_cash: the most the order may spend).
struct OrderCreated {
  static constexpr std::string_view kType = "OrderCreated";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce time_in_force = TimeInForce::kGtc;
  Quantity quantity;
  std::optional<Amount> price;
  std::optional<Amount> reserved_cash;
  std::optional<Quantity> reserved_quantity;
  std::optional<Amount> cash_cap;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<OrderCreated> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const OrderCreated&, const OrderCreated&) = default;
};

// The client asked to cancel the order's open remainder (at most once per order).
// Invariants: order_id > 0; valid user id and symbol.
struct CancelRequested {
  static constexpr std::string_view kType = "CancelRequested";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<CancelRequested> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const CancelRequested&, const CancelRequested&) = default;
};

static_assert(envelope::EventContract<OrderCreated>);
static_assert(envelope::EventContract<CancelRequested>);

}  // namespace bourse::order
