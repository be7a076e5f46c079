// SQL of the order module's `trades` table (migration 0204): the client-visible trade
// record that the status follower writes and GET /v1/trades reads.
//
// Every function runs on the caller's session, usually inside the caller's transaction;
// SOCI exceptions propagate to the caller. Rows read back are checked with BOURSE_ASSERT.
// Timestamps cross the SQL boundary as microseconds since the Unix epoch.
#pragma once

#include <soci/session.h>

#include <optional>

#include "bourse/order/trade.h"

namespace bourse::order::store {

// Inserts `trade` unsettled (settled_at NULL) unless a row with its trade_id exists, in
// which case nothing changes. Either way the row is locked (exclusively) until the
// transaction ends. REQUIRES: the invariants of trade.h (asserted); trade.settled_at is
// ignored.
void insert_trade_if_absent(soci::session& session, const Trade& trade);

// The trade, or nullopt. `for_update` locks the row until the transaction ends.
std::optional<Trade> find_trade(soci::session& session, TradeId trade_id, bool for_update);

// Sets settled_at. REQUIRES: the row exists and is locked by the caller.
void mark_trade_settled(soci::session& session, TradeId trade_id,
                        std::chrono::system_clock::time_point settled_at);

// One page, newest first ((executed_at, trade_id) descending); nullopt if
// query.starting_after names no stored trade. A user filter reads the buyer and seller
// indexes, an order filter the buy and sell order indexes (UNION of two index range reads,
// each at most limit + 1 rows).
// REQUIRES: 1 <= query.limit <= limits::kMaxTradeListLimit.
std::optional<TradePage> list_trades(soci::session& session, const TradeQuery& query);

}  // namespace bourse::order::store
