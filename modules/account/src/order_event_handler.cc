#include "bourse/account/order_event_handler.h"

#include <optional>

#include "bourse/outbox/outbox_writer.h"

namespace bourse::account {
namespace {

constexpr const char* kAccountOutbox = "account_outbox";

Error bad_event(const std::string& what) {
  return Error{ErrorCode::kMalformed, "OrderCreated: " + what, "malformed_event"};
}

Result<std::string> string_field(const boost::json::object& data, const char* name) {
  auto found = data.find(name);
  if (found == data.end() || !found->value().is_string()) return bad_event(std::string(name) + " missing");
  return std::string(found->value().as_string());
}

Result<std::int64_t> int_field(const boost::json::object& data, const char* name) {
  auto found = data.find(name);
  if (found == data.end() || !found->value().is_int64()) return bad_event(std::string(name) + " missing");
  return found->value().as_int64();
}

}  // namespace

OrderEventHandler::OrderEventHandler(AccountService& accounts,
                                     const std::map<std::string, Instrument>& instruments,
                                     std::string account_events_topic, const Clock& clock)
    : accounts_(accounts), instruments_(instruments), topic_(std::move(account_events_topic)),
      clock_(clock) {}

Status OrderEventHandler::apply(soci::session& session, std::string_view event_type,
                                const boost::json::object& data) {
  if (event_type == "OrderCreated") return on_order_created(session, data);
  return Status::success();  // CancelRequested is for matching; others are not ours.
}

Status OrderEventHandler::on_order_created(soci::session& session, const boost::json::object& data) {
  auto order_id = int_field(data, "order_id");
  if (!order_id) return order_id.error();
  auto user_id = string_field(data, "user_id");
  if (!user_id) return user_id.error();
  auto symbol = string_field(data, "symbol");
  if (!symbol) return symbol.error();
  auto side = string_field(data, "side");
  if (!side) return side.error();
  auto type = string_field(data, "type");
  if (!type) return type.error();
  auto quantity = int_field(data, "quantity");
  if (!quantity) return quantity.error();
  auto tif = string_field(data, "time_in_force");
  if (!tif) return tif.error();
  auto instrument = instruments_.find(*symbol);
  if (instrument == instruments_.end()) return bad_event("unknown symbol " + *symbol);
  if (*side != "BUY" && *side != "SELL") return bad_event("side");
  if (*type != "LIMIT" && *type != "MARKET") return bad_event("type");
  auto checked_quantity = Quantity::checked_of(*quantity);
  if (!checked_quantity || checked_quantity->value() <= 0) return bad_event("quantity");

  ReservationRequest request;
  request.order_id = OrderId{*order_id};
  request.user_id = *user_id;
  request.side = *side == "BUY" ? Side::kBuy : Side::kSell;
  request.type = *type == "LIMIT" ? OrderType::kLimit : OrderType::kMarket;
  request.symbol = *symbol;
  request.quantity = *checked_quantity;
  std::optional<std::string> price_text;
  if (request.type == OrderType::kLimit) {
    auto price = string_field(data, "price");
    if (!price) return price.error();
    auto parsed = Amount::parse_positive(*price);
    if (!parsed) return bad_event("price");
    request.limit_price = *parsed;
    price_text = *price;
  }
  request.reference_price = instrument->second.reference_price;
  request.band_basis_points = instrument->second.price_band_bps;

  auto outcome = accounts_.reserve_for_order(session, request);
  if (!outcome) return outcome.error();
  if (outcome->replayed) return Status::success();  // announced when first decided

  outbox::OutboxEvent event;
  event.topic = topic_;
  event.key = *symbol;
  event.aggregate_type = "order";
  event.aggregate_id = std::to_string(*order_id);
  boost::json::object out{{"order_id", *order_id}, {"user_id", *user_id}, {"symbol", *symbol}};
  if (const auto* reserved = std::get_if<Reserved>(&outcome->decision)) {
    event.event_type = "FundsReserved";
    out["side"] = *side;
    out["type"] = *type;
    out["quantity"] = *quantity;
    if (price_text) out["price"] = *price_text;
    out["time_in_force"] = *tif;
    if (request.side == Side::kBuy) {
      out["reserved_cash"] = reserved->cash.to_string();
      if (request.type == OrderType::kMarket) out["cash_cap"] = reserved->cash.to_string();
    } else {
      out["reserved_quantity"] = reserved->shares.value();
    }
  } else {
    event.event_type = "OrderRejected";
    out["reason"] = to_string(std::get<Rejected>(outcome->decision).reason);
  }
  event.data = std::move(out);
  auto appended = outbox::append_event(session, kAccountOutbox, event, clock_);
  if (!appended) return appended.error();
  return Status::success();
}

}  // namespace bourse::account
