// HTTP routes of the account module:
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
// Symbols must be in the symbol table: a position or share deposit of any other symbol is
// 422 unknown-symbol (a malformed one is 422 invalid-symbol) and writes nothing.
//
// Every handler blocks on the database, so all run on the blocking pool.
#pragma once

#include <map>
#include <string>

#include "bourse/account/account_service.h"
#include "bourse/common/instrument.h"
#include "http/router.h"

namespace bourse::routes {

// REQUIRES: `router` has a blocking pool; `accounts` and `symbols` outlive it.
void add_account_routes(http::Router& router, account::AccountService& accounts,
                        const std::map<std::string, Instrument>& symbols);

}  // namespace bourse::routes
