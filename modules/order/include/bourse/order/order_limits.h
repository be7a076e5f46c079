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
// Committer lanes: independent committer threads, each owning the users that hash to it
// (so a user's orders, keys and lock set stay in one lane and lanes never wait for each
// other's rows). More lanes overlap group round trips; each holds a database session.
inline constexpr std::size_t kMaxCommitterLanes = 8;
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

// Rows one statement of the status follower names (the trades of a multi-row INSERT or an
// IN list, the orders of an IN list or of the CASE branches of the UPDATE that writes
// them). A consumer batch (at most consumer::kMaxBatchMessages events, each naming at most
// one trade and two orders) is written in slices of this many, so a batch of up to this
// many trades and orders costs five statements and a larger one a few more. Bounded
// because a CASE update compares each row with every branch: measured on MariaDB 10.11,
// about 18 us per row at 256 rows but 30 us at 1,024 (one UPDATE per row: about 150 us).
inline constexpr std::size_t kMaxStatusRowsPerStatement = 256;

}  // namespace bourse::order::limits
