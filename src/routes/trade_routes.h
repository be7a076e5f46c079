// HTTP routes of the trade record (owned by the order module, see its README):
//
//   GET /v1/trades   ?symbol=&user_id=&order_id=&limit=&starting_after=
//                    200 {"data":[{"trade_id","symbol","price","quantity","buy_order_id",
//                    "sell_order_id","buyer","seller","executed_at","settled_at"}],
//                    "has_more":bool}, newest first ((executed_at, trade_id) descending);
//                    user_id matches the buyer or the seller, order_id either order;
//                    filters combine. Next page: starting_after = the last trade_id.
//                    settled_at is null until settlement. 422 problems for a bad limit
//                    (1..500, invalid-limit), symbol (invalid-symbol), user_id
//                    (invalid-user-id), order_id (invalid-order-id) or cursor
//                    (invalid-cursor: not a trade id, or no such trade).
//
// The handler blocks on the database: it runs on the blocking pool.
#pragma once

#include "bourse/order/order_service.h"
#include "http/router.h"

namespace bourse::routes {

// REQUIRES: `router` has a blocking pool; `orders` outlives it.
void add_trade_routes(http::Router& router, order::OrderService& orders);

}  // namespace bourse::routes
