#include "routes/symbol_routes.h"

#include <boost/json.hpp>

namespace bourse::routes {
namespace {

boost::json::object to_json(const std::string& symbol, const Instrument& instrument,
                            const ReferencePriceSource& references) {
  return boost::json::object{{"symbol", symbol},
                             {"tick_size", instrument.tick_size.to_string()},
                             {"lot_size", instrument.lot_size},
                             {"max_order_quantity", instrument.max_order_quantity},
                             {"reference_price", references.reference_price(instrument).to_string()},
                             {"price_band_bps", instrument.price_band_bps}};
}

}  // namespace

void add_symbol_routes(http::Router& router, const std::map<std::string, Instrument>& symbols,
                       const ReferencePriceSource& references) {
  // The table is copied now (later changes to `symbols` are not seen); the reference
  // price is read per request.
  router.add("GET", "/v1/symbols",
             [symbols, &references](http::Request&&, http::Responder respond) {
               boost::json::array data;
               data.reserve(symbols.size());
               // std::map iterates in key order: the answer is ordered by symbol.
               for (const auto& [symbol, instrument] : symbols) {
                 data.push_back(to_json(symbol, instrument, references));
               }
               respond(http::json_response(200, boost::json::object{{"data", std::move(data)}}));
             });
}

}  // namespace bourse::routes
