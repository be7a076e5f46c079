#include "routes/order_routes.h"

#include <boost/json.hpp>
#include <string>

#include "bourse/common/ids.h"
#include "bourse/common/timestamp.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "routes/id_param.h"

namespace bourse::routes {
namespace {

boost::json::value amount_or_null(const std::optional<Amount>& amount) {
  if (!amount) return nullptr;
  return boost::json::value(amount->to_string());
}

boost::json::object to_json(const order::Order& order) {
  boost::json::object json;
  json["order_id"] = order.order_id.value();
  json["user_id"] = order.user_id;
  json["symbol"] = order.symbol;
  json["side"] = order::to_string(order.side);
  json["type"] = order::to_string(order.type);
  json["time_in_force"] = order::to_string(order.time_in_force);
  json["quantity"] = order.quantity.value();
  json["price"] = amount_or_null(order.price);
  json["status"] = order::to_string(order.status);
  json["filled_quantity"] = order.filled_quantity.value();
  json["remaining_quantity"] = order.remaining_quantity().value();
  json["average_price"] = amount_or_null(order.average_price());
  json["reserved"] =
      order.side == Side::kBuy
          ? amount_or_null(order.reserved_cash)
          : (order.reserved_quantity ? boost::json::value(order.reserved_quantity->value())
                                     : boost::json::value(nullptr));
  json["cash_cap"] = amount_or_null(order.cash_cap);
  json["cancel_reason"] =
      order.cancel_reason ? boost::json::value(*order.cancel_reason) : boost::json::value(nullptr);
  json["reject_reason"] =
      order.reject_reason ? boost::json::value(*order.reject_reason) : boost::json::value(nullptr);
  json["cancel_requested"] = order.cancel_requested;
  json["created_at"] = format_rfc3339_utc(order.created_at);
  json["updated_at"] = format_rfc3339_utc(order.updated_at);
  return json;
}

Error unknown_order(std::string_view id) {
  return Error{ErrorCode::kNotFound, "order " + std::string(id) + " not found", "order_not_found"};
}

Result<order::ListQuery> parse_list_query(const http::Request& request) {
  order::ListQuery query;
  if (auto user_id = request.query_param("user_id")) {
    if (Status valid = validate_user_id(*user_id); !valid) return valid.error();
    query.user_id = std::string(*user_id);
  }
  if (auto symbol = request.query_param("symbol")) {
    if (Status valid = validate_symbol(*symbol); !valid) return valid.error();
    query.symbol = std::string(*symbol);
  }
  if (auto status = request.query_param("status")) {
    query.status = order::parse_order_status(*status);
    if (!query.status) {
      return Error::invalid(
          "status must be one of PENDING, REJECTED, OPEN, PARTIALLY_FILLED, "
          "FILLED, CANCELLED",
          "invalid_status");
    }
  }
  if (auto limit = request.query_param("limit")) {
    auto value = parse_positive_id(*limit);
    if (!value || *value > order::limits::kMaxListLimit) {
      return Error::invalid(
          "limit must be an integer 1.." + std::to_string(order::limits::kMaxListLimit),
          "invalid_limit");
    }
    query.limit = static_cast<int>(*value);
  }
  if (auto cursor = request.query_param("starting_after")) {
    auto value = parse_positive_id(*cursor);
    if (!value) return Error::invalid("starting_after must be an order id", "invalid_cursor");
    query.starting_after = OrderId(*value);
  }
  return query;
}

void post_order(order::OrderService& orders, http::Request&& request, http::Responder respond) {
  auto body = http::parse_json_object(request);
  if (!body) return respond(http::problem_from_error(body.error(), request.path));
  auto order_request = orders.parse_request(*body);
  if (!order_request) return respond(http::problem_from_error(order_request.error(), request.path));
  std::optional<std::string> key;
  if (auto header = request.header("Idempotency-Key")) key = std::string(*header);
  orders.submit(
      std::move(*order_request), std::move(key),
      [respond = std::move(respond), path = request.path](Result<order::SubmitResult> result) {
        if (!result) return respond(http::problem_from_error(result.error(), path));
        if (result->rejection) {  // 422: nothing could be reserved, nothing was written
          http::Response response = http::problem_from_error(*result->rejection, path);
          if (result->replayed) response.headers.set("Idempotent-Replayed", "true");
          return respond(std::move(response));
        }
        http::Response response;
        response.status = result->http_status;
        response.body = result->body;
        response.headers.set("Location", "/v1/orders/" + std::to_string(result->order_id.value()));
        if (result->replayed) response.headers.set("Idempotent-Replayed", "true");
        respond(std::move(response));
      });
}

}  // namespace

void add_order_routes(http::Router& router, order::OrderService& orders) {
  router.add("POST", "/v1/orders", [&orders](http::Request&& request, http::Responder respond) {
    post_order(orders, std::move(request), std::move(respond));
  });
  router.add_blocking("GET", "/v1/orders/{id}", [&orders](const http::Request& request) {
    const std::string_view id = request.path_param("id");
    auto order_id = parse_positive_id(id);
    if (!order_id) return http::problem_from_error(unknown_order(id), request.path);
    auto order = orders.get_order(OrderId(*order_id));
    if (!order) return http::problem_from_error(order.error(), request.path);
    return http::json_response(200, to_json(*order));
  });
  router.add_blocking("GET", "/v1/orders", [&orders](const http::Request& request) {
    auto query = parse_list_query(request);
    if (!query) return http::problem_from_error(query.error(), request.path);
    auto page = orders.list_orders(*query);
    if (!page) return http::problem_from_error(page.error(), request.path);
    boost::json::array data;
    data.reserve(page->orders.size());
    for (const auto& order : page->orders) data.push_back(to_json(order));
    return http::json_response(
        200, boost::json::object{{"data", std::move(data)}, {"has_more", page->has_more}});
  });
  router.add_blocking("DELETE", "/v1/orders/{id}", [&orders](const http::Request& request) {
    const std::string_view id = request.path_param("id");
    auto order_id = parse_positive_id(id);
    if (!order_id) return http::problem_from_error(unknown_order(id), request.path);
    auto cancel = orders.request_cancel(OrderId(*order_id));
    if (!cancel) return http::problem_from_error(cancel.error(), request.path);
    return http::json_response(202,
                               boost::json::object{{"order_id", cancel->order_id.value()},
                                                   {"status", order::to_string(cancel->status)},
                                                   {"cancel_requested", true}});
  });
}

}  // namespace bourse::routes
