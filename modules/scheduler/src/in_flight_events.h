// The account events the order status follower has not applied yet, read inside the
// reconciliation snapshot (see reconciler.h, "In flight"): what the order module's
// tables are expected to lag the account module's by.
//
// Blocking; runs on the caller's session, inside its transaction.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "bourse/common/error.h"

namespace bourse::scheduler {

struct InFlightEvents {
  std::int64_t count = 0;
  // order id -> quantity settled for it by TradeSettled events not applied yet.
  std::map<std::int64_t, std::int64_t> pending_fills;
  // Trades whose TradeSettled is not applied yet.
  std::set<std::int64_t> pending_settled_trades;
  // Orders whose ReservationReleased is not applied yet.
  std::set<std::int64_t> pending_releases;
};

// Reads account_outbox rows without a processed_events row of `consumer_group` and
// parses them with the account event contracts. Errors: kUnavailable past
// kMaxInFlightEvents; kInternal for a row that is not a valid account event (the outbox
// writer only writes valid ones). SOCI exceptions propagate.
Result<InFlightEvents> load_in_flight_events(soci::session& session,
                                             const std::string& consumer_group);

}  // namespace bourse::scheduler
