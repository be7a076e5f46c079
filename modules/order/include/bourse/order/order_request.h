// A client's order request, parsed from the POST /v1/orders JSON body and validated
// against the symbol table. Pure: no I/O, no clock; safe from any thread.
//
// Shape errors are 400 (kMalformed): a missing field ("missing_field"), a field of the
// wrong JSON type ("wrong_type"). Value errors are 422 (kInvalidArgument / kOutOfRange),
// each with its own reason, which the HTTP layer turns into the problem type:
//   unknown_symbol, invalid_user_id, invalid_side, invalid_order_type,
//   invalid_time_in_force (also MARKET with GTC), invalid_quantity (<= 0),
//   invalid_lot (not a multiple of lot_size), quantity_too_large (> max_order_quantity),
//   missing_price (LIMIT without price), unexpected_price (MARKET with a price),
//   invalid_amount / amount_scale (price not an exact decimal with <= 4 places),
//   invalid_price (<= 0), off_tick_price, price_outside_band.
// The price band is centred on the CURRENT reference price of `references` (by default
// the configured one; serve wires the live one, market_data::ReferencePrices).
// Whether the account exists and holds enough is decided by the reservation, on the
// committer thread (order_service.h).
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>

#include "bourse/common/error.h"
#include "bourse/common/instrument.h"
#include "bourse/common/money.h"
#include "bourse/common/reference_price_source.h"
#include "bourse/order/order_terms.h"

namespace bourse::order {

struct OrderRequest {
  std::string user_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce time_in_force = TimeInForce::kGtc;  // defaulted: GTC for LIMIT, IOC for MARKET
  Quantity quantity;
  std::optional<Amount> price;  // LIMIT only
};

using InstrumentTable = std::map<std::string, Instrument>;

// Parses and validates a request body (see the file comment for the errors).
Result<OrderRequest> parse_order_request(
    const boost::json::object& body, const InstrumentTable& instruments,
    const ReferencePriceSource& references = ConfiguredReferencePrices::instance());

// Re-checks an already built request against the symbol table (the same value rules as
// parse_order_request). OrderService::submit calls it so no path skips validation.
Status validate_order_request(
    const OrderRequest& request, const InstrumentTable& instruments,
    const ReferencePriceSource& references = ConfiguredReferencePrices::instance());

}  // namespace bourse::order
