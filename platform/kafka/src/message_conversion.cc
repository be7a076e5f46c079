#include "message_conversion.h"

#include "bourse/common/assert.h"

namespace bourse::kafka::detail {

Message to_message(const RdKafka::Message& raw) {
  Message message;
  message.topic = raw.topic_name();
  message.partition = raw.partition();
  message.offset = raw.offset();
  if (const std::string* key = raw.key(); key != nullptr) message.key = *key;
  if (raw.payload() != nullptr)
    message.value.assign(static_cast<const char*>(raw.payload()), raw.len());
  // headers() is non-const in librdkafka's C++ API but only parses lazily.
  if (RdKafka::Headers* headers = const_cast<RdKafka::Message&>(raw).headers();
      headers != nullptr) {
    for (const RdKafka::Headers::Header& header : headers->get_all()) {
      Header h{header.key(), {}};
      if (header.value() != nullptr) {
        h.value.assign(static_cast<const char*>(header.value()), header.value_size());
      }
      message.headers.push_back(std::move(h));
    }
  }
  const RdKafka::MessageTimestamp timestamp = raw.timestamp();
  message.timestamp_ms = timestamp.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE
                             ? -1
                             : timestamp.timestamp;
  BOURSE_ASSERT(message.partition >= 0 && message.offset >= 0, "a consumed message has a position");
  return message;
}

}  // namespace bourse::kafka::detail
