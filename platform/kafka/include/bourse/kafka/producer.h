// An idempotent Kafka producer whose delivery reports arrive as Result values.
//
// Guarantees (enforced, not overridable through KafkaConfig::properties):
//   enable.idempotence=true, acks=all, max.in.flight.requests.per.connection <= 5:
//     no duplicates and no reordering per partition from broker or network retries.
//   message.timeout.ms = limits::kKafkaDeliveryTimeout: every produce() that was
//     accepted gets exactly one delivery callback within that time (plus a poll tick).
//   partitioner=murmur2_random: a keyed message goes to murmur2(key) % partitions, the
//     same function as the Java client's default partitioner, so one key (one symbol)
//     always lands on one partition and its events stay in order. Every producer of a
//     topic, in every instance and language, must use this same partitioner, and the
//     topic's partition count must never change (that remaps keys). An empty key means
//     "no key": such messages are spread randomly.
//   message.max.bytes = limits::kMaxKafkaMessageBytes + kRecordOverheadBytes, and
//     produce() rejects key + value + headers larger than kMaxKafkaMessageBytes with
//     kTooLarge before anything is queued.
//
// Fatal errors: librdkafka may raise a fatal error (ERR__FATAL; for the idempotent
// producer e.g. an unrecoverable sequence gap). After it, fatal() is true, every
// pending message's callback receives kUnavailable with reason kProducerFatal, and every
// later produce() returns that error without queueing. The producer never recovers: the
// owner must destroy it and create a new one (a new producer id), then re-publish what
// was not confirmed. The outbox relay does exactly that, since unconfirmed rows stay
// unpublished in its table.
//
// Back-pressure: when librdkafka's local queue is full (queue.buffering.max.messages),
// produce() waits for it to drain for at most ProducerOptions::queue_full_wait, then
// returns kUnavailable with reason kQueueFull (at once when called from a delivery
// callback, since the poll thread is the one that drains the queue).
//
// Threads: a Producer owns one poll thread; every DeliveryCallback runs on it, one at a
// time, in the order librdkafka reports deliveries (per partition: produce order).
// All public member functions are thread-safe. A callback must be short, must not
// throw (an escaping exception aborts the process: it would otherwise cross librdkafka's
// C frames) and must not call produce_sync() or flush() (it would wait for itself);
// calling produce() from a callback is allowed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/limits.h"
#include "bourse/kafka/config.h"
#include "bourse/kafka/message.h"

namespace bourse::kafka {

struct ProducerOptions {
  // How long librdkafka waits to batch messages before sending (linger.ms). Higher
  // values trade latency for throughput. [0, 1000].
  std::chrono::milliseconds linger{5};
  // Requests in flight per broker connection; idempotence requires 1..5.
  int max_in_flight = 5;
  // Messages waiting in the local queue (queue.buffering.max.messages). [1, 1'000'000].
  int max_queued_messages = 100'000;
  // How long produce() waits for room when the local queue is full. [0, 60 s].
  std::chrono::milliseconds queue_full_wait{1'000};
  // How long the destructor waits for outstanding deliveries before purging them
  // (their callbacks then get kUnavailable). [0, kKafkaDeliveryTimeout].
  std::chrono::milliseconds close_timeout{5'000};
};

struct DeliveryReport {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

struct OutgoingMessage {
  std::string topic;
  std::string key;  // empty: no key
  std::string value;
  std::vector<Header> headers;  // e.g. {kHeaderEventType, "OrderCreated"}, {kHeaderEventId, id}
  // An explicit partition, bypassing the partitioner. std::nullopt: partition by key.
  std::optional<std::int32_t> partition;
};

// Error values in a delivery report: kTimeout (not acknowledged within
// message.timeout.ms; it may still have been written), kUnavailable (broker trouble,
// kProducerFatal, or kDeliveryUnknown at shutdown), kNotFound (the topic or partition
// does not exist), kTooLarge (the broker refused the size).
using DeliveryCallback = std::function<void(Result<DeliveryReport>)>;

class Producer {
 public:
  // Creates the producer and starts its poll thread. Does not contact the broker (the
  // first produce does), so it succeeds while Kafka is down. Errors: kInvalidArgument
  // for a bad config or options.
  static Result<std::unique_ptr<Producer>> create(const KafkaConfig& config,
                                                  const ProducerOptions& options = {});

  // Flushes for at most options.close_timeout, purges what is left (those callbacks get
  // kUnavailable / kDeliveryUnknown), runs every remaining callback, then stops the
  // poll thread. REQUIRES: not called from a delivery callback.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a message. On success `on_delivery` is called exactly once, later, on the
  // poll thread. On error it is never called. Errors: kInvalidArgument (empty topic,
  // negative partition), kTooLarge (kMessageTooLarge), kUnavailable (kQueueFull,
  // kProducerFatal, kClosed).
  Status produce(OutgoingMessage message, DeliveryCallback on_delivery);
  Status produce(std::string_view topic, std::string_view key, std::string_view value,
                 DeliveryCallback on_delivery);

  // Queues a message and waits for its delivery report (at most kKafkaDeliveryTimeout
  // plus a margin). REQUIRES: not called from a delivery callback.
  Result<DeliveryReport> produce_sync(OutgoingMessage message);

  // Asks for what is queued to be sent now instead of after linger.ms, without waiting
  // for it: for a caller that has queued a whole batch and will wait for its reports
  // anyway (the outbox relay), lingering only adds latency, since nothing more would
  // join the batch. The poll thread runs librdkafka's flush (which ignores linger.ms)
  // for at most one poll interval, serving delivery reports as poll() does. Callable
  // from a delivery callback.
  void send_now();

  // Waits until every accepted message's callback has run. kTimeout if some are still
  // outstanding after `timeout`; kUnavailable/kProducerFatal after a fatal error.
  // REQUIRES: not called from a delivery callback.
  Status flush(std::chrono::milliseconds timeout);

  // True once a fatal error occurred; see the header comment.
  bool fatal() const noexcept;

  // Messages accepted whose callback has not run yet.
  std::int64_t outstanding() const noexcept;

  // The effective value of a librdkafka property of the live handle, e.g.
  // config_value("enable.idempotence") == "true". kNotFound for an unknown property.
  Result<std::string> config_value(const std::string& name) const;

  // Test hook: raises a librdkafka fatal error as if the broker had caused one.
  void inject_fatal_error_for_testing(const std::string& reason);

 private:
  struct Impl;
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::kafka
