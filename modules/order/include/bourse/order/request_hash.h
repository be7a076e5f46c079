// The fingerprint of an order request that tells an idempotent replay (same key, same
// request) from a reused key (same key, another request).
//
// It hashes the validated, normalized request (defaults filled in, price in canonical
// form), not the raw bytes: {"quantity":10,"side":"BUY"} and the same fields reordered or
// re-spaced are the same request. Hex SHA-1 of a versioned canonical text (40 chars).
// Pure and thread-safe.
#pragma once

#include <string>

#include "bourse/order/order_request.h"

namespace bourse::order {

// The canonical text that is hashed: "v1|user|symbol|side|type|tif|quantity|price".
std::string canonical_request_text(const OrderRequest& request);
std::string request_hash(const OrderRequest& request);

}  // namespace bourse::order
