#include "bourse/matching/events.h"

#include <limits>

#include "bourse/common/assert.h"
#include "bourse/envelope/event_fields.h"
#include "bourse/json/fields.h"

namespace bourse::matching::events {
namespace {

// Longest executed_at accepted: an RFC 3339 timestamp has 27 characters; the adapter
// stamps it, ShardState leaves it empty, so empty is valid too.
constexpr std::size_t kMaxExecutedAtLength = 64;

Error invalid(std::string message) { return Error{ErrorCode::kMalformed, std::move(message), {}}; }

// --- Field readers: the shared ones (bourse/envelope/event_fields.h) -----------------

using envelope::read_order_identity;
using envelope::read_quantity;
using envelope::read_side;
using envelope::read_symbol;

Result<OrderId> read_id(const boost::json::object& data, std::string_view field) {
  auto id = envelope::read_positive_id(data, field);
  if (!id) return id.error();
  return OrderId(*id);
}

Result<std::string> read_user(const boost::json::object& data, std::string_view field) {
  return envelope::read_user_id(data, field);
}

Result<Amount> read_price(const boost::json::object& data) {
  return envelope::read_positive_amount(data, "price");
}

Status read_identity(const boost::json::object& data, OrderId& order_id, std::string& user_id,
                     std::string& symbol) {
  return read_order_identity(data, order_id, user_id, symbol);
}

// --- Invariants (checked by parse, asserted by to_json) -----------------------------

bool valid_side(Side side) { return side == Side::kBuy || side == Side::kSell; }

Status check_identity(OrderId order_id, std::string_view user_id, std::string_view symbol) {
  if (!order_id.valid()) return invalid("order_id must be positive");
  if (Status valid = validate_user_id(user_id); !valid) return invalid(valid.error().message);
  if (Status valid = validate_symbol(symbol); !valid) return invalid(valid.error().message);
  return Status::success();
}

bool valid_cancel_reason(CancelReason reason) {
  return static_cast<std::uint8_t>(reason) <= static_cast<std::uint8_t>(CancelReason::kCashCap);
}
bool valid_reject_reason(RejectReason reason) {
  return static_cast<std::uint8_t>(reason) <=
         static_cast<std::uint8_t>(RejectReason::kInvalidOrder);
}

Status check(const OrderAccepted& e) {
  if (Status identity = check_identity(e.order_id, e.user_id, e.symbol); !identity) {
    return identity;
  }
  if (!valid_side(e.side)) return invalid("side must be BUY or SELL");
  if (e.price.units() <= 0) return invalid("price must be positive");
  if (e.resting_quantity.value() <= 0) return invalid("resting_quantity must be positive");
  return Status::success();
}

Status check(const TradeExecuted& e) {
  if (!e.trade_id.valid()) return invalid("trade_id must be positive");
  if (Status valid = validate_symbol(e.symbol); !valid) return invalid(valid.error().message);
  if (e.price.units() <= 0) return invalid("price must be positive");
  if (e.quantity.value() <= 0) return invalid("quantity must be positive");
  if (!e.buy_order_id.valid() || !e.sell_order_id.valid()) {
    return invalid("buy_order_id and sell_order_id must be positive");
  }
  if (e.buy_order_id == e.sell_order_id) {
    return invalid("buy_order_id and sell_order_id must differ");
  }
  if (Status valid = validate_user_id(e.buyer); !valid) {
    return invalid("buyer: " + valid.error().message);
  }
  if (Status valid = validate_user_id(e.seller); !valid) {
    return invalid("seller: " + valid.error().message);
  }
  if (!valid_side(e.taker_side)) return invalid("taker_side must be BUY or SELL");
  if (e.buy_remaining.value() < 0 || e.sell_remaining.value() < 0) {
    return invalid("buy_remaining and sell_remaining must be >= 0");
  }
  if (e.executed_at.size() > kMaxExecutedAtLength) return invalid("executed_at is too long");
  for (char c : e.executed_at) {
    if (c < 0x21 || c > 0x7e) return invalid("executed_at must be printable ASCII");
  }
  return Status::success();
}

Status check(const OrderCancelled& e) {
  if (Status identity = check_identity(e.order_id, e.user_id, e.symbol); !identity) {
    return identity;
  }
  if (!valid_side(e.side)) return invalid("side must be BUY or SELL");
  if (!valid_cancel_reason(e.reason)) return invalid("reason is not a cancel reason");
  if (e.cancelled_quantity.value() < 0) return invalid("cancelled_quantity must be >= 0");
  return Status::success();
}

Status check(const OrderRejected& e) {
  if (Status identity = check_identity(e.order_id, e.user_id, e.symbol); !identity) {
    return identity;
  }
  if (!valid_side(e.side)) return invalid("side must be BUY or SELL");
  if (!valid_reject_reason(e.reason)) return invalid("reason is not a reject reason");
  return Status::success();
}

Status check(const CancelTooLate& e) { return check_identity(e.order_id, e.user_id, e.symbol); }

template <typename Event>
void assert_valid(const Event& e) {
  const Status valid = check(e);
  BOURSE_ASSERT(valid.ok(), "a matching event keeps its invariants (events.h)");
}

// parse's common tail: the invariants of the whole event, as a malformed_event error.
template <typename Event>
Result<Event> checked(Event e) {
  if (Status valid = check(e); !valid)
    return envelope::malformed_event(Event::kType, valid.error());
  return e;
}

}  // namespace

// --- Ids ----------------------------------------------------------------------------

std::string output_event_id(std::int32_t partition, std::int64_t input_offset,
                            std::uint32_t index) {
  BOURSE_ASSERT(partition >= 0 && partition < kMaxPartitions, "partition in range");
  BOURSE_ASSERT(input_offset >= 0, "input offsets are >= 0");
  std::string id = "m-";
  id += std::to_string(partition);
  id += '-';
  id += std::to_string(input_offset);
  id += '-';
  id += std::to_string(index);
  return id;  // at most 2 + 4 + 1 + 19 + 1 + 10 = 37 characters <= kMaxEventIdLength
}

TradeId global_trade_id(std::int32_t partition, std::int64_t trade_sequence) {
  BOURSE_ASSERT(partition >= 0 && partition < kMaxPartitions, "partition in range");
  BOURSE_ASSERT(trade_sequence >= 1, "trade sequences start at 1");
  BOURSE_ASSERT(
      trade_sequence <= (std::numeric_limits<std::int64_t>::max() - partition) / kMaxPartitions,
      "trade sequence * kMaxPartitions + partition fits int64");
  return TradeId(trade_sequence * kMaxPartitions + partition);
}

// --- Reasons --------------------------------------------------------------------------

std::string_view to_string(CancelReason reason) noexcept {
  switch (reason) {
    case CancelReason::kUser:
      return "user";
    case CancelReason::kIocRemainder:
      return "ioc_remainder";
    case CancelReason::kMarketRemainder:
      return "market_remainder";
    case CancelReason::kFokNotFillable:
      return "fok_not_fillable";
    case CancelReason::kSelfTrade:
      return "self_trade";
    case CancelReason::kCashCap:
      return "cash_cap";
  }
  return "?";
}

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kBookFull:
      return "book_full";
    case RejectReason::kUnknownSymbol:
      return "unknown_symbol";
    case RejectReason::kInvalidOrder:
      return "invalid_order";
  }
  return "?";
}

Result<CancelReason> parse_cancel_reason(std::string_view text) {
  for (CancelReason reason :
       {CancelReason::kUser, CancelReason::kIocRemainder, CancelReason::kMarketRemainder,
        CancelReason::kFokNotFillable, CancelReason::kSelfTrade, CancelReason::kCashCap}) {
    if (text == to_string(reason)) return reason;
  }
  return Error{
      ErrorCode::kMalformed, "not a cancel reason: '" + std::string(text.substr(0, 64)) + "'", {}};
}

Result<RejectReason> parse_reject_reason(std::string_view text) {
  for (RejectReason reason :
       {RejectReason::kBookFull, RejectReason::kUnknownSymbol, RejectReason::kInvalidOrder}) {
    if (text == to_string(reason)) return reason;
  }
  return Error{
      ErrorCode::kMalformed, "not a reject reason: '" + std::string(text.substr(0, 64)) + "'", {}};
}

// --- OrderAccepted --------------------------------------------------------------------

boost::json::object OrderAccepted::to_json() const {
  assert_valid(*this);
  return {{"order_id", order_id.value()},
          {"user_id", user_id},
          {"symbol", symbol},
          {"side", to_string(side)},
          {"price", price.to_string()},
          {"resting_quantity", resting_quantity.value()}};
}

Result<OrderAccepted> OrderAccepted::parse(const boost::json::object& data, std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  OrderAccepted e;
  if (Status identity = read_identity(data, e.order_id, e.user_id, e.symbol); !identity) {
    return fail(identity.error());
  }
  auto side = read_side(data, "side");
  if (!side) return fail(side.error());
  e.side = *side;
  auto price = read_price(data);
  if (!price) return fail(price.error());
  e.price = *price;
  auto resting = read_quantity(data, "resting_quantity", 1);
  if (!resting) return fail(resting.error());
  e.resting_quantity = *resting;
  return checked(std::move(e));
}

// --- TradeExecuted --------------------------------------------------------------------

boost::json::object TradeExecuted::to_json() const {
  assert_valid(*this);
  return {{"trade_id", trade_id.value()},
          {"symbol", symbol},
          {"price", price.to_string()},
          {"quantity", quantity.value()},
          {"buy_order_id", buy_order_id.value()},
          {"sell_order_id", sell_order_id.value()},
          {"buyer", buyer},
          {"seller", seller},
          {"taker_side", to_string(taker_side)},
          {"buy_remaining", buy_remaining.value()},
          {"sell_remaining", sell_remaining.value()},
          {"executed_at", executed_at}};
}

Result<TradeExecuted> TradeExecuted::parse(const boost::json::object& data, std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  TradeExecuted e;
  auto trade_id = json::require_int64(data, "trade_id");
  if (!trade_id) return fail(trade_id.error());
  if (*trade_id <= 0) return fail(invalid("trade_id must be positive"));
  e.trade_id = TradeId(*trade_id);
  auto symbol = read_symbol(data);
  if (!symbol) return fail(symbol.error());
  e.symbol = std::move(*symbol);
  auto price = read_price(data);
  if (!price) return fail(price.error());
  e.price = *price;
  auto quantity = read_quantity(data, "quantity", 1);
  if (!quantity) return fail(quantity.error());
  e.quantity = *quantity;
  auto buy_id = read_id(data, "buy_order_id");
  if (!buy_id) return fail(buy_id.error());
  e.buy_order_id = *buy_id;
  auto sell_id = read_id(data, "sell_order_id");
  if (!sell_id) return fail(sell_id.error());
  e.sell_order_id = *sell_id;
  auto buyer = read_user(data, "buyer");
  if (!buyer) return fail(buyer.error());
  e.buyer = std::move(*buyer);
  auto seller = read_user(data, "seller");
  if (!seller) return fail(seller.error());
  e.seller = std::move(*seller);
  auto taker_side = read_side(data, "taker_side");
  if (!taker_side) return fail(taker_side.error());
  e.taker_side = *taker_side;
  auto buy_remaining = read_quantity(data, "buy_remaining", 0);
  if (!buy_remaining) return fail(buy_remaining.error());
  e.buy_remaining = *buy_remaining;
  auto sell_remaining = read_quantity(data, "sell_remaining", 0);
  if (!sell_remaining) return fail(sell_remaining.error());
  e.sell_remaining = *sell_remaining;
  auto executed_at = json::require_string(data, "executed_at");
  if (!executed_at) return fail(executed_at.error());
  e.executed_at = std::move(*executed_at);
  return checked(std::move(e));
}

// --- OrderCancelled -------------------------------------------------------------------

boost::json::object OrderCancelled::to_json() const {
  assert_valid(*this);
  return {{"order_id", order_id.value()},
          {"user_id", user_id},
          {"symbol", symbol},
          {"side", to_string(side)},
          {"reason", to_string(reason)},
          {"cancelled_quantity", cancelled_quantity.value()}};
}

Result<OrderCancelled> OrderCancelled::parse(const boost::json::object& data,
                                             std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  OrderCancelled e;
  if (Status identity = read_identity(data, e.order_id, e.user_id, e.symbol); !identity) {
    return fail(identity.error());
  }
  auto side = read_side(data, "side");
  if (!side) return fail(side.error());
  e.side = *side;
  auto reason_text = json::require_string(data, "reason");
  if (!reason_text) return fail(reason_text.error());
  auto reason = parse_cancel_reason(*reason_text);
  if (!reason) return fail(reason.error());
  e.reason = *reason;
  auto cancelled = read_quantity(data, "cancelled_quantity", 0);
  if (!cancelled) return fail(cancelled.error());
  e.cancelled_quantity = *cancelled;
  return checked(std::move(e));
}

// --- OrderRejected --------------------------------------------------------------------

boost::json::object OrderRejected::to_json() const {
  assert_valid(*this);
  return {{"order_id", order_id.value()},
          {"user_id", user_id},
          {"symbol", symbol},
          {"side", to_string(side)},
          {"reason", to_string(reason)}};
}

Result<OrderRejected> OrderRejected::parse(const boost::json::object& data, std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  OrderRejected e;
  if (Status identity = read_identity(data, e.order_id, e.user_id, e.symbol); !identity) {
    return fail(identity.error());
  }
  auto side = read_side(data, "side");
  if (!side) return fail(side.error());
  e.side = *side;
  auto reason_text = json::require_string(data, "reason");
  if (!reason_text) return fail(reason_text.error());
  auto reason = parse_reject_reason(*reason_text);
  if (!reason) return fail(reason.error());
  e.reason = *reason;
  return checked(std::move(e));
}

// --- CancelTooLate --------------------------------------------------------------------

boost::json::object CancelTooLate::to_json() const {
  assert_valid(*this);
  return {{"order_id", order_id.value()}, {"user_id", user_id}, {"symbol", symbol}};
}

Result<CancelTooLate> CancelTooLate::parse(const boost::json::object& data, std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  CancelTooLate e;
  if (Status identity = read_identity(data, e.order_id, e.user_id, e.symbol); !identity) {
    return envelope::malformed_event(kType, identity.error());
  }
  return checked(std::move(e));
}

}  // namespace bourse::matching::events
