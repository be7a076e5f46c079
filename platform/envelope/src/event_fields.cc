#include "bourse/envelope/event_fields.h"

#include "bourse/json/fields.h"

namespace bourse::envelope {
namespace {

Error invalid(std::string_view field, std::string_view what) {
  return Error{ErrorCode::kMalformed, std::string(field) + " " + std::string(what), {}};
}

}  // namespace

Result<std::int64_t> read_positive_id(const boost::json::object& data, std::string_view field) {
  auto id = json::require_int64(data, field);
  if (!id) return id.error();
  if (*id <= 0) return invalid(field, "must be positive");
  return *id;
}

Result<std::string> read_user_id(const boost::json::object& data, std::string_view field) {
  auto user = json::require_string(data, field);
  if (!user) return user.error();
  if (Status valid = validate_user_id(*user); !valid) {
    return invalid(field, ": " + valid.error().message);
  }
  return std::move(*user);
}

Result<std::string> read_symbol(const boost::json::object& data) {
  auto symbol = json::require_string(data, "symbol");
  if (!symbol) return symbol.error();
  if (Status valid = validate_symbol(*symbol); !valid) {
    return invalid("symbol", ": " + valid.error().message);
  }
  return std::move(*symbol);
}

Result<Side> read_side(const boost::json::object& data, std::string_view field) {
  auto text = json::require_string(data, field);
  if (!text) return text.error();
  auto side = parse_side(*text);
  if (!side) return invalid(field, "must be BUY or SELL");
  return *side;
}

Result<Amount> read_positive_amount(const boost::json::object& data, std::string_view field) {
  auto text = json::require_string(data, field);
  if (!text) return text.error();
  auto amount = Amount::parse_positive(*text);
  if (!amount) return invalid(field, ": " + amount.error().message);
  return *amount;
}

Result<Quantity> read_quantity(const boost::json::object& data, std::string_view field,
                               std::int64_t minimum) {
  auto value = json::require_int64(data, field);
  if (!value) return value.error();
  auto quantity = Quantity::checked_of(*value);
  if (!quantity || *value < minimum) {
    return invalid(field, minimum > 0 ? "must be a positive quantity" : "must be a quantity >= 0");
  }
  return *quantity;
}

Status read_order_identity(const boost::json::object& data, OrderId& order_id,
                           std::string& user_id, std::string& symbol) {
  auto id = read_positive_id(data, "order_id");
  if (!id) return id.error();
  auto user = read_user_id(data, "user_id");
  if (!user) return user.error();
  auto sym = read_symbol(data);
  if (!sym) return sym.error();
  order_id = OrderId(*id);
  user_id = std::move(*user);
  symbol = std::move(*sym);
  return Status::success();
}

}  // namespace bourse::envelope
