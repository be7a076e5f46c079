// Readers of the shared kernel's values in an event's `data` object, for every module's
// event contracts (order, matching, account events.cc): one place for the shape and the
// range of an id, a user id, a symbol, a side, an amount and a quantity, so the contracts
// agree on them. Each returns kMalformed naming the field when it is missing, of another
// JSON type, or out of range (json/fields.h gives the shape errors).
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/money.h"
#include "bourse/common/order_terms.h"

namespace bourse::envelope {

// A JSON integer > 0 (an order or trade id).
Result<std::int64_t> read_positive_id(const boost::json::object& data, std::string_view field);
// A valid user id (validate_user_id).
Result<std::string> read_user_id(const boost::json::object& data, std::string_view field);
// The "symbol" field, a valid symbol (validate_symbol).
Result<std::string> read_symbol(const boost::json::object& data);
// "BUY" or "SELL".
Result<Side> read_side(const boost::json::object& data, std::string_view field);
// A canonical decimal string > 0.
Result<Amount> read_positive_amount(const boost::json::object& data, std::string_view field);
// A JSON integer >= `minimum` (0 or 1) within the kernel's quantity ceiling.
Result<Quantity> read_quantity(const boost::json::object& data, std::string_view field,
                               std::int64_t minimum);
// order_id (> 0), user_id and symbol: the identity every order event starts with.
Status read_order_identity(const boost::json::object& data, OrderId& order_id,
                           std::string& user_id, std::string& symbol);

}  // namespace bourse::envelope
