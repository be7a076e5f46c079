#include "bourse/kafka/partition_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "bourse/common/assert.h"
#include "bourse/kafka/errors.h"
#include "error_mapping.h"
#include "event_forwarder.h"
#include "message_conversion.h"

namespace bourse::kafka {
namespace {

int to_timeout_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 1, 3'600'000));
}


Error closed_error() {
  return {ErrorCode::kUnavailable, "kafka partition reader is closed", reason::kClosed};
}

}  // namespace

struct PartitionReader::Impl {
  Impl(const KafkaConfig& config) : events(config.client_id, config.log_sink) {}
  detail::EventForwarder events;
  std::unique_ptr<RdKafka::KafkaConsumer> handle;
  bool closed = false;
};

PartitionReader::PartitionReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PartitionReader::~PartitionReader() { close(); }

Result<std::unique_ptr<PartitionReader>> PartitionReader::create(const KafkaConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  const std::map<std::string, std::string> enforced = {
      {"group.id", config.client_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"isolation.level", "read_committed"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      {"allow.auto.create.topics", "false"},
  };
  auto conf = build_conf(config, enforced, &impl->events);
  if (!conf.ok()) return conf.error();
  std::string librdkafka_error;
  impl->handle.reset(RdKafka::KafkaConsumer::create(conf.value().get(), librdkafka_error));
  if (!impl->handle) {
    return Error::invalid("kafka partition reader: cannot create the client: " +
                          librdkafka_error);
  }
  return std::unique_ptr<PartitionReader>(new PartitionReader(std::move(impl)));
}

Result<int> PartitionReader::partition_count(const std::string& topic,
                                             std::chrono::milliseconds timeout) {
  if (impl_->closed) return closed_error();
  std::string error_text;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(impl_->handle.get(), topic, nullptr, error_text));
  if (!handle) return Error::invalid("kafka topic handle " + topic + ": " + error_text);
  RdKafka::Metadata* raw = nullptr;
  if (const RdKafka::ErrorCode code =
          impl_->handle->metadata(false, handle.get(), &raw, to_timeout_ms(timeout));
      code != RdKafka::ERR_NO_ERROR) {
    return detail::to_error(code, "metadata of " + topic);
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  for (const RdKafka::TopicMetadata* described : *metadata->topics()) {
    if (described->topic() != topic) continue;
    if (described->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) break;
    if (described->err() != RdKafka::ERR_NO_ERROR)
      return detail::to_error(described->err(), "metadata of " + topic);
    return static_cast<int>(described->partitions()->size());
  }
  return Error{ErrorCode::kNotFound, "kafka topic " + topic + " does not exist", {}};
}

Result<std::vector<std::int64_t>> PartitionReader::offsets_for_time(
    const std::string& topic, int partitions, std::int64_t timestamp_ms,
    std::chrono::milliseconds timeout) {
  if (impl_->closed) return closed_error();
  std::vector<std::unique_ptr<RdKafka::TopicPartition>> owned;
  std::vector<RdKafka::TopicPartition*> raw;
  for (int p = 0; p < partitions; ++p) {
    owned.emplace_back(RdKafka::TopicPartition::create(topic, p, timestamp_ms));
    raw.push_back(owned.back().get());
  }
  if (const RdKafka::ErrorCode code =
          impl_->handle->offsetsForTimes(raw, to_timeout_ms(timeout));
      code != RdKafka::ERR_NO_ERROR) {
    return detail::to_error(code, "offsets for time of " + topic);
  }
  std::vector<std::int64_t> offsets;
  for (RdKafka::TopicPartition* partition : raw) {
    if (partition->err() != RdKafka::ERR_NO_ERROR)
      return detail::to_error(partition->err(), "offsets for time of " + topic);
    std::int64_t offset = partition->offset();
    if (offset < 0) {
      // No record at or after the time: start at the end of the partition.
      std::int64_t low = 0;
      std::int64_t high = 0;
      if (const RdKafka::ErrorCode code = impl_->handle->query_watermark_offsets(
              topic, partition->partition(), &low, &high, to_timeout_ms(timeout));
          code != RdKafka::ERR_NO_ERROR) {
        return detail::to_error(code, "watermarks of " + topic);
      }
      offset = high;
    }
    offsets.push_back(offset);
  }
  return offsets;
}

Status PartitionReader::assign(const std::vector<TopicPartitionOffset>& starts) {
  if (impl_->closed) return closed_error();
  std::vector<std::unique_ptr<RdKafka::TopicPartition>> owned;
  std::vector<RdKafka::TopicPartition*> raw;
  for (const auto& start : starts) {
    BOURSE_ASSERT(start.next_offset && *start.next_offset >= 0, "assign() needs concrete offsets");
    owned.emplace_back(
        RdKafka::TopicPartition::create(start.topic, start.partition, *start.next_offset));
    raw.push_back(owned.back().get());
  }
  if (const RdKafka::ErrorCode code = impl_->handle->assign(raw); code != RdKafka::ERR_NO_ERROR)
    return detail::to_error(code, "assign");
  return Status::success();
}

Result<std::optional<Message>> PartitionReader::poll(std::chrono::milliseconds timeout) {
  if (impl_->closed) return closed_error();
  const int timeout_ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 3'600'000));
  std::unique_ptr<RdKafka::Message> raw(impl_->handle->consume(timeout_ms));
  switch (raw->err()) {
    case RdKafka::ERR_NO_ERROR:
      return std::optional<Message>(detail::to_message(*raw));
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF:
      return std::optional<Message>();
    default: {
      Error error = detail::to_error(raw->err(), "consume", raw->errstr());
      impl_->events.log(detail::is_transient(raw->err()) ? LogLevel::kWarning : LogLevel::kError,
                        "READER", error.message);
      return error;
    }
  }
}

void PartitionReader::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  (void)impl_->handle->unassign();
  (void)impl_->handle->close();
  impl_->handle.reset();
}

}  // namespace bourse::kafka
