// SQL of the order module's `trades` table (migration 0204): the client-visible trade
// record that the status follower writes and GET /v1/trades reads.
//
// Every function runs on the caller's session, usually inside the caller's transaction;
// SOCI exceptions propagate to the caller. Rows read back are checked with BOURSE_ASSERT.
// Timestamps cross the SQL boundary as microseconds since the Unix epoch.
#pragma once

#include <soci/session.h>

#include <chrono>
#include <map>
#include <optional>
#include <span>

#include "bourse/db/sql_batch.h"
#include "bourse/order/order_limits.h"
#include "bourse/order/trade.h"

namespace bourse::order::store {

// Inserts each of `trades` unsettled (settled_at NULL) unless a row with its trade_id
// exists, which then stays as it is, in ONE multi-row statement. Either way every row is
// locked exclusively until the transaction ends, in ascending trade id order.
// REQUIRES: 1 <= trades.size() <= limits::kMaxStatusRowsPerStatement; trade ids strictly
// ascending; the invariants of trade.h (asserted); settled_at is ignored.
void insert_trades_if_absent(soci::session& session, std::span<const Trade> trades);

// The trades with `trade_ids` that exist, locked exclusively until the transaction ends,
// in ONE statement; ids without a row are absent from the map.
// REQUIRES: 1 <= trade_ids.size() <= limits::kMaxStatusRowsPerStatement, strictly
// ascending.
std::map<TradeId, Trade> lock_trades(soci::session& session, std::span<const TradeId> trade_ids);

// A trade's settlement instant.
struct TradeSettledAt {
  TradeId trade_id;
  std::chrono::system_clock::time_point settled_at;
};

// The ONE statement setting settled_at of each trade, built to be sent later (e.g. with
// the COMMIT: db/sql_batch.h). REQUIRES: 1 <= settled.size() <=
// limits::kMaxStatusRowsPerStatement; trade ids strictly ascending; every row exists, is
// unsettled and is locked by the caller (asserted when it runs: its expected_rows is
// every row named).
db::SqlStatement trades_settled_update(std::span<const TradeSettledAt> settled);

// One page, newest first ((executed_at, trade_id) descending); nullopt if
// query.starting_after names no stored trade. A user filter reads the buyer and seller
// indexes, an order filter the buy and sell order indexes (UNION of two index range reads,
// each at most limit + 1 rows).
// REQUIRES: 1 <= query.limit <= limits::kMaxTradeListLimit.
std::optional<TradePage> list_trades(soci::session& session, const TradeQuery& query);

}  // namespace bourse::order::store
