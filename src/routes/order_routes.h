// HTTP routes of the order module (the HTTP contract in README.md):
//
//   POST   /v1/orders {"user_id","symbol","side","type","quantity","price"?,"time_in_force"?}
//                            202 {"order_id","status":"PENDING"} + Location: /v1/orders/{id}
//   GET    /v1/orders/{id}   the order (see to_json in order_routes.cc); 404 if unknown
//   GET    /v1/orders        ?user_id=&symbol=&status=&limit=&starting_after=
//                            {"data":[...],"has_more":bool}, descending order_id; 422 for a
//                            bad limit (1..500), status, cursor, user_id or symbol
//   DELETE /v1/orders/{id}   202 {"order_id","status","cancel_requested":true}; 409 when
//                            terminal; 404 if unknown
//
// POST honours Idempotency-Key (scoped to the body's user_id): the same key with the same
// request replays the first answer byte for byte (202, same body, header
// Idempotent-Replayed: true); with another request it is 422 idempotency-key-reused.
//
// POST is asynchronous: the handler validates on the I/O thread (pure, no I/O), hands the
// order to OrderService::submit and answers from its completion, after the group commit;
// it never blocks an I/O thread. GET and DELETE block on the database and run on the
// blocking pool.
#pragma once

#include "bourse/order/order_service.h"
#include "http/router.h"

namespace bourse::routes {

// REQUIRES: `router` has a blocking pool; `orders` outlives it.
void add_order_routes(http::Router& router, order::OrderService& orders);

}  // namespace bourse::routes
