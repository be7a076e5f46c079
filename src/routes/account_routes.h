// HTTP routes of the account module (DESIGN.md section 5):
//
//   POST /v1/accounts                          open: {"user_id","cash","positions":{"SYM":qty}}
//                                              201 + Location; 409 if it exists
//   POST /v1/accounts/{user_id}/deposits       {"cash"} or {"symbol","quantity"}; 200
//   GET  /v1/accounts/{user_id}                cash {total,reserved,available} and positions
//
// Deposits honour Idempotency-Key (scoped to the user): the same key with the same body
// replays (200, header Idempotent-Replayed: true, current balances); the same key with
// another body is 422 idempotency-key-reused. Without a key every deposit is new. Account
// opening needs no key: a repeated open is 409 and changes nothing.
//
// Every handler blocks on the database, so all run on the blocking pool.
#pragma once

#include "bourse/account/account_service.h"
#include "http/router.h"

namespace bourse::routes {

// REQUIRES: `router` has a blocking pool; `accounts` outlives it.
void add_account_routes(http::Router& router, account::AccountService& accounts);

}  // namespace bourse::routes
