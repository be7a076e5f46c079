#include "routes/trade_routes.h"

#include <boost/json.hpp>
#include <string>

#include "bourse/common/ids.h"
#include "bourse/common/timestamp.h"
#include "http/problem.h"
#include "routes/id_param.h"

namespace bourse::routes {
namespace {

boost::json::object to_json(const order::Trade& trade) {
  boost::json::object json;
  json["trade_id"] = trade.trade_id.value();
  json["symbol"] = trade.symbol;
  json["price"] = trade.price.to_string();
  json["quantity"] = trade.quantity.value();
  json["buy_order_id"] = trade.buy_order_id.value();
  json["sell_order_id"] = trade.sell_order_id.value();
  json["buyer"] = trade.buyer;
  json["seller"] = trade.seller;
  json["executed_at"] = format_rfc3339_utc(trade.executed_at);
  json["settled_at"] = trade.settled_at ? boost::json::value(format_rfc3339_utc(*trade.settled_at))
                                        : boost::json::value(nullptr);
  return json;
}

Result<order::TradeQuery> parse_trade_query(const http::Request& request) {
  order::TradeQuery query;
  if (auto symbol = request.query_param("symbol")) {
    if (Status valid = validate_symbol(*symbol); !valid) return valid.error();
    query.symbol = std::string(*symbol);
  }
  if (auto user_id = request.query_param("user_id")) {
    if (Status valid = validate_user_id(*user_id); !valid) return valid.error();
    query.user_id = std::string(*user_id);
  }
  if (auto order_id = request.query_param("order_id")) {
    auto value = parse_positive_id(*order_id);
    if (!value) return Error::invalid("order_id must be an order id", "invalid_order_id");
    query.order_id = OrderId(*value);
  }
  if (auto limit = request.query_param("limit")) {
    auto value = parse_positive_id(*limit);
    if (!value || *value > order::limits::kMaxTradeListLimit) {
      return Error::invalid(
          "limit must be an integer 1.." + std::to_string(order::limits::kMaxTradeListLimit),
          "invalid_limit");
    }
    query.limit = static_cast<int>(*value);
  }
  if (auto cursor = request.query_param("starting_after")) {
    auto value = parse_positive_id(*cursor);
    if (!value) return Error::invalid("starting_after must be a trade id", "invalid_cursor");
    query.starting_after = TradeId(*value);
  }
  return query;
}

}  // namespace

void add_trade_routes(http::Router& router, order::OrderService& orders) {
  router.add_blocking("GET", "/v1/trades", [&orders](const http::Request& request) {
    auto query = parse_trade_query(request);
    if (!query) return http::problem_from_error(query.error(), request.path);
    auto page = orders.list_trades(*query);
    if (!page) return http::problem_from_error(page.error(), request.path);
    boost::json::array data;
    data.reserve(page->trades.size());
    for (const auto& trade : page->trades) data.push_back(to_json(trade));
    return http::json_response(
        200, boost::json::object{{"data", std::move(data)}, {"has_more", page->has_more}});
  });
}

}  // namespace bourse::routes
