#include "bourse/account/reservation.h"

#include <array>
#include <utility>

#include "bourse/account/reservation_release.h"

namespace bourse::account {
namespace {

constexpr std::array<std::pair<RejectReason, const char*>, 4> kRejectReasons{{
    {RejectReason::kInsufficientCash, "insufficient_cash"},
    {RejectReason::kInsufficientShares, "insufficient_shares"},
    {RejectReason::kUnknownAccount, "unknown_account"},
    {RejectReason::kOrderValueOutOfRange, "order_value_out_of_range"},
}};

}  // namespace

const char* to_string(Side side) noexcept { return side == Side::kBuy ? "BUY" : "SELL"; }

const char* to_string(OrderType type) noexcept {
  return type == OrderType::kLimit ? "LIMIT" : "MARKET";
}

const char* to_string(RejectReason reason) noexcept {
  for (const auto& [value, text] : kRejectReasons) {
    if (value == reason) return text;
  }
  return "unknown";
}

bool parse_reject_reason(std::string_view text, RejectReason& reason) noexcept {
  for (const auto& [value, name] : kRejectReasons) {
    if (text == name) {
      reason = value;
      return true;
    }
  }
  return false;
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
