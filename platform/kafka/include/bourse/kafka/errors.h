// The stable `reason` strings this adapter puts in bourse::Error, so callers can branch
// on a specific Kafka condition without parsing messages. librdkafka error codes never
// leave platform/kafka: every failure is a bourse::Error whose code says what to do
// (kUnavailable / kTimeout: broker trouble, retry later; kInvalidArgument: fix the
// config or the call; kTooLarge: the message can never be sent).
#pragma once

namespace bourse::kafka::reason {

// A KafkaConfig::properties entry tries to override a property the adapter enforces.
inline constexpr const char* kPropertyConflict = "kafka_property_conflict";
// librdkafka rejected a property name or value.
inline constexpr const char* kInvalidProperty = "kafka_invalid_property";
// The producer hit a fatal error (librdkafka ERR__FATAL, e.g. an idempotence sequence
// desynchronisation). Every pending and later produce fails with this reason; the owner
// must destroy the Producer and create a new one.
inline constexpr const char* kProducerFatal = "kafka_producer_fatal";
// The producer's local queue stayed full for longer than ProducerOptions::queue_full_wait.
inline constexpr const char* kQueueFull = "kafka_queue_full";
// key + value + headers exceed limits::kMaxKafkaMessageBytes.
inline constexpr const char* kMessageTooLarge = "kafka_message_too_large";
// The message may or may not have been written (purged while in flight at shutdown).
inline constexpr const char* kDeliveryUnknown = "kafka_delivery_unknown";
// The AssignmentListener failed to say where to start; the consumer must be recreated.
inline constexpr const char* kAssignmentFailed = "kafka_assignment_failed";
// A topic exists with fewer partitions than its TopicSpec asks for.
inline constexpr const char* kPartitionCountMismatch = "kafka_partition_count_mismatch";
// The handle is closed (or closing) and accepts no more work.
inline constexpr const char* kClosed = "kafka_closed";
// Any other broker or client error (the message carries librdkafka's text).
inline constexpr const char* kBrokerError = "kafka_broker_error";

}  // namespace bourse::kafka::reason
