#include "bourse/kafka/consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <utility>

#include "bourse/kafka/errors.h"
#include "error_mapping.h"
#include "event_forwarder.h"
#include "message_conversion.h"

namespace bourse::kafka {
namespace {

// seek() waits this long for librdkafka to perform the seek.
constexpr int kSeekTimeoutMs = 5'000;

Status validate_options(const ConsumerOptions& options) {
  using std::chrono::milliseconds;
  if (options.group_id.empty()) return Error::invalid("consumer options: group_id is required");
  if (options.topics.empty()) return Error::invalid("consumer options: topics must not be empty");
  for (const auto& topic : options.topics) {
    if (topic.empty()) return Error::invalid("consumer options: empty topic name");
  }
  if (options.session_timeout < milliseconds(6'000) ||
      options.session_timeout > milliseconds(300'000)) {
    return Error::invalid("consumer options: session_timeout must be in [6, 300] s");
  }
  if (options.heartbeat_interval < milliseconds(100) ||
      options.heartbeat_interval > options.session_timeout / 3) {
    return Error::invalid(
        "consumer options: heartbeat_interval must be in [100 ms, session_timeout/3]");
  }
  if (options.max_poll_interval < options.session_timeout ||
      options.max_poll_interval > milliseconds(600'000)) {
    return Error::invalid(
        "consumer options: max_poll_interval must be in [session_timeout, 600 s]");
  }
  return Status::success();
}

std::map<std::string, std::string> enforced_properties(const ConsumerOptions& options) {
  return {
      {"group.id", options.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"isolation.level", "read_committed"},
      {"partition.assignment.strategy",
       options.assignment_strategy == AssignmentStrategy::kRange ? "range" : "roundrobin"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      {"allow.auto.create.topics", "false"},
      {"session.timeout.ms", std::to_string(options.session_timeout.count())},
      {"heartbeat.interval.ms", std::to_string(options.heartbeat_interval.count())},
      {"max.poll.interval.ms", std::to_string(options.max_poll_interval.count())},
  };
}

std::vector<TopicPartition> to_topic_partitions(
    const std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<TopicPartition> result;
  result.reserve(partitions.size());
  for (const RdKafka::TopicPartition* p : partitions)
    result.push_back({p->topic(), p->partition()});
  std::sort(result.begin(), result.end());
  return result;
}

std::string describe(const std::vector<TopicPartition>& partitions) {
  std::string text;
  for (const auto& p : partitions) {
    if (!text.empty()) text += ",";
    text += p.topic + "[" + std::to_string(p.partition) + "]";
  }
  return text.empty() ? "(none)" : text;
}


Error closed_error() {
  return {ErrorCode::kUnavailable, "kafka consumer is closed", reason::kClosed};
}

}  // namespace

struct Consumer::Impl final : public RdKafka::RebalanceCb {
  Impl(const KafkaConfig& config, const ConsumerOptions& consumer_options, AssignmentListener& l)
      : options(consumer_options), listener(l), events(config.client_id, config.log_sink) {}

  ConsumerOptions options;
  AssignmentListener& listener;
  detail::EventForwarder events;
  std::unique_ptr<RdKafka::KafkaConsumer> handle;
  std::vector<TopicPartition> assignment;
  // Assigned partitions from which poll() has returned a message since the assignment:
  // librdkafka can only seek a partition whose fetching has started.
  std::set<TopicPartition> started;
  std::optional<Error> failure;
  bool closed = false;

  void fail(std::string message) {
    events.log(LogLevel::kError, "REBALANCE", message + "; the consumer must be recreated");
    if (!failure)
      failure = Error{ErrorCode::kUnavailable, std::move(message), reason::kAssignmentFailed};
  }

  void drop_assignment(RdKafka::KafkaConsumer* consumer) {
    if (const RdKafka::ErrorCode code = consumer->unassign(); code != RdKafka::ERR_NO_ERROR) {
      events.log(LogLevel::kError, "REBALANCE", "unassign failed: " + RdKafka::err2str(code));
    }
    assignment.clear();
    started.clear();
  }

  // Called by librdkafka from inside consume() or close(), on the owner's thread.
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode code,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const std::vector<TopicPartition> named = to_topic_partitions(partitions);
    if (code == RdKafka::ERR__ASSIGN_PARTITIONS) {
      on_assign(consumer, named, partitions);
    } else if (code == RdKafka::ERR__REVOKE_PARTITIONS) {
      if (consumer->assignment_lost()) {
        events.log(
            LogLevel::kWarning, "REBALANCE",
            "assignment lost (session timeout or max.poll.interval exceeded): " + describe(named));
      }
      if (!failure) {
        try {
          listener.on_revoked(named);
        } catch (...) {
          fail("AssignmentListener::on_revoked threw for " + describe(named));
        }
      }
      drop_assignment(consumer);
      events.log(LogLevel::kInfo, "REBALANCE", "revoked " + describe(named));
    } else {
      events.log(LogLevel::kError, "REBALANCE", "rebalance error: " + RdKafka::err2str(code));
      drop_assignment(consumer);
    }
  }

  void on_assign(RdKafka::KafkaConsumer* consumer, const std::vector<TopicPartition>& named,
                 std::vector<RdKafka::TopicPartition*>& partitions) {
    if (failure) {
      drop_assignment(consumer);  // a failed consumer holds nothing until it is recreated
      return;
    }
    Result<std::vector<TopicPartitionOffset>> starts =
        [&]() -> Result<std::vector<TopicPartitionOffset>> {
      try {
        return listener.on_assigned(named);
      } catch (...) {
        return Error::internal("AssignmentListener::on_assigned threw");
      }
    }();
    if (!starts.ok()) {
      fail("AssignmentListener::on_assigned failed for " + describe(named) + ": " +
           starts.error().message);
      drop_assignment(consumer);
      return;
    }
    BOURSE_ASSERT(starts->size() == partitions.size(),
                  "on_assigned must return exactly one start per assigned partition");
    for (RdKafka::TopicPartition* partition : partitions) {
      const auto matches = [&](const TopicPartitionOffset& start) {
        return start.topic == partition->topic() && start.partition == partition->partition();
      };
      const auto start = std::find_if(starts->begin(), starts->end(), matches);
      BOURSE_ASSERT(start != starts->end(), "on_assigned omitted an assigned partition");
      BOURSE_ASSERT(std::count_if(starts->begin(), starts->end(), matches) == 1,
                    "on_assigned named a partition twice");
      BOURSE_ASSERT(!start->next_offset || *start->next_offset >= 0,
                    "a stored offset is never negative");
      partition->set_offset(start->next_offset.value_or(RdKafka::Topic::OFFSET_BEGINNING));
    }
    if (const RdKafka::ErrorCode assign_code = consumer->assign(partitions);
        assign_code != RdKafka::ERR_NO_ERROR) {
      fail("assign failed for " + describe(named) + ": " + RdKafka::err2str(assign_code));
      drop_assignment(consumer);
      return;
    }
    assignment = named;
    started.clear();
    std::string detail;
    for (const RdKafka::TopicPartition* partition : partitions) {
      if (!detail.empty()) detail += ",";
      detail += partition->topic() + "[" + std::to_string(partition->partition()) + "]@" +
                (partition->offset() == RdKafka::Topic::OFFSET_BEGINNING
                     ? std::string("beginning")
                     : std::to_string(partition->offset()));
    }
    events.log(LogLevel::kInfo, "REBALANCE", "assigned " + detail);
  }

  Status usable() const {
    if (closed) return closed_error();
    if (failure) return *failure;
    return Status::success();
  }
};

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Consumer>> Consumer::create(const KafkaConfig& config,
                                                   const ConsumerOptions& options,
                                                   AssignmentListener& listener) {
  if (Status status = validate_options(options); !status.ok()) return status.error();
  auto impl = std::make_unique<Impl>(config, options, listener);
  auto conf = build_conf(config, enforced_properties(options), &impl->events);
  if (!conf.ok()) return conf.error();
  std::string librdkafka_error;
  if (conf.value()->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(impl.get()),
                        librdkafka_error) != RdKafka::Conf::CONF_OK) {
    return Error::internal("kafka consumer: cannot install the rebalance callback: " +
                           librdkafka_error);
  }
  impl->handle.reset(RdKafka::KafkaConsumer::create(conf.value().get(), librdkafka_error));
  if (!impl->handle)
    return Error::invalid("kafka consumer: cannot create the client: " + librdkafka_error);
  if (const RdKafka::ErrorCode code = impl->handle->subscribe(options.topics);
      code != RdKafka::ERR_NO_ERROR) {
    impl->handle->close();
    return detail::to_error(code, "subscribe");
  }
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::~Consumer() {
  if (!impl_->closed) {
    Status status = close();
    if (!status.ok()) impl_->events.log(LogLevel::kWarning, "CONSUMER", status.error().message);
  }
  impl_->handle.reset();
}

Result<std::optional<Message>> Consumer::poll(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (Status status = impl.usable(); !status.ok()) return status.error();
  const int timeout_ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 3'600'000));
  std::unique_ptr<RdKafka::Message> raw(impl.handle->consume(timeout_ms));
  if (impl.failure) return *impl.failure;  // the listener failed during this poll
  switch (raw->err()) {
    case RdKafka::ERR_NO_ERROR: {
      Message message = detail::to_message(*raw);
      impl.started.insert({message.topic, message.partition});
      return std::optional<Message>(std::move(message));
    }
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF:
      return std::optional<Message>();
    default: {
      Error error = detail::to_error(raw->err(), "consume", raw->errstr());
      impl.events.log(detail::is_transient(raw->err()) ? LogLevel::kWarning : LogLevel::kError,
                      "CONSUMER", error.message);
      return error;
    }
  }
}

Status Consumer::seek(const TopicPartition& partition, std::int64_t offset) {
  Impl& impl = *impl_;
  if (Status status = impl.usable(); !status.ok()) return status;
  if (offset < 0) return Error::invalid("kafka seek: negative offset");
  if (std::find(impl.assignment.begin(), impl.assignment.end(), partition) ==
      impl.assignment.end()) {
    return Error::invalid("kafka seek: " + describe({partition}) +
                          " is not assigned to this consumer");
  }
  if (!impl.started.contains(partition)) {
    return Error::invalid("kafka seek: nothing consumed from " + describe({partition}) +
                          " since its assignment; choose its start in on_assigned instead");
  }
  std::unique_ptr<RdKafka::TopicPartition> target(
      RdKafka::TopicPartition::create(partition.topic, partition.partition, offset));
  if (const RdKafka::ErrorCode code = impl.handle->seek(*target, kSeekTimeoutMs);
      code != RdKafka::ERR_NO_ERROR) {
    return detail::to_error(code, "seek " + describe({partition}));
  }
  return Status::success();
}

Result<std::optional<Watermarks>> Consumer::cached_watermarks(const TopicPartition& partition) {
  Impl& impl = *impl_;
  if (Status status = impl.usable(); !status.ok()) return status.error();
  std::int64_t low = RdKafka::Topic::OFFSET_INVALID;
  std::int64_t high = RdKafka::Topic::OFFSET_INVALID;
  // Reads librdkafka's per-partition cache (updated by every fetch response); an unknown
  // partition (never fetched by this handle) is simply "not known yet".
  const RdKafka::ErrorCode code =
      impl.handle->get_watermark_offsets(partition.topic, partition.partition, &low, &high);
  if (code != RdKafka::ERR_NO_ERROR || low < 0 || high < 0) return std::optional<Watermarks>();
  return std::optional<Watermarks>(Watermarks{low, high});
}

Result<Watermarks> Consumer::query_watermarks(const TopicPartition& partition,
                                              std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (Status status = impl.usable(); !status.ok()) return status.error();
  const int timeout_ms = static_cast<int>(
      std::clamp<std::int64_t>(timeout.count(), 1, kMaxWatermarkQueryTimeout.count()));
  std::int64_t low = RdKafka::Topic::OFFSET_INVALID;
  std::int64_t high = RdKafka::Topic::OFFSET_INVALID;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const RdKafka::ErrorCode code = impl.handle->query_watermark_offsets(
        partition.topic, partition.partition, &low, &high,
        static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
    if (code == RdKafka::ERR_NO_ERROR) break;
    // No leader for a moment (a topic just created, a leader election): librdkafka
    // refreshes its metadata meanwhile, so ask again while the timeout allows.
    const bool leaderless =
        code == RdKafka::ERR_NOT_LEADER_FOR_PARTITION || code == RdKafka::ERR_LEADER_NOT_AVAILABLE;
    if (!leaderless ||
        std::chrono::steady_clock::now() + kWatermarkLeaderRetryDelay >= deadline) {
      return detail::to_error(code, "query watermarks of " + describe({partition}));
    }
    std::this_thread::sleep_for(kWatermarkLeaderRetryDelay);
  }
  if (low < 0 || high < low) {  // broker data: reported, never asserted
    return Error::internal("kafka query watermarks of " + describe({partition}) +
                           ": inconsistent answer low=" + std::to_string(low) +
                           " high=" + std::to_string(high));
  }
  return Watermarks{low, high};
}

Status Consumer::commit(const std::vector<TopicPartitionOffset>& offsets) {
  Impl& impl = *impl_;
  if (Status status = impl.usable(); !status.ok()) return status;
  if (offsets.empty()) return Status::success();
  std::vector<std::unique_ptr<RdKafka::TopicPartition>> owned;
  std::vector<RdKafka::TopicPartition*> raw;
  for (const auto& offset : offsets) {
    BOURSE_ASSERT(offset.next_offset && *offset.next_offset >= 0,
                  "commit() needs concrete offsets");
    owned.emplace_back(
        RdKafka::TopicPartition::create(offset.topic, offset.partition, *offset.next_offset));
    raw.push_back(owned.back().get());
  }
  if (const RdKafka::ErrorCode code = impl.handle->commitSync(raw); code != RdKafka::ERR_NO_ERROR) {
    return detail::to_error(code, "commit");
  }
  for (const RdKafka::TopicPartition* partition : raw) {
    if (partition->err() != RdKafka::ERR_NO_ERROR) {
      return detail::to_error(partition->err(), "commit " + partition->topic() + "[" +
                                                    std::to_string(partition->partition()) + "]");
    }
  }
  return Status::success();
}

const std::vector<TopicPartition>& Consumer::assignment() const noexcept {
  return impl_->assignment;
}

bool Consumer::failed() const noexcept { return impl_->failure.has_value(); }

Status Consumer::close() {
  Impl& impl = *impl_;
  if (impl.closed) return Status::success();
  impl.closed = true;
  // Serves the final revoke (on_revoked) and leaves the group.
  const RdKafka::ErrorCode code = impl.handle->close();
  impl.assignment.clear();
  impl.started.clear();
  if (code != RdKafka::ERR_NO_ERROR) return detail::to_error(code, "close");
  return Status::success();
}

}  // namespace bourse::kafka
