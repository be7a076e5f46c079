// SQL of the `orders` and `order_idempotency_keys` tables (migrations/0200, 0202).
//
// Every function runs on the caller's session, usually inside the caller's transaction;
// SOCI exceptions propagate to the caller's transaction handling. Values read back are
// checked with BOURSE_ASSERT (a row that breaks the schema's invariants is a bug).
#pragma once

#include <soci/session.h>

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/sql_batch.h"
#include "bourse/order/order.h"
#include "bourse/order/order_limits.h"
#include "bourse/order/order_request.h"
#include "bourse/order/order_service.h"

namespace bourse::order::store {

// A new order: its validated terms and what the account module reserved for it.
struct NewOrder {
  const OrderRequest* request = nullptr;
  std::optional<Amount> reserved_cash;        // BUY
  std::optional<Quantity> reserved_quantity;  // SELL
  std::optional<Amount> cash_cap;             // MARKET BUY
};

// The INSERT of PENDING orders with the ids the committer gave them (order_id_blocks.h),
// ONE multi-row statement built and not run (db/sql_batch.h; expects orders.size() rows),
// for the group's last writes.
// REQUIRES: 1 <= orders.size() <= limits::kMaxGroupSize; ids.size() == orders.size(), ids
// valid; every request validated and reserved (reserved_cash iff BUY, reserved_quantity iff
// SELL).
db::SqlStatement orders_insert(std::span<const NewOrder> orders, std::span<const OrderId> ids);

// The order, or nullopt. `for_update` locks the row until the transaction ends.
std::optional<Order> find_order(soci::session& session, OrderId order_id, bool for_update);

// REQUIRES: 1 <= query.limit <= limits::kMaxListLimit.
OrderPage list_orders(soci::session& session, const ListQuery& query);

// The answer stored with an idempotency key: 202 with the order's id and the exact body,
// or 422 with no order and body {"reason","detail"} of the problem.
struct StoredAnswer {
  std::string request_hash;
  std::optional<OrderId> order_id;  // set iff http_status == 202
  int http_status = 0;
  std::string body;
};

// (user_id, idem_key) of order_idempotency_keys.
using IdempotencyKey = std::pair<std::string, std::string>;

// The answers stored with `keys`, in ONE query (nothing for an empty span); keys without
// a row are absent from the map.
// REQUIRES: keys.size() <= limits::kMaxGroupSize.
std::map<IdempotencyKey, StoredAnswer> find_idempotency_keys(soci::session& session,
                                                             std::span<const IdempotencyKey> keys);

struct IdempotencyKeyRow {
  IdempotencyKey key;
  StoredAnswer answer;
};

// Inserts `rows` in ONE multi-row INSERT (nothing for an empty span). Throws on a
// duplicate (user_id, key), which writes none of them: soci error 1062, db_duplicate_key.
// REQUIRES: rows.size() <= limits::kMaxGroupSize.
void insert_idempotency_keys(soci::session& session, std::span<const IdempotencyKeyRow> rows);
// Its INSERT, built and not run (db/sql_batch.h; expects rows.size() rows), for the
// group's last writes. REQUIRES: 1..limits::kMaxGroupSize rows.
db::SqlStatement idempotency_keys_insert(std::span<const IdempotencyKeyRow> rows);

// Marks the cancel request; the row must be locked by the caller.
void mark_cancel_requested(soci::session& session, OrderId order_id);

// The orders with `order_ids` that exist, locked until the transaction ends, in ONE
// statement (ascending order id); ids without a row are absent from the map.
// REQUIRES: 1 <= order_ids.size() <= limits::kMaxStatusRowsPerStatement, strictly
// ascending.
std::map<OrderId, Order> lock_orders(soci::session& session, std::span<const OrderId> order_ids);

// The status follower's result for one order: status, fill counters and, for CANCELLED /
// REJECTED, the reason (a reason that is not set leaves its column as it is).
// REQUIRES: 0 <= filled_quantity <= the order's quantity; filled_notional >= 0; a
// cancel_reason only with CANCELLED, a reject_reason only with REJECTED (asserted).
struct OrderStateUpdate {
  OrderStatus status = OrderStatus::kPending;
  Quantity filled_quantity;
  Amount filled_notional;
  std::optional<std::string> cancel_reason;
  std::optional<std::string> reject_reason;
};
struct OrderStateChange {
  OrderId order_id;
  OrderStateUpdate update;
};

// The ONE statement storing each change, built to be sent later (e.g. with the COMMIT:
// db/sql_batch.h). REQUIRES: 1 <= changes.size() <= limits::kMaxStatusRowsPerStatement;
// order ids strictly ascending; every row locked by the caller (lock_orders) and changed
// by its update (asserted when it runs: its expected_rows is every row named).
db::SqlStatement order_states_update(std::span<const OrderStateChange> changes);

}  // namespace bourse::order::store
