// The order module's named limits, with the reasons next to the numbers.
#pragma once

#include <chrono>
#include <cstddef>

namespace bourse::order::limits {

// Submissions waiting for the committer. Past this, submit answers kUnavailable (503 +
// Retry-After) instead of queueing without bound: at ~256 orders per commit and a few ms
// per commit this is well under a second of backlog.
inline constexpr std::size_t kDefaultMaxQueueDepth = 4'096;
inline constexpr std::size_t kMaxQueueDepth = 65'536;
// Orders per group-commit transaction: large enough to amortize the fsync of COMMIT,
// small enough to keep the transaction (and its locks) short.
inline constexpr std::size_t kDefaultMaxGroupSize = 256;
inline constexpr std::size_t kMaxGroupSize = 1'024;
// Attempts of one group's transaction after deadlocks or a duplicate idempotency key
// committed by another instance, before its callers get 503.
inline constexpr int kDefaultMaxGroupAttempts = 5;
// GET /v1/orders page size.
inline constexpr int kDefaultListLimit = 50;
inline constexpr int kMaxListLimit = 500;
// GET /v1/trades page size: the same bounds as the order list (a page is one indexed
// range read of at most kMaxTradeListLimit + 1 rows per filter branch).
inline constexpr int kDefaultTradeListLimit = 50;
inline constexpr int kMaxTradeListLimit = 500;

}  // namespace bourse::order::limits
