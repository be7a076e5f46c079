#include "bourse/order/order_request.h"

#include "bourse/common/ids.h"
#include "bourse/json/fields.h"

namespace bourse::order {
namespace {

Status check_quantity(Quantity quantity, const Instrument& instrument) {
  if (quantity.value() <= 0) {
    return Error::invalid("quantity must be a positive integer", "invalid_quantity");
  }
  if (quantity.value() > instrument.max_order_quantity) {
    return Error::invalid("quantity exceeds the maximum order quantity " +
                              std::to_string(instrument.max_order_quantity) + " of " +
                              instrument.symbol,
                          "quantity_too_large");
  }
  if (quantity.value() % instrument.lot_size != 0) {
    return Error::invalid(
        "quantity must be a multiple of the lot size " + std::to_string(instrument.lot_size),
        "invalid_lot");
  }
  return Status::success();
}

Status check_price(Amount price, const Instrument& instrument) {
  if (price.units() <= 0) return Error::invalid("price must be positive", "invalid_price");
  BOURSE_ASSERT(instrument.tick_size.units() > 0, "validated instrument has a positive tick");
  if (price.units() % instrument.tick_size.units() != 0) {
    return Error::invalid("price " + price.to_string() + " is not a multiple of the tick " +
                              instrument.tick_size.to_string(),
                          "off_tick_price");
  }
  if (price < instrument.band_low() || price > instrument.band_high()) {
    return Error::invalid("price " + price.to_string() + " is outside the band [" +
                              instrument.band_low().to_string() + ", " +
                              instrument.band_high().to_string() + "]",
                          "price_outside_band");
  }
  return Status::success();
}

// `instrument` carries the live reference price (with_live_reference), so the band
// checked here is the one in force now.
Status check_terms(const OrderRequest& request, const Instrument& instrument) {
  if (request.type == OrderType::kMarket && request.time_in_force == TimeInForce::kGtc) {
    return Error::invalid("a MARKET order cannot rest on the book: use IOC or FOK",
                          "invalid_time_in_force");
  }
  if (Status quantity = check_quantity(request.quantity, instrument); !quantity) return quantity;
  if (request.type == OrderType::kLimit) {
    if (!request.price) return Error::invalid("a LIMIT order needs a price", "missing_price");
    return check_price(*request.price, instrument);
  }
  if (request.price) return Error::invalid("a MARKET order takes no price", "unexpected_price");
  return Status::success();
}

const Instrument* find_instrument(const InstrumentTable& instruments, const std::string& symbol) {
  auto found = instruments.find(symbol);
  return found == instruments.end() ? nullptr : &found->second;
}

Error unknown_symbol(const std::string& symbol) {
  return Error::invalid("unknown symbol " + symbol, "unknown_symbol");
}

}  // namespace

Result<OrderRequest> parse_order_request(const boost::json::object& body,
                                         const InstrumentTable& instruments,
                                         const ReferencePriceSource& references) {
  // Shape first (400), in field order, then values (422).
  auto user_id = json::require_string(body, "user_id");
  if (!user_id) return user_id.error();
  auto symbol = json::require_string(body, "symbol");
  if (!symbol) return symbol.error();
  auto side = json::require_string(body, "side");
  if (!side) return side.error();
  auto type = json::require_string(body, "type");
  if (!type) return type.error();
  // An integer past int64 is a value error (quantity_too_large below), not a shape one.
  auto quantity = json::require_int64(body, "quantity");
  const bool quantity_past_int64 = !quantity && quantity.error().code == ErrorCode::kOutOfRange;
  if (!quantity && !quantity_past_int64) return quantity.error();
  auto price = json::optional_string(body, "price");
  if (!price) return price.error();
  auto time_in_force = json::optional_string(body, "time_in_force");
  if (!time_in_force) return time_in_force.error();

  OrderRequest request;
  if (Status valid = validate_user_id(*user_id); !valid) return valid.error();
  request.user_id = std::move(*user_id);
  const Instrument* instrument = find_instrument(instruments, *symbol);
  if (instrument == nullptr) {
    if (symbol->size() > bourse::limits::kMaxSymbolLength) {
      return unknown_symbol(symbol->substr(0, bourse::limits::kMaxSymbolLength) + "...");
    }
    return unknown_symbol(*symbol);
  }
  request.symbol = std::move(*symbol);
  auto parsed_side = parse_side(*side);
  if (!parsed_side) return Error::invalid("side must be BUY or SELL", "invalid_side");
  request.side = *parsed_side;
  auto parsed_type = parse_order_type(*type);
  if (!parsed_type) return Error::invalid("type must be LIMIT or MARKET", "invalid_order_type");
  request.type = *parsed_type;
  if (time_in_force->has_value()) {
    auto parsed = parse_time_in_force(**time_in_force);
    if (!parsed) {
      return Error::invalid("time_in_force must be GTC, IOC or FOK", "invalid_time_in_force");
    }
    request.time_in_force = *parsed;
  } else {
    request.time_in_force =
        request.type == OrderType::kLimit ? TimeInForce::kGtc : TimeInForce::kIoc;
  }
  // A uint64 past int64 and anything past the hard ceiling are simply too large; zero
  // and negatives are invalid.
  if (quantity_past_int64 || *quantity > instrument->max_order_quantity) {
    return Error::invalid("quantity exceeds the maximum order quantity " +
                              std::to_string(instrument->max_order_quantity) + " of " +
                              instrument->symbol,
                          "quantity_too_large");
  }
  if (*quantity <= 0) {
    return Error::invalid("quantity must be a positive integer", "invalid_quantity");
  }
  request.quantity = Quantity::of(*quantity);
  if (price->has_value()) {
    if (request.type == OrderType::kMarket) {
      return Error::invalid("a MARKET order takes no price", "unexpected_price");
    }
    auto amount = Amount::parse(**price);
    if (!amount) return amount.error();
    request.price = *amount;
  }
  if (Status terms = check_terms(request, with_live_reference(*instrument, references)); !terms) {
    return terms.error();
  }
  return request;
}

Status validate_order_request(const OrderRequest& request, const InstrumentTable& instruments,
                              const ReferencePriceSource& references) {
  if (Status valid = validate_user_id(request.user_id); !valid) return valid;
  const Instrument* instrument = find_instrument(instruments, request.symbol);
  if (instrument == nullptr) return unknown_symbol(request.symbol);
  return check_terms(request, with_live_reference(*instrument, references));
}

}  // namespace bourse::order
