#include "reservation_decision.h"

#include <algorithm>

#include "bourse/account/reservation_amount.h"
#include "bourse/common/assert.h"

namespace bourse::account {
namespace {

template <typename T>
void sort_unique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

Rejected shortfall(RejectReason reason, std::string available, std::string needed) {
  return Rejected{reason, std::move(available), std::move(needed)};
}

ReservationDecision decide_buy(const ReservationRequest& request, Balance& cash) {
  Result<Amount> needed = request.type == OrderType::kLimit
                              ? limit_buy_cash(request.limit_price, request.quantity)
                              : market_buy_cash_cap(request.reference_price, request.quantity,
                                                    request.band_basis_points);
  if (!needed) {
    BOURSE_ASSERT(needed.error().code == ErrorCode::kOutOfRange, "requests are validated");
    return Rejected{RejectReason::kOrderValueOutOfRange, {}, {}};
  }
  if (needed->units() > cash.available()) {
    return shortfall(RejectReason::kInsufficientFunds,
                     Amount::from_units(cash.available()).to_string(), needed->to_string());
  }
  cash.reserved += needed->units();
  return Reserved{OrderId(), *needed, Quantity()};
}

ReservationDecision decide_sell(const ReservationRequest& request, Balance* position) {
  const std::int64_t available = position == nullptr ? 0 : position->available();
  if (request.quantity.value() > available) {
    return shortfall(RejectReason::kInsufficientShares, std::to_string(available),
                     std::to_string(request.quantity.value()));
  }
  BOURSE_ASSERT(position != nullptr, "a positive quantity was covered by a position");
  position->reserved += request.quantity.value();
  return Reserved{OrderId(), Amount(), request.quantity};
}

}  // namespace

Status validate_reservation_request(const ReservationRequest& request) {
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

std::vector<std::string> users_to_lock(std::span<const ReservationRequest> requests) {
  std::vector<std::string> users;
  users.reserve(requests.size());
  for (const ReservationRequest& request : requests) users.push_back(request.user_id);
  sort_unique(users);
  return users;
}

std::vector<PositionKey> positions_to_lock(std::span<const ReservationRequest> requests) {
  std::vector<PositionKey> keys;
  for (const ReservationRequest& request : requests) {
    if (request.side == Side::kSell) {
      keys.emplace_back(request.user_id, request.symbol);
    }
  }
  sort_unique(keys);
  return keys;
}

std::vector<ReservationDecision> decide_reservations(std::span<const ReservationRequest> requests,
                                                     GroupBalances& balances) {
  std::vector<ReservationDecision> decisions;
  decisions.reserve(requests.size());
  for (const ReservationRequest& request : requests) {
    BOURSE_ASSERT(validate_reservation_request(request).ok(), "requests are validated");
    auto cash = balances.cash.find(request.user_id);
    if (cash == balances.cash.end()) {
      decisions.push_back(Rejected{RejectReason::kUnknownAccount, {}, {}});
    } else if (request.side == Side::kBuy) {
      decisions.push_back(decide_buy(request, cash->second));
    } else {
      auto position = balances.positions.find(PositionKey(request.user_id, request.symbol));
      decisions.push_back(
          decide_sell(request, position == balances.positions.end() ? nullptr : &position->second));
    }
  }
  return decisions;
}

}  // namespace bourse::account
