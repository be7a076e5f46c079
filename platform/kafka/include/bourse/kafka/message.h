// The value types that cross the Kafka adapters: partitions, offsets, headers and a
// consumed message. Plain data, no librdkafka types; copyable, not synchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bourse::kafka {

// Room on top of limits::kMaxKafkaMessageBytes (which bounds key + value + headers) for
// the record and batch framing, so a message at the limit is never refused by
// librdkafka (producer message.max.bytes) or the broker (topic max.message.bytes, set by
// Admin::create_topics).
inline constexpr std::size_t kRecordOverheadBytes = 16 * 1024;

// Header names every module uses for its events (values are UTF-8 text).
inline constexpr std::string_view kHeaderEventType = "event_type";  // e.g. "OrderCreated"
inline constexpr std::string_view kHeaderEventId = "event_id";      // the dedup key

struct Header {
  std::string key;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// Where to start consuming one partition. `next_offset` follows Kafka's convention: the
// offset of the NEXT message to process (last processed offset + 1), which is what the
// application stores in its database together with the message's effects.
// std::nullopt: nothing stored yet, start from the beginning of the partition.
struct TopicPartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> next_offset;
  friend bool operator==(const TopicPartitionOffset&, const TopicPartitionOffset&) = default;
};

// One consumed record. An empty key means the record had no key (or an empty one).
struct Message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<Header> headers;     // in record order; a key may repeat
  std::int64_t timestamp_ms = -1;  // record timestamp (create time), -1 if unavailable

  // The first header named `name`, if any.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.key == name) return std::string_view(h.value);
    }
    return std::nullopt;
  }
};

}  // namespace bourse::kafka
