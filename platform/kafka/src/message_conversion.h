// Plain data out of a librdkafka message, shared by the group consumer and the partition
// reader. Not part of the public API.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include "bourse/kafka/message.h"

namespace bourse::kafka::detail {

// Copies topic, position, key, value, headers and timestamp (-1 when the broker has
// none). REQUIRES: a consumed message (partition and offset >= 0; asserted).
Message to_message(const RdKafka::Message& raw);

}  // namespace bourse::kafka::detail
