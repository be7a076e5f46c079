#include "bourse/order/account_event_applier.h"

#include <soci/soci.h>

#include <optional>
#include <string>

#include "bourse/common/money.h"
#include "order_store.h"

namespace bourse::order {
namespace {

Error bad_event(std::string_view event_type, const std::string& what) {
  return Error{ErrorCode::kMalformed, std::string(event_type) + ": " + what, "malformed_event"};
}

const boost::json::value* field(const boost::json::object& data, std::string_view name) {
  auto found = data.find(name);
  if (found == data.end() || found->value().is_null()) return nullptr;
  return &found->value();
}

// An optional decimal-string amount field; Error if present and not a valid amount >= 0.
Result<std::optional<Amount>> amount_field(std::string_view event_type,
                                           const boost::json::object& data, std::string_view name) {
  const boost::json::value* value = field(data, name);
  if (value == nullptr) return std::optional<Amount>();
  if (!value->is_string()) return bad_event(event_type, std::string(name) + " must be a string");
  auto amount = Amount::parse(value->get_string());
  if (!amount || amount->is_negative()) {
    return bad_event(event_type, std::string(name) + " is not a valid amount");
  }
  return std::optional<Amount>(*amount);
}

// The event's order, locked, after checking that the event names it consistently.
Result<Order> lock_order(soci::session& session, std::string_view event_type,
                         const boost::json::object& data) {
  const boost::json::value* id = field(data, "order_id");
  if (id == nullptr || !id->is_int64() || id->as_int64() <= 0) {
    return bad_event(event_type, "order_id missing or invalid");
  }
  const OrderId order_id(id->as_int64());
  auto order = store::find_order(session, order_id, /*for_update=*/true);
  if (!order) {
    return Error{ErrorCode::kNotFound,
                 std::string(event_type) + " for unknown order " + std::to_string(order_id.value()),
                 "order_not_found"};
  }
  for (const char* name : {"user_id", "symbol"}) {
    const boost::json::value* value = field(data, name);
    const std::string& expected =
        std::string_view(name) == "user_id" ? order->user_id : order->symbol;
    if (value != nullptr && (!value->is_string() || value->get_string() != expected)) {
      return bad_event(event_type, std::string(name) + " does not match order " +
                                       std::to_string(order_id.value()));
    }
  }
  return std::move(*order);
}

Status on_funds_reserved(soci::session& session, const boost::json::object& data) {
  constexpr std::string_view kType = "FundsReserved";
  auto order = lock_order(session, kType, data);
  if (!order) return order.error();
  auto reserved_cash = amount_field(kType, data, "reserved_cash");
  if (!reserved_cash) return reserved_cash.error();
  auto cash_cap = amount_field(kType, data, "cash_cap");
  if (!cash_cap) return cash_cap.error();
  std::optional<long long> reserved_quantity;
  if (const boost::json::value* value = field(data, "reserved_quantity")) {
    if (!value->is_int64() || value->as_int64() < 0) {
      return bad_event(kType, "reserved_quantity must be a non-negative integer");
    }
    reserved_quantity = value->as_int64();
  }
  if (order->side == Side::kBuy && !*reserved_cash) {
    return bad_event(kType, "a BUY reservation needs reserved_cash");
  }
  if (order->side == Side::kSell && !reserved_quantity) {
    return bad_event(kType, "a SELL reservation needs reserved_quantity");
  }
  // Idempotent: the same values written again change nothing (updated_at included,
  // because the row is only touched when a value differs).
  const long long order_id = order->order_id.value();
  long long cash_units = *reserved_cash ? (*reserved_cash)->units() : 0;
  soci::indicator cash_indicator = *reserved_cash ? soci::i_ok : soci::i_null;
  long long cap_units = *cash_cap ? (*cash_cap)->units() : 0;
  soci::indicator cap_indicator = *cash_cap ? soci::i_ok : soci::i_null;
  long long shares = reserved_quantity.value_or(0);
  soci::indicator shares_indicator = reserved_quantity ? soci::i_ok : soci::i_null;
  session << "UPDATE orders SET reserved_cash_units = :cash, cash_cap_units = :cap, "
             "reserved_quantity = :shares WHERE order_id = :order_id AND NOT ("
             "reserved_cash_units <=> :cash2 AND cash_cap_units <=> :cap2 AND "
             "reserved_quantity <=> :shares2)",
      soci::use(cash_units, cash_indicator), soci::use(cap_units, cap_indicator),
      soci::use(shares, shares_indicator), soci::use(order_id),
      soci::use(cash_units, cash_indicator), soci::use(cap_units, cap_indicator),
      soci::use(shares, shares_indicator);
  return Status::success();
}

Status on_order_rejected(soci::session& session, const boost::json::object& data) {
  constexpr std::string_view kType = "OrderRejected";
  auto order = lock_order(session, kType, data);
  if (!order) return order.error();
  const boost::json::value* reason = field(data, "reason");
  if (reason == nullptr || !reason->is_string() || reason->get_string().empty() ||
      reason->get_string().size() > 64) {
    return bad_event(kType, "reason missing or invalid");
  }
  const std::string reject_reason(reason->get_string());
  if (order->status == OrderStatus::kRejected) return Status::success();  // applied before
  if (order->status != OrderStatus::kPending) {
    return Error{ErrorCode::kConflict,
                 "OrderRejected for order " + std::to_string(order->order_id.value()) +
                     " which is " + std::string(to_string(order->status)),
                 "order_state_conflict"};
  }
  const long long order_id = order->order_id.value();
  session << "UPDATE orders SET status = 'REJECTED', reject_reason = :reason "
             "WHERE order_id = :order_id AND status = 'PENDING'",
      soci::use(reject_reason), soci::use(order_id);
  return Status::success();
}

}  // namespace

Status apply_account_event(soci::session& session, std::string_view event_type,
                           const boost::json::object& data) {
  if (event_type == "FundsReserved") return on_funds_reserved(session, data);
  if (event_type == "OrderRejected") return on_order_rejected(session, data);
  return Status::success();  // TradeSettled, ReservationReleased: later issues
}

}  // namespace bourse::order
