// Settings of an ExactlyOnceConsumer and the limits they must stay within.
#pragma once

#include <chrono>
#include <functional>
#include <cstddef>
#include <string>
#include <vector>

#include "bourse/common/error.h"

namespace bourse::consumer {

// Messages per batch transaction. One transaction holds a lock on every row its batch
// touches and an undo record per write: beyond a few thousand events the transaction
// (and the time another member waits for it after a rebalance) grows without benefit.
inline constexpr std::size_t kMaxBatchMessages = 5'000;
// How long a batch may wait for more messages. Latency of the first event of a batch
// grows by this much; more than a second buys nothing.
inline constexpr std::chrono::milliseconds kMaxBatchWait{1'000};
// Messages a consumer holds back for later batches, as a multiple of max_batch: what did
// not fit a full batch, and the messages of a partition that must wait for a batch of its
// own (retried one by one, or troubled) polled while another batch is gathered. Bounds
// the consumer's own buffer on top of librdkafka's queue.
inline constexpr std::size_t kMaxHeldBatches = 4;
// Attempts of one message before it is dead-lettered. Each failing attempt backs off,
// so a larger value only delays the partition behind a poison message.
inline constexpr int kMaxAttempts = 100;
// Longest back-off between two attempts. The consumer thread sleeps through it without
// polling Kafka, so it must stay well below max_poll_interval (checked: at most half).
inline constexpr std::chrono::milliseconds kMaxBackoff{30'000};
// Bounds of stall_timeout. Below a second the once-a-second progress check cannot tell;
// above an hour the signal is too late to be useful.
inline constexpr std::chrono::milliseconds kMinStallTimeout{1'000};
inline constexpr std::chrono::milliseconds kMaxStallTimeout{3'600'000};
// Longest consumer group name: the consumer_group columns.
inline constexpr std::size_t kMaxGroupIdLength = 128;

struct ConsumerOptions {
  // Called on the consumer's thread after each batch transaction that applied at least one
  // event committed (e.g. outbox::Relay::wake() for the outbox the handler writes, so its
  // rows are published at once). Must be cheap and never block. Optional.
  std::function<void()> after_commit;
  // The Kafka consumer group, also the key of this consumer's rows in consumer_offsets,
  // processed_events and dead_letters. REQUIRED: [A-Za-z0-9._-]{1,kMaxGroupIdLength}.
  // Every instance of one module uses the same group; two modules never share one.
  std::string group_id;
  // Topics to consume. REQUIRED non-empty; they must exist (kafka::Admin::create_topics).
  std::vector<std::string> topics;
  // Messages (of one or more partitions) applied in one transaction. [1, kMaxBatchMessages].
  std::size_t max_batch = 200;
  // After the first message of a batch, how long to wait for more. [0, kMaxBatchWait].
  std::chrono::milliseconds batch_wait{5};
  // Failing attempts of one message before it is dead-lettered. [1, kMaxAttempts].
  int max_attempts = 5;
  // Back-off after a failed batch: initial_backoff, doubled per consecutive failure of the
  // partition, capped at max_backoff. 0 < initial_backoff <= max_backoff <= kMaxBackoff.
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2'000};
  // Kafka group membership (kafka::ConsumerOptions): failure detection of a crashed
  // member, heartbeat period, and the longest time between two polls. One batch
  // (batch_wait + its transaction) and one back-off must fit well within
  // max_poll_interval. Ranges: see bourse/kafka/consumer.h.
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds heartbeat_interval{3'000};
  std::chrono::milliseconds max_poll_interval{60'000};
  // Minimum interval between two monitoring-hint commits of the DB-committed offsets to
  // Kafka (never read back by Bourse). 0 disables them. [0, 60 s].
  std::chrono::milliseconds kafka_commit_hint_interval{1'000};
  // An assigned partition with a lag (high watermark above the stored next offset) whose
  // stored offset has not moved for this long is reported stalled (log line, metrics).
  // Must exceed the longest expected pause of a healthy partition (max_backoff, a slow
  // batch). [kMinStallTimeout, kMaxStallTimeout].
  std::chrono::milliseconds stall_timeout{30'000};
};

// kInvalidArgument naming the first field out of range (the Kafka membership timeouts are
// checked by kafka::Consumer::create).
Status validate(const ConsumerOptions& options);

}  // namespace bourse::consumer
