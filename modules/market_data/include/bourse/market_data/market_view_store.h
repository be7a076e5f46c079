// The SQL of table market_view (migrations/0500_market_view.sql): the matching service
// upserts the views of the symbols a batch changed inside its batch transaction; the read
// API loads one symbol's row. One row per symbol; any instance can read it.
//
// Blocking. upsert_market_views runs on the caller's session inside the caller's
// transaction and lets SOCI exceptions through (the caller's transaction handling
// translates and retries them); load_market_view runs on a pooled session and returns
// errors as values.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/sql_batch.h"
#include "bourse/market_data/market_view.h"

namespace bourse::market_data {

// Inserts or replaces the row of each view (levels beyond kMaxStoredDepth are not
// stored). `source_partition` / `source_next_offset`: the matching partition and the
// committed offset that produced them (diagnostics).
// REQUIRES: symbols valid and distinct; levels satisfy market_view.h's invariants.
void upsert_market_views(soci::session& session, std::span<const MarketView> views,
                         std::int32_t source_partition, std::int64_t source_next_offset);
// The same upsert built and not run (db/sql_batch.h), ONE multi-row statement for every
// view, for a caller that sends it with its other last writes and its COMMIT.
// REQUIRES as above, and 1..kMaxMarketViewsPerUpsert views.
inline constexpr std::size_t kMaxMarketViewsPerUpsert = 256;
db::SqlStatement market_views_upsert(std::span<const MarketView> views,
                                     std::int32_t source_partition, std::int64_t source_next_offset);

// The stored view of `symbol`, std::nullopt if no batch changed it yet. kUnavailable if
// the database cannot be reached; kInternal if the stored row is malformed.
Result<std::optional<MarketView>> load_market_view(db::ConnectionPool& pool,
                                                   const std::string& symbol);

}  // namespace bourse::market_data
