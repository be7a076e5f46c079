#include "bourse/order/events.h"

#include "bourse/common/assert.h"
#include "bourse/envelope/event_fields.h"
#include "bourse/json/fields.h"

namespace bourse::order {
namespace {

Error bad(std::string_view type, std::string message) {
  return envelope::malformed_event(type, Error{ErrorCode::kMalformed, std::move(message), {}});
}

// An optional amount field: absent, or a positive canonical decimal string.
Result<std::optional<Amount>> optional_amount(const boost::json::object& data,
                                              std::string_view field) {
  auto text = json::optional_string(data, field);
  if (!text) return text.error();
  if (!*text) return std::optional<Amount>();
  auto amount = Amount::parse_positive(**text);
  if (!amount) return amount.error();
  return std::optional<Amount>(*amount);
}

Result<Quantity> positive_quantity(std::int64_t value, std::string_view field) {
  auto quantity = Quantity::checked_of(value);
  if (!quantity || value <= 0) {
    return Error{ErrorCode::kMalformed, std::string(field) + " must be a positive quantity", {}};
  }
  return quantity;
}

// Checks the OrderCreated invariants of the header.
Status check(const OrderCreated& e) {
  if (!e.order_id.valid()) return Error::invalid("order_id must be positive");
  if (Status valid = validate_user_id(e.user_id); !valid) return valid;
  if (Status valid = validate_symbol(e.symbol); !valid) return valid;
  if (e.quantity.value() <= 0) return Error::invalid("quantity must be positive");
  const bool limit = e.type == OrderType::kLimit;
  const bool buy = e.side == Side::kBuy;
  if (e.price.has_value() != limit) return Error::invalid("price must be present iff LIMIT");
  if (e.price && e.price->units() <= 0) return Error::invalid("price must be positive");
  if (e.reserved_cash.has_value() != buy) {
    return Error::invalid("reserved_cash must be present iff BUY");
  }
  if (e.reserved_cash && e.reserved_cash->units() <= 0) {
    return Error::invalid("reserved_cash must be positive");
  }
  if (e.reserved_quantity.has_value() != !buy) {
    return Error::invalid("reserved_quantity must be present iff SELL");
  }
  if (e.reserved_quantity && *e.reserved_quantity != e.quantity) {
    return Error::invalid("reserved_quantity must equal quantity");
  }
  if (e.cash_cap.has_value() != (buy && !limit)) {
    return Error::invalid("cash_cap must be present iff MARKET BUY");
  }
  if (e.cash_cap && e.cash_cap != e.reserved_cash) {
    return Error::invalid("cash_cap must equal reserved_cash");
  }
  if (!limit && e.time_in_force == TimeInForce::kGtc) {
    return Error::invalid("a MARKET order is IOC or FOK");
  }
  return Status::success();
}

}  // namespace

boost::json::object OrderCreated::to_json() const {
  const Status valid = check(*this);
  BOURSE_ASSERT(valid.ok(), "an OrderCreated keeps its invariants");
  boost::json::object data{{"order_id", order_id.value()},
                           {"user_id", user_id},
                           {"symbol", symbol},
                           {"side", to_string(side)},
                           {"type", to_string(type)},
                           {"time_in_force", to_string(time_in_force)},
                           {"quantity", quantity.value()}};
  if (price) data["price"] = price->to_string();
  if (reserved_cash) data["reserved_cash"] = reserved_cash->to_string();
  if (reserved_quantity) data["reserved_quantity"] = reserved_quantity->value();
  if (cash_cap) data["cash_cap"] = cash_cap->to_string();
  return data;
}

Result<OrderCreated> OrderCreated::parse(const boost::json::object& data, std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  OrderCreated e;
  const auto fail = [](const Error& cause) { return envelope::malformed_event(kType, cause); };
  if (Status identity = envelope::read_order_identity(data, e.order_id, e.user_id, e.symbol); !identity) {
    return fail(identity.error());
  }
  auto side = json::require_string(data, "side");
  if (!side) return fail(side.error());
  auto type = json::require_string(data, "type");
  if (!type) return fail(type.error());
  auto time_in_force = json::require_string(data, "time_in_force");
  if (!time_in_force) return fail(time_in_force.error());
  auto parsed_side = parse_side(*side);
  auto parsed_type = parse_order_type(*type);
  auto parsed_tif = parse_time_in_force(*time_in_force);
  if (!parsed_side || !parsed_type || !parsed_tif) {
    return bad(kType, "side, type or time_in_force is not a known term");
  }
  e.side = *parsed_side;
  e.type = *parsed_type;
  e.time_in_force = *parsed_tif;
  auto quantity = json::require_int64(data, "quantity");
  if (!quantity) return fail(quantity.error());
  auto checked_quantity = positive_quantity(*quantity, "quantity");
  if (!checked_quantity) return fail(checked_quantity.error());
  e.quantity = *checked_quantity;
  for (const auto& [field, out] :
       {std::pair<std::string_view, std::optional<Amount>*>{"price", &e.price},
        {"reserved_cash", &e.reserved_cash},
        {"cash_cap", &e.cash_cap}}) {
    auto amount = optional_amount(data, field);
    if (!amount) return fail(amount.error());
    *out = *amount;
  }
  auto reserved_quantity = json::optional_int64(data, "reserved_quantity");
  if (!reserved_quantity) return fail(reserved_quantity.error());
  if (*reserved_quantity) {
    auto checked = positive_quantity(**reserved_quantity, "reserved_quantity");
    if (!checked) return fail(checked.error());
    e.reserved_quantity = *checked;
  }
  if (Status valid = check(e); !valid) return fail(valid.error());
  return e;
}

boost::json::object CancelRequested::to_json() const {
  BOURSE_ASSERT(order_id.valid() && validate_user_id(user_id).ok() && validate_symbol(symbol).ok(),
                "a CancelRequested keeps its invariants");
  return {{"order_id", order_id.value()}, {"user_id", user_id}, {"symbol", symbol}};
}

Result<CancelRequested> CancelRequested::parse(const boost::json::object& data,
                                               std::int64_t version) {
  if (version != kVersion) return envelope::unknown_version(kType, version);
  CancelRequested e;
  if (Status identity = envelope::read_order_identity(data, e.order_id, e.user_id, e.symbol); !identity) {
    return envelope::malformed_event(kType, identity.error());
  }
  return e;
}

}  // namespace bourse::order
