// Keeps the order status in step with the account module's events (account-events).
//
// Pure SQL on the caller's session, inside the caller's transaction: the exactly-once
// consumer stores its offset and the event id in the same transaction, so this function
// only has to be idempotent itself. It locks the order row (SELECT ... FOR UPDATE).
//   FundsReserved: records reserved_cash / reserved_quantity / cash_cap; the status stays
//     PENDING (matching accepts the order: OrderAccepted -> OPEN).
//   OrderRejected: PENDING -> REJECTED with reject_reason = data.reason.
//   Other event types: ignored (success).
// Applying the same event twice changes nothing the second time.
// Errors: kNotFound ("order_not_found") for an unknown order; kMalformed
// ("malformed_event") for missing/invalid fields or fields that contradict the order;
// kConflict ("order_state_conflict") for an OrderRejected of an order that is already past
// PENDING. The consumer dead-letters these. SOCI exceptions propagate to the caller's
// transaction handling (deadlocks are retried there).
#pragma once

#include <soci/session.h>

#include <boost/json/object.hpp>
#include <string_view>

#include "bourse/common/error.h"

namespace bourse::order {

Status apply_account_event(soci::session& session, std::string_view event_type,
                           const boost::json::object& data);

}  // namespace bourse::order
