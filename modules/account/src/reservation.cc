#include "bourse/account/reservation.h"

#include "bourse/account/reservation_release.h"

namespace bourse::account {

const char* to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kInsufficientFunds:
      return "insufficient_funds";
    case RejectReason::kInsufficientShares:
      return "insufficient_shares";
    case RejectReason::kUnknownAccount:
      return "unknown_account";
    case RejectReason::kOrderValueOutOfRange:
      return "order_value_out_of_range";
  }
  return "unknown";
}

std::string Rejected::detail() const {
  switch (reason) {
    case RejectReason::kInsufficientFunds:
      return "insufficient funds: " + available + " available, " + needed + " needed";
    case RejectReason::kInsufficientShares:
      return "insufficient shares: " + available + " available, " + needed + " needed";
    case RejectReason::kUnknownAccount:
      return "no account for this user: open one with POST /v1/accounts";
    case RejectReason::kOrderValueOutOfRange:
      return "price x quantity is past the largest amount an order may hold";
  }
  return "the order cannot be reserved";
}

const char* to_string(ReleaseStatus status) noexcept {
  switch (status) {
    case ReleaseStatus::kReleased:
      return "released";
    case ReleaseStatus::kAlreadyReleased:
      return "already_released";
    case ReleaseStatus::kNothingHeld:
      return "nothing_held";
    case ReleaseStatus::kUnknownOrder:
      return "unknown_order";
  }
  return "unknown";
}

}  // namespace bourse::account
