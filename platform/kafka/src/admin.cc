#include "bourse/kafka/admin.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "bourse/common/limits.h"
#include "bourse/kafka/errors.h"
#include "bourse/kafka/message.h"
#include "error_mapping.h"
#include "event_forwarder.h"

namespace bourse::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Kafka's own limit on topic name length.
constexpr std::size_t kMaxTopicNameLength = 249;
// Between two metadata checks while waiting for new topics' leaders.
constexpr milliseconds kMetadataRetryStep{100};
// Extra time to wait for an admin result beyond the request timeout given to librdkafka.
constexpr milliseconds kAdminResultMargin{1'000};

int to_timeout_ms(milliseconds timeout) {
  return static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 1, 3'600'000));
}

milliseconds remaining(Clock::time_point deadline) {
  return std::max(milliseconds(1),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

Status validate_spec(const TopicSpec& spec) {
  if (spec.name.empty() || spec.name.size() > kMaxTopicNameLength || spec.name == "." ||
      spec.name == "..") {
    return Error::invalid("topic spec: invalid topic name '" + spec.name + "'");
  }
  for (const char c : spec.name) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal)
      return Error::invalid("topic spec: topic name '" + spec.name + "' has an illegal character");
  }
  if (spec.partitions < 1 || spec.partitions > limits::kMaxTopicPartitions) {
    return Error::invalid("topic spec " + spec.name + ": partitions must be in [1, " +
                          std::to_string(limits::kMaxTopicPartitions) + "]");
  }
  if (spec.retention_ms && *spec.retention_ms < -1) {
    return Error::invalid("topic spec " + spec.name + ": retention_ms must be -1 or >= 0");
  }
  if (spec.replication_factor == 0 || spec.replication_factor < -1) {
    return Error::invalid("topic spec " + spec.name + ": replication_factor must be -1 or >= 1");
  }
  return Status::success();
}

// What the cluster metadata says about one topic.
struct TopicState {
  RdKafka::ErrorCode error = RdKafka::ERR_NO_ERROR;
  int partitions = 0;
  bool every_partition_has_leader = false;
};

// RAII for the C admin objects.
struct NewTopicArray {
  std::vector<rd_kafka_NewTopic_t*> topics;
  ~NewTopicArray() {
    if (!topics.empty()) rd_kafka_NewTopic_destroy_array(topics.data(), topics.size());
  }
};
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)>;

RdKafka::ErrorCode cpp_code(rd_kafka_resp_err_t code) {
  return static_cast<RdKafka::ErrorCode>(code);
}

}  // namespace

struct Admin::Impl {
  explicit Impl(const KafkaConfig& config) : events(config.client_id, config.log_sink) {}

  detail::EventForwarder events;
  // Any client type can run admin requests and metadata; a producer needs no group.
  std::unique_ptr<RdKafka::Producer> handle;

  // Serves queued client-error events into the log sink (nothing else is queued here).
  void serve_events() { handle->poll(0); }

  Result<std::map<std::string, TopicState>> topics_metadata(milliseconds timeout) {
    RdKafka::Metadata* raw = nullptr;
    // all_topics=true: a named-topic request could auto-create the topic on brokers with
    // auto.create.topics.enable=true.
    const RdKafka::ErrorCode code = handle->metadata(true, nullptr, &raw, to_timeout_ms(timeout));
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (code != RdKafka::ERR_NO_ERROR) return detail::to_error(code, "metadata");
    std::map<std::string, TopicState> topics;
    for (const RdKafka::TopicMetadata* topic : *metadata->topics()) {
      TopicState state;
      state.error = topic->err();
      state.partitions = static_cast<int>(topic->partitions()->size());
      state.every_partition_has_leader = state.partitions > 0;
      for (const RdKafka::PartitionMetadata* partition : *topic->partitions()) {
        if (partition->leader() < 0 || partition->err() != RdKafka::ERR_NO_ERROR) {
          state.every_partition_has_leader = false;
        }
      }
      topics.emplace(topic->topic(), state);
    }
    return topics;
  }

  // Sends CreateTopics; returns the names that already existed.
  Result<std::set<std::string>> send_create_topics(const std::vector<TopicSpec>& specs,
                                                   milliseconds timeout) {
    rd_kafka_t* rk = handle->c_ptr();
    char error_text[512];
    NewTopicArray new_topics;
    const std::string max_message_bytes =
        std::to_string(limits::kMaxKafkaMessageBytes + kRecordOverheadBytes);
    for (const TopicSpec& spec : specs) {
      rd_kafka_NewTopic_t* topic =
          rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, spec.replication_factor,
                                error_text, sizeof error_text);
      if (topic == nullptr) return Error::invalid("create topic " + spec.name + ": " + error_text);
      new_topics.topics.push_back(topic);
      if (rd_kafka_NewTopic_set_config(topic, "max.message.bytes", max_message_bytes.c_str()) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Error::internal("create topic " + spec.name + ": cannot set max.message.bytes");
      }
      if (spec.retention_ms) {
        const std::string retention = std::to_string(*spec.retention_ms);
        if (rd_kafka_NewTopic_set_config(topic, "retention.ms", retention.c_str()) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
          return Error::internal("create topic " + spec.name + ": cannot set retention.ms");
        }
      }
    }

    AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS),
                            &rd_kafka_AdminOptions_destroy);
    const int timeout_ms = to_timeout_ms(timeout);
    if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, error_text,
                                                  sizeof error_text) ||
        rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, error_text,
                                                    sizeof error_text)) {
      return Error::internal(std::string("create topics: bad admin options: ") + error_text);
    }
    QueuePtr queue(rd_kafka_queue_new(rk), &rd_kafka_queue_destroy);
    rd_kafka_CreateTopics(rk, new_topics.topics.data(), new_topics.topics.size(), options.get(),
                          queue.get());

    EventPtr event(
        rd_kafka_queue_poll(queue.get(), timeout_ms + static_cast<int>(kAdminResultMargin.count())),
        &rd_kafka_event_destroy);
    if (!event) return detail::timeout_error("kafka create topics: no answer within the timeout");
    if (const rd_kafka_resp_err_t code = rd_kafka_event_error(event.get());
        code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* text = rd_kafka_event_error_string(event.get());
      return detail::to_error(cpp_code(code), "create topics", text ? text : "");
    }
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
    if (result == nullptr)
      return Error::internal("kafka create topics: unexpected admin result type");
    size_t count = 0;
    const rd_kafka_topic_result_t** topic_results =
        rd_kafka_CreateTopics_result_topics(result, &count);
    std::set<std::string> already_existing;
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t code = rd_kafka_topic_result_error(topic_results[i]);
      const std::string name = rd_kafka_topic_result_name(topic_results[i]);
      if (code == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        already_existing.insert(name);
        continue;
      }
      const char* text = rd_kafka_topic_result_error_string(topic_results[i]);
      return detail::to_error(cpp_code(code), "create topic " + name, text ? text : "");
    }
    return already_existing;
  }
};

Admin::Admin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Admin::~Admin() = default;

Result<std::unique_ptr<Admin>> Admin::create(const KafkaConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  auto conf = build_conf(config, {}, &impl->events);
  if (!conf.ok()) return conf.error();
  std::string librdkafka_error;
  impl->handle.reset(RdKafka::Producer::create(conf.value().get(), librdkafka_error));
  if (!impl->handle)
    return Error::invalid("kafka admin: cannot create the client: " + librdkafka_error);
  return std::unique_ptr<Admin>(new Admin(std::move(impl)));
}

Status Admin::create_topics(const std::vector<TopicSpec>& topics, milliseconds timeout) {
  std::set<std::string> names;
  for (const TopicSpec& spec : topics) {
    if (Status status = validate_spec(spec); !status.ok()) return status;
    if (!names.insert(spec.name).second)
      return Error::invalid("create topics: duplicate topic " + spec.name);
  }
  if (topics.empty()) return Status::success();
  const Clock::time_point deadline = Clock::now() + timeout;
  impl_->serve_events();

  auto already_existing = impl_->send_create_topics(topics, timeout);
  if (!already_existing.ok()) return already_existing.error();

  // Wait until every topic is visible with its partitions led. A topic that existed
  // before must already have enough partitions; a new one may take a moment to appear.
  std::string not_ready;
  for (;;) {
    auto metadata = impl_->topics_metadata(remaining(deadline));
    if (metadata.ok()) {
      not_ready.clear();
      for (const TopicSpec& spec : topics) {
        const auto it = metadata->find(spec.name);
        const bool existed = already_existing->contains(spec.name);
        // Judge an existing topic only once fully visible (no error, every partition
        // led): another instance may have created it a moment ago.
        if (it != metadata->end() && it->second.error == RdKafka::ERR_NO_ERROR && existed &&
            it->second.every_partition_has_leader && it->second.partitions < spec.partitions) {
          return Error{
              ErrorCode::kConflict,
              "kafka topic " + spec.name + " exists with " + std::to_string(it->second.partitions) +
                  " partitions, fewer than the configured " + std::to_string(spec.partitions) +
                  "; growing it remaps keys and needs an operator migration",
              reason::kPartitionCountMismatch};
        }
        if (it == metadata->end() || it->second.error != RdKafka::ERR_NO_ERROR ||
            it->second.partitions < spec.partitions || !it->second.every_partition_has_leader) {
          not_ready += (not_ready.empty() ? "" : ", ") + spec.name;
        }
      }
      if (not_ready.empty()) return Status::success();
    } else if (Clock::now() >= deadline) {
      return metadata.error();
    }
    if (Clock::now() + kMetadataRetryStep >= deadline) {
      return detail::timeout_error(
          "kafka create topics: not every partition has a leader yet: " +
          (not_ready.empty() ? std::string("metadata unavailable") : not_ready));
    }
    std::this_thread::sleep_for(kMetadataRetryStep);
  }
}

Result<std::vector<std::string>> Admin::list_topics(const std::string& prefix,
                                                    milliseconds timeout) {
  impl_->serve_events();
  auto metadata = impl_->topics_metadata(timeout);
  if (!metadata.ok()) return metadata.error();
  std::vector<std::string> names;
  for (const auto& [name, state] : *metadata) {
    if (name.starts_with(prefix) && state.error == RdKafka::ERR_NO_ERROR) names.push_back(name);
  }
  return names;  // std::map keys: already sorted
}

Result<std::vector<std::string>> Admin::list_consumer_groups(const std::string& prefix,
                                                             milliseconds timeout) {
  impl_->serve_events();
  const rd_kafka_group_list* raw = nullptr;
  const rd_kafka_resp_err_t code =
      rd_kafka_list_groups(impl_->handle->c_ptr(), nullptr, &raw, to_timeout_ms(timeout));
  std::unique_ptr<const rd_kafka_group_list, decltype(&rd_kafka_group_list_destroy)> list(
      raw, &rd_kafka_group_list_destroy);
  if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::to_error(cpp_code(code), "list consumer groups");
  }
  std::vector<std::string> groups;
  for (int i = 0; i < list->group_cnt; ++i) {
    std::string group = list->groups[i].group;
    if (group.starts_with(prefix)) groups.push_back(std::move(group));
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

Status Admin::ping(milliseconds timeout) {
  impl_->serve_events();
  RdKafka::Metadata* raw = nullptr;
  // all_topics=false with no topic: a brokers-only metadata request.
  const RdKafka::ErrorCode code =
      impl_->handle->metadata(false, nullptr, &raw, to_timeout_ms(timeout));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) return detail::to_error(code, "ping");
  if (metadata->brokers()->empty())
    return Error::unavailable("kafka ping: the cluster reports no brokers");
  return Status::success();
}

Result<int> Admin::partition_count(const std::string& topic, milliseconds timeout) {
  impl_->serve_events();
  auto metadata = impl_->topics_metadata(timeout);
  if (!metadata.ok()) return metadata.error();
  const auto it = metadata->find(topic);
  if (it == metadata->end() || it->second.error == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
    return Error{ErrorCode::kNotFound, "kafka topic " + topic + " does not exist", {}};
  }
  if (it->second.error != RdKafka::ERR_NO_ERROR)
    return detail::to_error(it->second.error, "metadata of " + topic);
  return it->second.partitions;
}

Result<std::int64_t> Admin::topic_retention_ms(const std::string& topic, milliseconds timeout) {
  impl_->serve_events();
  rd_kafka_t* rk = impl_->handle->c_ptr();
  char error_text[512];
  std::unique_ptr<rd_kafka_ConfigResource_t, decltype(&rd_kafka_ConfigResource_destroy)> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()),
      &rd_kafka_ConfigResource_destroy);
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS),
                          &rd_kafka_AdminOptions_destroy);
  const int timeout_ms = to_timeout_ms(timeout);
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, error_text,
                                                sizeof error_text)) {
    return Error::internal(std::string("describe configs: bad admin options: ") + error_text);
  }
  QueuePtr queue(rd_kafka_queue_new(rk), &rd_kafka_queue_destroy);
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(rk, resources, 1, options.get(), queue.get());
  EventPtr event(
      rd_kafka_queue_poll(queue.get(), timeout_ms + static_cast<int>(kAdminResultMargin.count())),
      &rd_kafka_event_destroy);
  if (!event) return detail::timeout_error("kafka describe configs: no answer within the timeout");
  if (const rd_kafka_resp_err_t code = rd_kafka_event_error(event.get());
      code != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* text = rd_kafka_event_error_string(event.get());
    return detail::to_error(cpp_code(code), "describe configs of " + topic, text ? text : "");
  }
  const rd_kafka_DescribeConfigs_result_t* result =
      rd_kafka_event_DescribeConfigs_result(event.get());
  if (result == nullptr) return Error::internal("kafka describe configs: unexpected result type");
  size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(result, &count);
  if (count != 1) return Error::internal("kafka describe configs: expected one resource");
  if (const rd_kafka_resp_err_t code = rd_kafka_ConfigResource_error(described[0]);
      code != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return Error{ErrorCode::kNotFound, "kafka topic " + topic + " does not exist", {}};
    }
    const char* text = rd_kafka_ConfigResource_error_string(described[0]);
    return detail::to_error(cpp_code(code), "describe configs of " + topic, text ? text : "");
  }
  size_t entries = 0;
  const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(described[0], &entries);
  for (size_t i = 0; i < entries; ++i) {
    if (std::string_view(rd_kafka_ConfigEntry_name(configs[i])) != "retention.ms") continue;
    const char* value = rd_kafka_ConfigEntry_value(configs[i]);
    if (value == nullptr) break;
    try {
      return static_cast<std::int64_t>(std::stoll(value));
    } catch (...) {
      return Error::internal("kafka describe configs: retention.ms is not a number: " +
                             std::string(value));
    }
  }
  return Error::internal("kafka describe configs of " + topic + ": no retention.ms");
}

}  // namespace bourse::kafka
