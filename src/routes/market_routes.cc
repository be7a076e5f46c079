#include "routes/market_routes.h"

#include <boost/json.hpp>
#include <charconv>

#include "bourse/market_data/market_view.h"
#include "bourse/market_data/market_view_store.h"
#include "http/problem.h"

namespace bourse::routes {
namespace {

using SymbolTable = std::map<std::string, Instrument>;

Error unknown_symbol(const std::string& symbol) {
  return Error{ErrorCode::kNotFound, "unknown symbol " + symbol, "unknown_symbol"};
}

boost::json::value best_of(const std::vector<market_data::PriceLevel>& side) {
  if (side.empty()) return nullptr;
  return boost::json::object{{"price", side.front().price.to_string()},
                             {"quantity", side.front().quantity.value()},
                             {"orders", side.front().orders}};
}

// The symbol's stored view, or an empty one when no batch changed it yet.
Result<market_data::MarketView> view_of(db::ConnectionPool& pool, const std::string& symbol) {
  auto loaded = market_data::load_market_view(pool, symbol);
  if (!loaded) return loaded.error();
  if (*loaded) return std::move(**loaded);
  market_data::MarketView empty;
  empty.symbol = symbol;
  return empty;
}

Result<std::size_t> parse_depth(const http::Request& request) {
  const auto text = request.query_param("depth");
  if (!text) return kDefaultBookDepth;
  std::size_t depth = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), depth);
  if (error != std::errc() || end != text->data() + text->size() || depth < 1 ||
      depth > market_data::kMaxStoredDepth) {
    return Error::invalid(
        "depth must be an integer from 1 to " + std::to_string(market_data::kMaxStoredDepth),
        "invalid_depth");
  }
  return depth;
}

http::Response market(db::ConnectionPool& pool, const SymbolTable& symbols,
                      const ReferencePriceSource& references, const http::Request& request) {
  const std::string symbol(request.path_param("symbol"));
  const auto instrument = symbols.find(symbol);
  if (instrument == symbols.end()) {
    return http::problem_from_error(unknown_symbol(symbol), request.path);
  }
  auto view = view_of(pool, symbol);
  if (!view) return http::problem_from_error(view.error(), request.path);
  boost::json::object body{
      {"symbol", symbol},
      {"reference_price", references.reference_price(instrument->second).to_string()},
      {"last_trade_price", view->last_trade_price
                               ? boost::json::value(view->last_trade_price->to_string())
                               : boost::json::value(nullptr)},
      {"last_trade_quantity", view->last_trade_quantity
                                  ? boost::json::value(view->last_trade_quantity->value())
                                  : boost::json::value(nullptr)},
      {"best_bid", best_of(view->bids)},
      {"best_ask", best_of(view->asks)}};
  return http::json_response(200, body);
}

http::Response book(db::ConnectionPool& pool, const SymbolTable& symbols,
                    const http::Request& request) {
  const std::string symbol(request.path_param("symbol"));
  if (symbols.find(symbol) == symbols.end()) {
    return http::problem_from_error(unknown_symbol(symbol), request.path);
  }
  auto depth = parse_depth(request);
  if (!depth) return http::problem_from_error(depth.error(), request.path);
  auto view = view_of(pool, symbol);
  if (!view) return http::problem_from_error(view.error(), request.path);
  boost::json::object body = market_data::levels_to_json(*view, *depth);
  body.emplace("symbol", symbol);
  return http::json_response(200, body);
}

}  // namespace

void add_market_routes(http::Router& router, db::ConnectionPool& pool, const SymbolTable& symbols,
                       const ReferencePriceSource& references) {
  router.add_blocking("GET", "/v1/market/{symbol}",
                      [&pool, &symbols, &references](const http::Request& request) {
                        return market(pool, symbols, references, request);
                      });
  router.add_blocking(
      "GET", "/v1/market/{symbol}/book",
      [&pool, &symbols](const http::Request& request) { return book(pool, symbols, request); });
}

}  // namespace bourse::routes
