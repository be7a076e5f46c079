// A group-less reader: reads chosen partitions of one topic from chosen offsets, with no
// consumer group and no commits. For consumers that every instance runs on the whole
// topic (e.g. the live streams of src/streams), where a group would split the partitions
// between instances and committed offsets would mean nothing.
//
// Enforced properties (not overridable through KafkaConfig::properties):
//   group.id=<client_id>: librdkafka's KafkaConsumer wants one, but the reader never
//     subscribes, so it never joins a group; enable.auto.commit=false and
//     enable.auto.offset.store=false: it never commits either.
//   isolation.level=read_committed: never see aborted transactional writes.
//   auto.offset.reset=earliest: an assigned offset that retention deleted restarts at the
//     earliest message kept (the caller sees the gap in the offsets it gets).
//   enable.partition.eof=false, allow.auto.create.topics=false.
//
// Threads: NOT thread-safe. One thread owns a reader and makes every call.
// Errors are values: poll() returns kUnavailable/kTimeout on transient broker trouble
// (keep polling: librdkafka reconnects by itself).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/kafka/config.h"
#include "bourse/kafka/message.h"

namespace bourse::kafka {

class PartitionReader {
 public:
  // Creates the client; does not contact the broker. Errors: kInvalidArgument (config).
  static Result<std::unique_ptr<PartitionReader>> create(const KafkaConfig& config);
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // The topic's partition count (a metadata round trip, up to `timeout`). kNotFound when
  // the topic does not exist; kTimeout/kUnavailable on broker trouble.
  Result<int> partition_count(const std::string& topic, std::chrono::milliseconds timeout);

  // For each partition 0..partitions-1 of `topic`: the offset of the first record whose
  // timestamp is >= timestamp_ms, or the partition's end offset (high watermark) when
  // there is none (Kafka's ListOffsets by time). Blocks up to `timeout`.
  Result<std::vector<std::int64_t>> offsets_for_time(const std::string& topic, int partitions,
                                                     std::int64_t timestamp_ms,
                                                     std::chrono::milliseconds timeout);

  // Reads exactly these partitions from these offsets from now on (replacing any earlier
  // assignment). REQUIRES: every next_offset is set and >= 0.
  Status assign(const std::vector<TopicPartitionOffset>& starts);

  // The next message of the assigned partitions, or std::nullopt if none arrived within
  // `timeout`. Messages of one partition come in offset order.
  Result<std::optional<Message>> poll(std::chrono::milliseconds timeout);

  // Releases the client. Idempotent; later calls return kUnavailable (reason kClosed).
  void close();

 private:
  struct Impl;
  explicit PartitionReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::kafka
