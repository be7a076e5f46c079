// Releasing what an order still holds when it ends unfilled (cancel, IOC/FOK or
// market remainder, saga compensation): published as ReservationReleased.
#pragma once

#include "bourse/common/money.h"

namespace bourse::account {

enum class ReleaseStatus {
  kReleased,         // the remaining cash or shares went back to available
  kAlreadyReleased,  // a replay: released before, nothing changed
  kNothingHeld,      // the order was rejected or fully filled: nothing to release
  kUnknownOrder,     // no reservation was ever recorded for this order id
};

const char* to_string(ReleaseStatus status) noexcept;

struct ReleaseOutcome {
  ReleaseStatus status = ReleaseStatus::kUnknownOrder;
  // What went back to available (kReleased only): cash for a buy, shares for a sell.
  Amount cash;
  Quantity shares;
};

}  // namespace bourse::account
