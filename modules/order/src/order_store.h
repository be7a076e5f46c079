// SQL of the `orders` and `order_idempotency_keys` tables (migrations/0200, 0202).
//
// Every function runs on the caller's session, usually inside the caller's transaction;
// SOCI exceptions propagate to the caller's transaction handling. Values read back are
// checked with BOURSE_ASSERT (a row that breaks the schema's invariants is a bug).
#pragma once

#include <soci/session.h>

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "bourse/order/order.h"
#include "bourse/order/order_request.h"
#include "bourse/order/order_service.h"

namespace bourse::order::store {

// Inserts a PENDING order; returns its id.
OrderId insert_order(soci::session& session, const OrderRequest& request);

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

std::optional<StoredAnswer> find_idempotency_key(soci::session& session, const std::string& user_id,
                                                 const std::string& key);
// Throws on a duplicate (user_id, key): soci error 1062, db_duplicate_key.
void insert_idempotency_key(soci::session& session, const std::string& user_id,
                            const std::string& key, const StoredAnswer& answer);

// Marks the cancel request; the row must be locked by the caller.
void mark_cancel_requested(soci::session& session, OrderId order_id);

// The OrderCreated event data (docs/EVENTS.md).
boost::json::object order_created_data(OrderId order_id, const OrderRequest& request);

}  // namespace bourse::order::store
