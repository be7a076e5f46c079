// HTTP route of the symbol table (reference data, read-only):
//
//   GET /v1/symbols   200 {"data":[{"symbol","tick_size","lot_size","max_order_quantity",
//                                   "reference_price","price_band_bps"}, ...]}
//
// One entry per configured symbol, ordered by symbol (byte order); prices are decimal
// strings like everywhere in the API ("0.01", "150"), the other fields integers. No
// paging: the table is configuration, small and fixed for the life of the process.
//
// reference_price is the symbol's CURRENT reference (the live view of the price
// generator's table in a running server, market_data::ReferencePrices). The table is
// immutable after start-up and the reference source answers from memory, so the
// handler builds the answer on the I/O thread without blocking.
#pragma once

#include <map>
#include <string>

#include "bourse/common/instrument.h"
#include "bourse/common/reference_price_source.h"
#include "http/router.h"

namespace bourse::routes {

// The symbol table is copied now (later changes to `symbols` are not seen); `references`
// must outlive the router.
void add_symbol_routes(
    http::Router& router, const std::map<std::string, Instrument>& symbols,
    const ReferencePriceSource& references = ConfiguredReferencePrices::instance());

}  // namespace bourse::routes
