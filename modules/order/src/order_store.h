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
#include "bourse/order/order.h"
#include "bourse/order/order_limits.h"
#include "bourse/order/order_request.h"
#include "bourse/order/order_service.h"

namespace bourse::order::store {

// Inserts PENDING orders in ONE multi-row INSERT (two round trips whatever the count);
// returns their ids in `requests` order (InnoDB numbers the rows of one simple insert
// consecutively, checked with ROW_COUNT() and the server's auto-increment settings).
// Errors: kInternal if the server cannot number a multi-row insert consecutively
// (innodb_autoinc_lock_mode 2); inserting one order at a time works there.
// REQUIRES: 1 <= requests.size() <= limits::kMaxGroupSize; every request validated.
Result<std::vector<OrderId>> insert_orders(soci::session& session,
                                           std::span<const OrderRequest* const> requests);

// The order, or nullopt. `for_update` locks the row until the transaction ends.
std::optional<Order> find_order(soci::session& session, OrderId order_id, bool for_update);

// REQUIRES: 1 <= query.limit <= limits::kMaxListLimit.
OrderPage list_orders(soci::session& session, const ListQuery& query);

// The answer stored with an idempotency key.
struct StoredAnswer {
  std::string request_hash;
  OrderId order_id;
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

// Marks the cancel request; the row must be locked by the caller.
void mark_cancel_requested(soci::session& session, OrderId order_id);

// The OrderCreated event data (docs/EVENTS.md).
boost::json::object order_created_data(OrderId order_id, const OrderRequest& request);

}  // namespace bourse::order::store
