// The account module's published events: the contract of topic account-events (from the
// account_outbox), written by settlement in the same transaction as the balance changes.
// Consumers (order status, tests) use these structs and nothing else. Each satisfies
// envelope::EventContract; partition_key() = the symbol, so that one symbol's settlement
// outcomes stay in the order they were settled.
//
// Wire data (version 1): cash amounts canonical decimal strings, quantities and ids JSON
// integers, sides "BUY"/"SELL".
//
// This header is in the small target bourse_account_events, which consumers link without
// linking the account module.
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

namespace bourse::account::events {

// The account module's outbox table (migrations/0101_account_outbox.sql).
inline constexpr std::string_view kOutboxTable = "account_outbox";

// A trade's cash and shares have moved (exactly once per trade_id): the buyer paid
// price x quantity and received the shares, the seller the opposite. buy_order_done /
// sell_order_done: that order has no quantity left and its reservation is closed
// (anything it still held, such as a limit buy's price improvement, was released in the
// same transaction). The order status follows these: FILLED / PARTIALLY_FILLED count
// settled trades.
// Invariants: trade_id > 0; price > 0; quantity > 0; order ids > 0 and different; valid
// users and symbol.
struct TradeSettled {
  static constexpr std::string_view kType = "TradeSettled";
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
  bool buy_order_done = false;
  bool sell_order_done = false;
  std::string executed_at;  // copied from TradeExecuted
  std::string settled_at;   // RFC 3339 UTC, when settlement committed it

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(trade_id.value()); }
  boost::json::object to_json() const;
  static Result<TradeSettled> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const TradeSettled&, const TradeSettled&) = default;
};

// Why a reservation was released.
enum class ReleaseCause : std::uint8_t {
  kCancelled,  // "cancelled": an OrderCancelled (cancel_reason says why)
  kRejected,   // "rejected": an OrderRejected (reject_reason says why)
};
std::string_view to_string(ReleaseCause cause) noexcept;
Result<ReleaseCause> parse_release_cause(std::string_view text);

// What an order still held went back to available, after its final OrderCancelled or
// OrderRejected (emitted even when nothing was left to release: then released is 0). The
// order becomes CANCELLED (with cancel_reason) or REJECTED (with reject_reason) on this
// event. For a BUY `released_cash` is set, for a SELL `released_quantity`.
// Invariants: order_id > 0; valid user and symbol; exactly one of released_cash (>= 0)
// and released_quantity (>= 0), by side; reason is the matching event's reason spelling
// ("user", "ioc_remainder", ..., "book_full", ...).
struct ReservationReleased {
  static constexpr std::string_view kType = "ReservationReleased";
  static constexpr std::int64_t kVersion = 1;
  static constexpr std::string_view kAggregateType = "order";

  OrderId order_id;
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  ReleaseCause cause = ReleaseCause::kCancelled;
  std::string reason;
  std::optional<Amount> released_cash;
  std::optional<Quantity> released_quantity;

  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(order_id.value()); }
  boost::json::object to_json() const;
  static Result<ReservationReleased> parse(const boost::json::object& data, std::int64_t version);
  friend bool operator==(const ReservationReleased&, const ReservationReleased&) = default;
};

static_assert(envelope::EventContract<TradeSettled>);
static_assert(envelope::EventContract<ReservationReleased>);

}  // namespace bourse::account::events
