// AccountService::reserve_for_order: hold an order's cash or shares, once per order id.
#include <soci/soci.h>

#include "asset.h"
#include "balance_store.h"
#include "bourse/account/account_service.h"
#include "bourse/account/reservation_amount.h"
#include "bourse/common/ids.h"
#include "reservation_store.h"

namespace bourse::account {
namespace {

Status validate(const ReservationRequest& request) {
  if (!request.order_id.valid())
    return Error::invalid("order id must be positive", "invalid_order_id");
  if (auto valid = validate_user_id(request.user_id); !valid) return valid;
  if (auto valid = validate_symbol(request.symbol); !valid) return valid;
  if (request.quantity.value() <= 0) {
    return Error::invalid("quantity must be positive", "invalid_quantity");
  }
  if (request.type == OrderType::kLimit && request.limit_price.units() <= 0) {
    return Error::invalid("limit price must be positive", "invalid_price");
  }
  if (request.type == OrderType::kMarket && request.side == Side::kBuy &&
      (request.reference_price.units() <= 0 || request.band_basis_points < 0 ||
       request.band_basis_points > kMaxPriceBandBasisPoints)) {
    return Error::invalid("a market buy needs a positive reference price and a valid band",
                          "invalid_price");
  }
  return Status::success();
}

ReservationOutcome outcome_of(const ReservationRow& row, bool replayed) {
  if (row.status == kStatusRejected) {
    RejectReason reason{};
    BOURSE_ASSERT(parse_reject_reason(*row.reject_reason, reason), "a known stored reject reason");
    return ReservationOutcome{Rejected{reason}, replayed};
  }
  if (row.side == "BUY")
    return ReservationOutcome{Reserved{Amount::from_units(row.reserved), {}}, replayed};
  return ReservationOutcome{Reserved{{}, Quantity::of(row.reserved)}, replayed};
}

bool same_order(const ReservationRow& stored, const ReservationRow& requested) {
  return stored.user_id == requested.user_id && stored.side == requested.side &&
         stored.order_type == requested.order_type && stored.symbol == requested.symbol &&
         stored.quantity == requested.quantity;
}

}  // namespace

Result<ReservationOutcome> AccountService::reserve_for_order(soci::session& session,
                                                             const ReservationRequest& request) {
  if (auto valid = validate(request); !valid) return valid.error();
  const bool buy = request.side == Side::kBuy;
  const std::string currency = kCurrency;

  ReservationRow row;
  row.order_id = request.order_id.value();
  row.user_id = request.user_id;
  row.side = to_string(request.side);
  row.order_type = to_string(request.type);
  row.symbol = request.symbol;
  row.asset = buy ? cash_asset(currency) : shares_asset(request.symbol);
  row.quantity = request.quantity.value();
  if (buy && request.type == OrderType::kLimit) row.limit_price_units = request.limit_price.units();

  auto reject = [&row](RejectReason reason) {
    row.status = kStatusRejected;
    row.reject_reason = to_string(reason);
    row.reserved = 0;
    row.remaining = 0;
  };

  // Lock order: the cash row (the account lock), then the position. An account that
  // does not exist has no rows to lock and cannot gain a reservation.
  std::optional<Balance> cash = lock_cash(session, row.user_id, currency);
  std::optional<Balance> position;
  if (!cash) {
    reject(RejectReason::kUnknownAccount);
  } else if (buy) {
    Result<Amount> needed = request.type == OrderType::kLimit
                                ? limit_buy_cash(request.limit_price, request.quantity)
                                : market_buy_cash_cap(request.reference_price, request.quantity,
                                                      request.band_basis_points);
    if (!needed) {
      BOURSE_ASSERT(needed.error().code == ErrorCode::kOutOfRange, "inputs validated above");
      reject(RejectReason::kOrderValueOutOfRange);
    } else if (needed->units() > cash->available()) {
      reject(RejectReason::kInsufficientCash);
    } else {
      row.status = kStatusReserved;
      row.reserved = row.remaining = needed->units();
    }
  } else {
    position = lock_position(session, row.user_id, row.symbol);
    if (!position || position->available() < row.quantity) {
      reject(RejectReason::kInsufficientShares);
    } else {
      row.status = kStatusReserved;
      row.reserved = row.remaining = row.quantity;
    }
  }

  // The reservation row is the exactly-once claim: a second call for the order id
  // finds the first decision and changes nothing.
  if (!insert_reservation(session, row)) {
    auto stored = lock_reservation(session, row.order_id);
    BOURSE_ASSERT(stored.has_value(), "a duplicate reservation is readable");
    if (!same_order(*stored, row)) {
      return Error{ErrorCode::kConflict,
                   "order id " + std::to_string(row.order_id) + " was reserved for another order",
                   "order_id_reused"};
    }
    return outcome_of(*stored, /*replayed=*/true);
  }
  if (row.status == kStatusReserved) {
    LedgerEntry entry{"reserve",   "order:" + std::to_string(row.order_id),
                      row.user_id, row.asset,
                      0,           row.reserved};
    const bool posted = buy ? post(session, BalanceTable::kCash, currency, entry, *cash)
                            : post(session, BalanceTable::kPosition, row.symbol, entry, *position);
    BOURSE_ASSERT(posted, "one reserve entry per order (its reservation row was new)");
  }
  return outcome_of(row, /*replayed=*/false);
}

}  // namespace bourse::account
