// The matching service's input: a Kafka message value of order-events (an envelope of
// order::OrderCreated or order::CancelRequested) turned into a ShardInput.
//
// A pure function of the bytes: a message that does not decode now never decodes, live or
// in replay. So the service dead-letters it once (live) and skips it in replay without a
// database lookup, and the shard's state is the same either way.
// Thread-safety: pure.
#pragma once

#include <string_view>

#include "bourse/common/error.h"
#include "bourse/matching/shard_state.h"

namespace bourse::matching::service {

// kMalformed: not an envelope, another event type, an unknown version or invalid fields.
Result<ShardInput> decode_input(std::string_view message_value);

}  // namespace bourse::matching::service
