// HTTP routes of the order module (the HTTP contract in README.md):
//
//   POST   /v1/orders {"user_id","symbol","side","type","quantity","price"?,"time_in_force"?}
//                            202 {"order_id","status":"PENDING"} + Location: /v1/orders/{id}
//   GET    /v1/orders/{id}   the order (see to_json in order_routes.cc): status,
//                            filled_quantity, remaining_quantity, average_price (decimal
//                            string: filled_notional / filled_quantity rounded half up to
//                            0.0001; null while nothing is filled), reserved, cash_cap
//                            (null unless MARKET BUY), cancel_reason, reject_reason (null
//                            unless CANCELLED / REJECTED), created_at, updated_at; 404 if
//                            unknown
//   GET    /v1/orders        ?user_id=&symbol=&status=&limit=&starting_after=
//                            {"data":[...],"has_more":bool}, descending order_id; 422 for a
//                            bad limit (1..500), status, cursor, user_id or symbol
//   DELETE /v1/orders/{id}   202 {"order_id","status","cancel_requested":true}, also for a
//                            PENDING order (matching handles a cancel that overtakes its
//                            order) and for a repeat (one CancelRequested per order); 409
//                            order-not-cancellable once FILLED, CANCELLED or REJECTED; 404
//                            if unknown
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
