// HTTP routes of the market view (module market_data), served from table market_view by
// any instance (the matching service that owns a symbol's partition writes its row in the
// transaction of every batch that changed the book):
//
//   GET /v1/market/{symbol}             200 {"symbol","reference_price","last_trade_price",
//                                            "last_trade_quantity","best_bid","best_ask"}
//       best_bid / best_ask: {"price","quantity","orders"} or null (empty side); the last
//       trade fields are null until the symbol traded.
//   GET /v1/market/{symbol}/book?depth=N 200 {"symbol","bids":[{"price","quantity","orders"}],
//                                            "asks":[...]}: aggregated levels, best first,
//       at most N per side; N defaults to kDefaultBookDepth, 1..market_data::kMaxStoredDepth
//       (what market_view stores), else 422 invalid-depth.
//
// reference_price is the symbol's CURRENT reference (the live view of the price
// generator's table in a running server, market_data::ReferencePrices), the centre of
// the price band orders are checked against now.
//
// A symbol not in the symbol table is 404 unknown-symbol. A configured symbol whose book
// never changed yet (no market_view row) answers an empty book and null prices. Prices are
// decimal strings, quantities integers. The view is as of the last committed batch.
//
// Every handler reads the database, so all run on the blocking pool.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "bourse/common/instrument.h"
#include "bourse/common/reference_price_source.h"
#include "bourse/db/connection_pool.h"
#include "http/router.h"

namespace bourse::routes {

// Levels per side of a book answer without ?depth: a typical depth-of-book screen.
inline constexpr std::size_t kDefaultBookDepth = 10;

// REQUIRES: `router` has a blocking pool; `pool`, `symbols` and `references` outlive it.
void add_market_routes(
    http::Router& router, db::ConnectionPool& pool,
    const std::map<std::string, Instrument>& symbols,
    const ReferencePriceSource& references = ConfiguredReferencePrices::instance());

}  // namespace bourse::routes
