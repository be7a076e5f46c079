// SQL for the reservations table: one row per order id, the cash or shares it holds.
//
// Runs on the caller's session inside its transaction; SOCI exceptions propagate.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "bourse/db/sql_batch.h"

namespace bourse::account {

// Stored in reservations.status.
inline constexpr const char* kStatusReserved = "RESERVED";    // holds `remaining`
inline constexpr const char* kStatusCompleted = "COMPLETED";  // fully filled, holds 0
inline constexpr const char* kStatusReleased = "RELEASED";    // ended unfilled, holds 0

struct ReservationRow {
  std::int64_t order_id = 0;
  std::string user_id;
  std::string side;        // "BUY" / "SELL"
  std::string order_type;  // "LIMIT" / "MARKET"
  std::string symbol;
  std::string asset;  // cash_asset() for a buy, shares_asset() for a sell
  std::int64_t quantity = 0;
  std::int64_t filled_quantity = 0;
  std::optional<std::int64_t> limit_price_units;  // LIMIT BUY only
  std::int64_t reserved = 0;                      // units (buy) or shares (sell) held at the start
  std::int64_t remaining = 0;                     // still held
  std::string status;
};

// Asserts the row's own invariants (after a read, before a write).
void assert_reservation(const ReservationRow& row);

// Inserts new rows in ONE multi-row INSERT (nothing for an empty span). Order ids are
// fresh (the caller's just-created orders): a duplicate throws (1062), which is a bug.
// REQUIRES: rows.size() <= kMaxReservationBatch.
void insert_reservations(soci::session& session, std::span<const ReservationRow> rows);
// Its INSERT, built and not run (sql_batch.h; expects rows.size() rows).
// REQUIRES: 1..kMaxReservationBatch rows.
db::SqlStatement reservations_insert(std::span<const ReservationRow> rows);

// SELECT ... FOR UPDATE by order id. REQUIRES (lock order): no cash or position row is
// locked by this transaction yet (reservations come first).
std::optional<ReservationRow> lock_reservation(soci::session& session, std::int64_t order_id);

// Plain (non-locking) read; only for fields that never change (user, side, asset) or to
// learn whether the row exists without locking a gap.
std::optional<ReservationRow> read_reservation(soci::session& session, std::int64_t order_id);

// --- Batches: one statement for many orders (settlement) ------------------------------
// Rows of `order_ids` in ONE SELECT (IN list on the primary key, FORCE INDEX (PRIMARY),
// ascending order id), FOR UPDATE; missing ids are absent from the result. REQUIRES (lock
// order): no cash or position row is locked by this transaction yet; order_ids ascending
// and unique, 1..kMaxReservationBatch of them.
std::map<std::int64_t, ReservationRow> lock_reservations(soci::session& session,
                                                         std::span<const std::int64_t> order_ids);

// Writes filled_quantity, remaining and status of locked rows in ONE UPDATE (nothing for
// an empty span). REQUIRES: at most kMaxReservationBatch rows, unique order ids.
void update_reservations(soci::session& session, std::span<const ReservationRow> rows);
// Its UPDATE, built and not run (sql_batch.h). REQUIRES: 1..kMaxReservationBatch rows.
db::SqlStatement reservations_update(std::span<const ReservationRow> rows);

// Writes filled_quantity, remaining and status of a locked row.
void update_reservation(soci::session& session, const ReservationRow& row);

}  // namespace bourse::account
