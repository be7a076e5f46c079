#include "bourse/account/events.h"

#include "bourse/common/assert.h"
#include "bourse/envelope/event_fields.h"
#include "bourse/json/fields.h"

namespace bourse::account::events {
namespace {

// Longest reason spelling: the matching module's reasons are short lower_snake_case words.
constexpr std::size_t kMaxReasonLength = 64;

Error bad_field(std::string message) {
  return Error{ErrorCode::kMalformed, std::move(message), {}};
}

Result<std::int64_t> positive_id(const boost::json::object& data, std::string_view field) {
  return envelope::read_positive_id(data, field);
}

Result<std::string> user_field(const boost::json::object& data, std::string_view field) {
  return envelope::read_user_id(data, field);
}

Result<std::string> symbol_field(const boost::json::object& data) {
  return envelope::read_symbol(data);
}

Result<Side> side_field(const boost::json::object& data) { return envelope::read_side(data, "side"); }

bool valid_reason(std::string_view reason) {
  if (reason.empty() || reason.size() > kMaxReasonLength) return false;
  for (char c : reason) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The TradeSettled invariants of the header.
Status check(const TradeSettled& e) {
  if (!e.trade_id.valid() || !e.buy_order_id.valid() || !e.sell_order_id.valid()) {
    return Error::invalid("trade and order ids must be positive");
  }
  if (e.buy_order_id == e.sell_order_id) return Error::invalid("order ids must differ");
  if (Status valid = validate_user_id(e.buyer); !valid) return valid;
  if (Status valid = validate_user_id(e.seller); !valid) return valid;
  if (Status valid = validate_symbol(e.symbol); !valid) return valid;
  if (e.price.units() <= 0) return Error::invalid("price must be positive");
  if (e.quantity.value() <= 0) return Error::invalid("quantity must be positive");
  return Status::success();
}

// The ReservationReleased invariants of the header.
Status check(const ReservationReleased& e) {
  if (!e.order_id.valid()) return Error::invalid("order_id must be positive");
  if (Status valid = validate_user_id(e.user_id); !valid) return valid;
  if (Status valid = validate_symbol(e.symbol); !valid) return valid;
  if (!valid_reason(e.reason)) return Error::invalid("reason must be a lower_snake_case word");
  const bool buy = e.side == Side::kBuy;
  if (e.released_cash.has_value() != buy) {
    return Error::invalid("released_cash must be present iff BUY");
  }
  if (e.released_quantity.has_value() == buy) {
    return Error::invalid("released_quantity must be present iff SELL");
  }
  if (e.released_cash && e.released_cash->units() < 0) {
    return Error::invalid("released_cash must not be negative");
  }
  if (e.released_quantity && e.released_quantity->value() < 0) {
    return Error::invalid("released_quantity must not be negative");
  }
  return Status::success();
}

}  // namespace

std::string_view to_string(ReleaseCause cause) noexcept {
  switch (cause) {
    case ReleaseCause::kCancelled:
      return "cancelled";
    case ReleaseCause::kRejected:
      return "rejected";
  }
  return "cancelled";
}

Result<ReleaseCause> parse_release_cause(std::string_view text) {
  if (text == "cancelled") return ReleaseCause::kCancelled;
  if (text == "rejected") return ReleaseCause::kRejected;
  return bad_field("cause must be cancelled or rejected");
}

boost::json::object TradeSettled::to_json() const {
  BOURSE_ASSERT(check(*this).ok(), "a TradeSettled keeps its invariants");
  return {{"trade_id", trade_id.value()},
          {"symbol", symbol},
          {"price", price.to_string()},
          {"quantity", quantity.value()},
          {"buy_order_id", buy_order_id.value()},
          {"sell_order_id", sell_order_id.value()},
          {"buyer", buyer},
          {"seller", seller},
          {"buy_order_done", buy_order_done},
          {"sell_order_done", sell_order_done},
          {"executed_at", executed_at},
          {"settled_at", settled_at}};
}

Result<TradeSettled> TradeSettled::parse(const boost::json::object& data, std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  TradeSettled e;
  auto trade_id = positive_id(data, "trade_id");
  if (!trade_id) return fail(trade_id.error());
  e.trade_id = TradeId(*trade_id);
  auto buy_order = positive_id(data, "buy_order_id");
  if (!buy_order) return fail(buy_order.error());
  e.buy_order_id = OrderId(*buy_order);
  auto sell_order = positive_id(data, "sell_order_id");
  if (!sell_order) return fail(sell_order.error());
  e.sell_order_id = OrderId(*sell_order);
  auto symbol = symbol_field(data);
  if (!symbol) return fail(symbol.error());
  e.symbol = std::move(*symbol);
  auto buyer = user_field(data, "buyer");
  if (!buyer) return fail(buyer.error());
  e.buyer = std::move(*buyer);
  auto seller = user_field(data, "seller");
  if (!seller) return fail(seller.error());
  e.seller = std::move(*seller);
  auto price_text = json::require_string(data, "price");
  if (!price_text) return fail(price_text.error());
  auto price = Amount::parse_positive(*price_text);
  if (!price) return fail(price.error());
  e.price = *price;
  auto quantity = json::require_int64(data, "quantity");
  if (!quantity) return fail(quantity.error());
  auto checked_quantity = Quantity::checked_of(*quantity);
  if (!checked_quantity || *quantity <= 0) {
    return fail(bad_field("quantity must be a positive quantity"));
  }
  e.quantity = *checked_quantity;
  auto buy_done = json::require_bool(data, "buy_order_done");
  if (!buy_done) return fail(buy_done.error());
  e.buy_order_done = *buy_done;
  auto sell_done = json::require_bool(data, "sell_order_done");
  if (!sell_done) return fail(sell_done.error());
  e.sell_order_done = *sell_done;
  auto executed_at = json::require_string(data, "executed_at");
  if (!executed_at) return fail(executed_at.error());
  e.executed_at = std::move(*executed_at);
  auto settled_at = json::require_string(data, "settled_at");
  if (!settled_at) return fail(settled_at.error());
  e.settled_at = std::move(*settled_at);
  if (Status valid = check(e); !valid) return fail(valid.error());
  return e;
}

boost::json::object ReservationReleased::to_json() const {
  BOURSE_ASSERT(check(*this).ok(), "a ReservationReleased keeps its invariants");
  boost::json::object data{{"order_id", order_id.value()},
                           {"user_id", user_id},
                           {"symbol", symbol},
                           {"side", bourse::to_string(side)},
                           {"cause", events::to_string(cause)},
                           {"reason", reason}};
  if (released_cash) data["released_cash"] = released_cash->to_string();
  if (released_quantity) data["released_quantity"] = released_quantity->value();
  return data;
}

Result<ReservationReleased> ReservationReleased::parse(const boost::json::object& data,
                                                       std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  ReservationReleased e;
  auto order_id = positive_id(data, "order_id");
  if (!order_id) return fail(order_id.error());
  e.order_id = OrderId(*order_id);
  auto user = user_field(data, "user_id");
  if (!user) return fail(user.error());
  e.user_id = std::move(*user);
  auto symbol = symbol_field(data);
  if (!symbol) return fail(symbol.error());
  e.symbol = std::move(*symbol);
  auto side = side_field(data);
  if (!side) return fail(side.error());
  e.side = *side;
  auto cause_text = json::require_string(data, "cause");
  if (!cause_text) return fail(cause_text.error());
  auto cause = parse_release_cause(*cause_text);
  if (!cause) return fail(cause.error());
  e.cause = *cause;
  auto reason = json::require_string(data, "reason");
  if (!reason) return fail(reason.error());
  e.reason = std::move(*reason);
  auto cash_text = json::optional_string(data, "released_cash");
  if (!cash_text) return fail(cash_text.error());
  if (*cash_text) {
    auto cash = Amount::parse(**cash_text);
    if (!cash) return fail(cash.error());
    e.released_cash = *cash;
  }
  auto quantity = json::optional_int64(data, "released_quantity");
  if (!quantity) return fail(quantity.error());
  if (*quantity) {
    auto checked = Quantity::checked_of(**quantity);
    if (!checked) return fail(checked.error());
    e.released_quantity = *checked;
  }
  if (Status valid = check(e); !valid) return fail(valid.error());
  return e;
}

}  // namespace bourse::account::events
