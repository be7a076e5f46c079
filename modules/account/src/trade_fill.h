// The pure core of settling one fill: does the trade fit its two reservations, and what
// does it consume and release? Shared by settle_trade (one trade) and settle_batch (many).
// No I/O: the callers lock and load the rows, and store what this decides.
#pragma once

#include <cstdint>
#include <string>

#include "bourse/account/settlement.h"
#include "bourse/common/error.h"
#include "reservation_store.h"

namespace bourse::account {

// A trade that does not fit its reservations: a bug upstream (poison message).
Error bad_settlement(std::string message);

// Field checks of a trade (ids, users, symbol, price, quantity).
Status validate_trade(const TradeSettlement& trade);

// What one fill does to the buyer's cash, in units.
struct FillEffect {
  std::int64_t paid = 0;      // price x quantity: buyer total -paid, seller total +paid
  std::int64_t consumed = 0;  // the buy reservation's share of the fill (limit x q, or paid)
  std::int64_t leftover = 0;  // released at the buy order's last fill (a market buy's rest)
  // The buyer's reserved cash goes down by consumed + leftover; of that, consumed - paid +
  // leftover returns to available (price improvement and leftover).
};

// Applies `trade` to the buy and sell reservation rows (in memory): checks that each row
// is the trade's order (user, side, symbol), open, not overfilled, and that the price is
// within the buy limit / market cap; then adds the fill, shrinks `remaining` and closes a
// row at its last fill (COMPLETED, holding 0). On error the rows may be changed: discard
// them. REQUIRES: validate_trade(trade) succeeded.
Result<FillEffect> apply_fill(ReservationRow& buy, ReservationRow& sell,
                              const TradeSettlement& trade);

}  // namespace bourse::account
