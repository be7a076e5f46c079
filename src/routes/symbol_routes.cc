#include "routes/symbol_routes.h"

#include <boost/json.hpp>

namespace bourse::routes {
namespace {

boost::json::object to_json(const std::string& symbol, const Instrument& instrument) {
  return boost::json::object{{"symbol", symbol},
                             {"tick_size", instrument.tick_size.to_string()},
                             {"lot_size", instrument.lot_size},
                             {"max_order_quantity", instrument.max_order_quantity},
                             {"reference_price", instrument.reference_price.to_string()},
                             {"price_band_bps", instrument.price_band_bps}};
}

}  // namespace

void add_symbol_routes(http::Router& router, const std::map<std::string, Instrument>& symbols) {
  boost::json::array data;
  data.reserve(symbols.size());
  // std::map iterates in key order: the answer is ordered by symbol.
  for (const auto& [symbol, instrument] : symbols) data.push_back(to_json(symbol, instrument));
  const boost::json::value body = boost::json::object{{"data", std::move(data)}};
  router.add("GET", "/v1/symbols", [body](http::Request&&, http::Responder respond) {
    respond(http::json_response(200, body));
  });
}

}  // namespace bourse::routes
