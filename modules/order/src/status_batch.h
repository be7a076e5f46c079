// The order status follower's writes for a consumer batch (status_follower.h has what
// each event means): every trade and order the batch touches is read and written with a
// constant number of statements, and the outcome is the one of applying the events one at
// a time in offset order.
//
// apply_batch(), in the caller's transaction (the consumer's batch transaction):
//   1. trades: every trade the batch names is inserted unsettled unless present, as its
//      first event in offset order describes it (ONE multi-row insert, ascending trade id,
//      which locks the rows); the trades of TradeSettled are read back locked (ONE
//      statement) and each TradeSettled is checked against its stored row; settled_at is
//      set for every trade whose first settlement this is (ONE statement): a trade settled
//      before, or earlier in the batch under another event id, counts no more;
//   2. orders: every order the batch touches (accepted, released, both orders of a trade
//      settled for the first time) is read locked in ascending order id (ONE statement),
//      moved on in memory by the rules of status_rules.h event by event in offset order,
//      and every order that changed is written (ONE statement).
// So at most five statements for a batch of up to limits::kMaxStatusRowsPerStatement
// trades and as many orders; a larger batch runs each step in slices of that many (in
// ascending id, so the lock order holds). The two writes that need nothing back
// (settled_at, the orders' states) are not run but appended to `last_writes`, for the
// caller to send with its offset and COMMIT (consumer/event_handler.h): a batch costs
// three round trips of its own instead of five. Until they run, those rows are locked
// but unchanged.
//
// Locks: trades in ascending trade id, then orders in ascending order id: one global order
// for every batch of both follower groups (matching-events, account-events), so two
// batches never deadlock on each other's rows.
//
// Errors (values): kInternal "trade_mismatch" (a TradeSettled differs from the stored
// trade), kNotFound "order_not_found" (an order this module does not have), the rules'
// kInternal errors (a fill past the order quantity). SOCI exceptions propagate. After an
// error the caller rolls the transaction back: some statements may have run.
#pragma once

#include <soci/session.h>

#include <chrono>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bourse/account/events.h"
#include "bourse/common/error.h"
#include "bourse/db/sql_batch.h"
#include "bourse/order/trade.h"

namespace bourse::order::follower {

// What one decoded event does to the trades and orders.
struct Accepted {
  OrderId order_id;
};
struct Executed {
  Trade trade;
};
struct Settled {
  Trade trade;
  std::chrono::system_clock::time_point settled_at;
};
struct Released {
  OrderId order_id;
  account::events::ReleaseCause cause;
  std::string reason;
};
// One per event that changes a table, in offset order.
using Effect = std::variant<Accepted, Executed, Settled, Released>;

// REQUIRES: every Trade satisfies trade.h's invariants (asserted by the store).
Status apply_batch(soci::session& session, std::span<const Effect> effects,
                   std::vector<db::SqlStatement>& last_writes);

}  // namespace bourse::order::follower
