// Produces one batch of outbox rows to Kafka and waits for every delivery report.
//
// The result is the acknowledged PREFIX of the batch: rows [0, acknowledged) were all
// written by the broker; the first failure (or the first row produce() refused) ends
// it. Rows after a failure are never reported as acknowledged even if the broker took
// them, because recording them as published while an earlier row of the same key is not
// would let the retry land behind them and break per-key order. They are republished
// with the failed row (a duplicate that consumers drop by event_id).
//
// Thread-safety: one call at a time per Producer is not required (the producer is
// thread-safe), but the relay calls it from its working thread only. Blocking: at most
// `delivery_timeout` (real time: it waits for the network, not for a fake clock).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/kafka/producer.h"
#include "outbox_store.h"

namespace bourse::outbox {

struct BatchOutcome {
  std::size_t acknowledged = 0;      // length of the acknowledged prefix
  std::optional<Error> first_error;  // why the prefix ended early (absent: all acked)
  bool timed_out = false;            // some reports did not arrive within the timeout
};

// REQUIRES: rows non-empty.
BatchOutcome publish_batch(kafka::Producer& producer, const std::vector<OutboxRow>& rows,
                           std::chrono::milliseconds delivery_timeout);

}  // namespace bourse::outbox
