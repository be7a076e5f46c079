// AccountService::release_reservation: give back what an order still holds.
#include <soci/soci.h>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
#include "bourse/common/limits.h"
#include "reservation_store.h"

namespace bourse::account {

Result<ReleaseOutcome> AccountService::release_reservation(soci::session& session, OrderId order_id,
                                                           std::string_view reference) {
  if (!order_id.valid()) return Error::invalid("order id must be positive", "invalid_order_id");
  if (reference.empty() || reference.size() > limits::kMaxIdempotencyKeyLength) {
    return Error::invalid("release reference must have 1 to " +
                              std::to_string(limits::kMaxIdempotencyKeyLength) + " characters",
                          "invalid_reference");
  }
  // A plain read first: a locking read of a missing row would lock the gap (under
  // REPEATABLE READ), and for an id past the last one that gap is where every new
  // reservation is inserted. Then the lock order: the reservation, the account's cash row,
  // the position (modules/account/README.md, "Lock order").
  if (!read_reservation(session, order_id.value())) {
    return ReleaseOutcome{ReleaseStatus::kUnknownOrder, {}, {}};
  }
  auto row = lock_reservation(session, order_id.value());
  BOURSE_ASSERT(row.has_value(), "reservations are never deleted");
  if (row->status == kStatusReleased)
    return ReleaseOutcome{ReleaseStatus::kAlreadyReleased, {}, {}};
  if (row->status != kStatusReserved) return ReleaseOutcome{ReleaseStatus::kNothingHeld, {}, {}};
  const bool buy = row->side == "BUY";
  const std::string currency = kCurrency;
  auto cash = lock_cash(session, row->user_id, currency);
  BOURSE_ASSERT(cash.has_value(), "an account with a reservation exists");
  std::optional<Balance> position;
  if (!buy) {
    position = lock_position(session, row->user_id, row->symbol);
    BOURSE_ASSERT(position.has_value(), "a sell reservation's position exists");
  }

  ReleaseOutcome outcome{ReleaseStatus::kReleased, {}, {}};
  if (row->remaining > 0) {
    LedgerEntry entry{"release", std::string(reference), row->user_id, row->asset,
                      0,         -row->remaining};
    const bool posted = buy ? post(session, BalanceTable::kCash, currency, entry, *cash)
                            : post(session, BalanceTable::kPosition, row->symbol, entry, *position);
    if (!posted) {
      return Error{ErrorCode::kConflict, "release reference already used for another order",
                   "reference_reused"};
    }
    if (buy) {
      outcome.cash = Amount::from_units(row->remaining);
    } else {
      outcome.shares = Quantity::of(row->remaining);
    }
  }
  row->remaining = 0;
  row->status = kStatusReleased;
  update_reservation(session, *row);
  return outcome;
}

}  // namespace bourse::account
