// What GET /v1/accounts/{user_id} shows: an account's cash and share balances.
//
// A snapshot is a plain value read in one consistent database snapshot; it is never
// updated in place. Invariants (asserted when it is read): for the cash and for every
// position, total >= reserved >= 0 and available == total - reserved.
#pragma once

#include <string>
#include <vector>

#include "bourse/common/money.h"

namespace bourse::account {

// The only currency of the exchange for now; the tables keep a currency column so a
// second one is a data change, not a schema change.
inline constexpr const char* kCurrency = "USD";

struct CashBalance {
  std::string currency;
  Amount total;
  Amount reserved;   // held for open buy orders
  Amount available;  // total - reserved: what a new order or a withdrawal may use
};

struct Position {
  std::string symbol;
  Quantity quantity;   // total shares held
  Quantity reserved;   // held for open sell orders
  Quantity available;  // quantity - reserved
};

struct AccountSnapshot {
  std::string user_id;
  CashBalance cash;
  std::vector<Position> positions;  // ordered by symbol
};

}  // namespace bourse::account
