#include "bourse/kafka/producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "bourse/common/thread_name.h"
#include "bourse/kafka/errors.h"
#include "error_mapping.h"
#include "event_forwarder.h"

namespace bourse::kafka {
namespace {

// How long one poll of the poll thread blocks; bounds how quickly it notices shutdown.
constexpr int kPollIntervalMs = 50;
// produce() retry step while the local queue is full.
constexpr auto kQueueFullRetryStep = std::chrono::milliseconds(5);
// produce_sync() waits this long beyond message.timeout.ms for the delivery report.
constexpr auto kSyncWaitMargin = std::chrono::seconds(5);
// After purging at shutdown, how long to wait for the purged messages' callbacks.
constexpr auto kPurgeDrainWait = std::chrono::seconds(5);

std::size_t message_bytes(const OutgoingMessage& message) {
  std::size_t total = message.key.size() + message.value.size();
  for (const auto& header : message.headers) total += header.key.size() + header.value.size();
  return total;
}

Status validate_options(const ProducerOptions& options) {
  if (options.linger < std::chrono::milliseconds(0) ||
      options.linger > std::chrono::milliseconds(1'000)) {
    return Error::invalid("producer options: linger must be in [0, 1000] ms");
  }
  if (options.max_in_flight < 1 || options.max_in_flight > 5) {
    return Error::invalid("producer options: max_in_flight must be in [1, 5] (idempotence)");
  }
  if (options.max_queued_messages < 1 || options.max_queued_messages > 1'000'000) {
    return Error::invalid("producer options: max_queued_messages must be in [1, 1000000]");
  }
  if (options.queue_full_wait < std::chrono::milliseconds(0) ||
      options.queue_full_wait > std::chrono::seconds(60)) {
    return Error::invalid("producer options: queue_full_wait must be in [0, 60] s");
  }
  if (options.close_timeout < std::chrono::milliseconds(0) ||
      options.close_timeout > limits::kKafkaDeliveryTimeout) {
    return Error::invalid("producer options: close_timeout must be in [0, kKafkaDeliveryTimeout]");
  }
  return Status::success();
}

std::map<std::string, std::string> enforced_properties(const ProducerOptions& options) {
  return {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", std::to_string(options.max_in_flight)},
      {"message.timeout.ms",
       std::to_string(std::chrono::milliseconds(limits::kKafkaDeliveryTimeout).count())},
      {"partitioner", "murmur2_random"},
      {"linger.ms", std::to_string(options.linger.count())},
      {"queue.buffering.max.messages", std::to_string(options.max_queued_messages)},
      {"message.max.bytes", std::to_string(limits::kMaxKafkaMessageBytes + kRecordOverheadBytes)},
  };
}

// The state a delivery callback travels with, as librdkafka's msg_opaque.
struct PendingDelivery {
  DeliveryCallback on_delivery;
};

}  // namespace

struct Producer::Impl final : public RdKafka::DeliveryReportCb {
  explicit Impl(const KafkaConfig& config)
      : events(config.client_id, config.log_sink, [this] { on_fatal_event(); }) {}

  ProducerOptions options;
  detail::EventForwarder events;
  std::unique_ptr<RdKafka::Producer> handle;
  std::thread poll_thread;
  std::thread::id poll_thread_id;

  std::atomic<bool> stopping{false};  // poll thread: exit
  std::atomic<bool> closed{false};    // produce(): refuse new messages
  std::atomic<bool> fatal{false};
  std::atomic<bool> purge_requested{false};
  std::atomic<bool> send_now_requested{false};  // poll thread: flush what is queued
  std::atomic<std::int64_t> outstanding{0};

  mutable std::mutex mutex;
  std::condition_variable drained;  // signalled whenever outstanding drops to 0
  std::string fatal_message;        // guarded by mutex

  // --- fatal errors -----------------------------------------------------------------
  void on_fatal_event() {
    mark_fatal();
    // Pending messages would otherwise wait for message.timeout.ms; fail them now. The
    // purge runs on the poll thread after this callback returns.
    purge_requested = true;
  }

  void mark_fatal() {
    std::string reason;
    const RdKafka::ErrorCode code = handle ? handle->fatal_error(reason) : RdKafka::ERR_NO_ERROR;
    std::lock_guard lock(mutex);
    if (fatal_message.empty()) {
      fatal_message = code == RdKafka::ERR_NO_ERROR
                          ? std::string("fatal error")
                          : RdKafka::err2str(code) + (reason.empty() ? "" : ": " + reason);
      events.log(LogLevel::kError, "PRODUCER",
                 "fatal producer error, the producer must be recreated: " + fatal_message);
    }
    fatal = true;
  }

  Error fatal_error() const {
    std::lock_guard lock(mutex);
    return {ErrorCode::kUnavailable,
            "kafka producer is in a fatal state and must be recreated: " + fatal_message,
            reason::kProducerFatal};
  }

  // --- delivery reports (poll thread) ------------------------------------------------
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<PendingDelivery> pending(static_cast<PendingDelivery*>(message.msg_opaque()));
    BOURSE_ASSERT(pending != nullptr, "delivery report without its pending state");
    const RdKafka::ErrorCode code = message.err();
    if (code == RdKafka::ERR__FATAL) mark_fatal();
    Result<DeliveryReport> result = [&]() -> Result<DeliveryReport> {
      if (code == RdKafka::ERR_NO_ERROR) {
        BOURSE_ASSERT(message.partition() >= 0 && message.offset() >= 0,
                      "a delivered message has a partition and an offset");
        return DeliveryReport{message.topic_name(), message.partition(), message.offset()};
      }
      if (fatal) return fatal_error();
      return detail::to_error(code, "delivery to topic " + message.topic_name());
    }();
    try {
      pending->on_delivery(std::move(result));
    } catch (...) {
      BOURSE_ASSERT(false, "a DeliveryCallback threw; callbacks must not throw");
    }
    if (outstanding.fetch_sub(1) == 1) {
      std::lock_guard lock(mutex);
      drained.notify_all();
    }
  }

  void poll_loop() {
    while (!stopping.load()) {
      if (send_now_requested.exchange(false)) {
        // librdkafka's flush() ignores linger.ms while it runs and serves the delivery
        // reports on this thread, as poll() does. Bounded like one poll, so a stop or a
        // purge request waits no longer than it would behind poll().
        handle->flush(kPollIntervalMs);
      } else {
        handle->poll(kPollIntervalMs);
      }
      if (purge_requested.exchange(false)) {
        handle->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT |
                      RdKafka::Producer::PURGE_NON_BLOCKING);
      }
    }
  }

  bool wait_drained(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return drained.wait_for(lock, timeout, [this] { return outstanding.load() == 0; });
  }

  bool on_poll_thread() const { return std::this_thread::get_id() == poll_thread_id; }
};

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Producer>> Producer::create(const KafkaConfig& config,
                                                   const ProducerOptions& options) {
  if (Status status = validate_options(options); !status.ok()) return status.error();
  auto impl = std::make_unique<Impl>(config);
  impl->options = options;
  auto conf = build_conf(config, enforced_properties(options), &impl->events);
  if (!conf.ok()) return conf.error();
  std::string librdkafka_error;
  if (conf.value()->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(impl.get()),
                        librdkafka_error) != RdKafka::Conf::CONF_OK) {
    return Error::internal("kafka producer: cannot install the delivery callback: " +
                           librdkafka_error);
  }
  impl->handle.reset(RdKafka::Producer::create(conf.value().get(), librdkafka_error));
  if (!impl->handle) {
    return Error::invalid("kafka producer: cannot create the client: " + librdkafka_error);
  }
  Impl* raw = impl.get();
  raw->poll_thread = std::thread([raw] {
    set_current_thread_name("kafka-poll");
    raw->poll_loop();
  });
  raw->poll_thread_id = raw->poll_thread.get_id();
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

Producer::~Producer() {
  Impl& impl = *impl_;
  BOURSE_ASSERT(!impl.on_poll_thread(), "a Producer must not be destroyed from its own callback");
  impl.closed = true;
  if (!impl.wait_drained(impl.options.close_timeout)) {
    impl.events.log(LogLevel::kWarning, "PRODUCER",
                    std::to_string(impl.outstanding.load()) +
                        " messages still outstanding at shutdown; purging them");
    impl.handle->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    impl.wait_drained(kPurgeDrainWait);
  }
  impl.stopping = true;
  impl.poll_thread.join();
  // Anything still queued now (only if librdkafka did not report a purged message in
  // time) is served here, on the destroying thread, so no callback is lost.
  impl.handle->poll(0);
  if (impl.outstanding.load() != 0) {
    impl.events.log(LogLevel::kError, "PRODUCER",
                    std::to_string(impl.outstanding.load()) +
                        " delivery callbacks never ran: their outcome is unknown");
  }
  impl.handle.reset();
}

Status Producer::produce(std::string_view topic, std::string_view key, std::string_view value,
                         DeliveryCallback on_delivery) {
  return produce(OutgoingMessage{std::string(topic), std::string(key), std::string(value), {}, {}},
                 std::move(on_delivery));
}

Status Producer::produce(OutgoingMessage message, DeliveryCallback on_delivery) {
  Impl& impl = *impl_;
  BOURSE_ASSERT(on_delivery != nullptr, "produce() needs a delivery callback");
  if (message.topic.empty()) return Error::invalid("kafka produce: empty topic");
  if (message.partition && *message.partition < 0) {
    return Error::invalid("kafka produce: negative partition");
  }
  if (const std::size_t bytes = message_bytes(message); bytes > limits::kMaxKafkaMessageBytes) {
    return Error{ErrorCode::kTooLarge,
                 "kafka produce: message of " + std::to_string(bytes) + " bytes exceeds " +
                     std::to_string(limits::kMaxKafkaMessageBytes),
                 reason::kMessageTooLarge};
  }
  if (impl.fatal) return impl.fatal_error();
  if (impl.closed)
    return Error{ErrorCode::kUnavailable, "kafka producer is closing", reason::kClosed};

  std::unique_ptr<RdKafka::Headers> headers;
  if (!message.headers.empty()) {
    headers.reset(RdKafka::Headers::create());
    for (const auto& header : message.headers) {
      headers->add(header.key, header.value.data(), header.value.size());
    }
  }
  auto pending = std::make_unique<PendingDelivery>(PendingDelivery{std::move(on_delivery)});
  const std::int32_t partition = message.partition.value_or(RdKafka::Topic::PARTITION_UA);
  const void* key = message.key.empty() ? nullptr : message.key.data();
  // On the poll thread (produce() from a callback) nobody drains the queue while we
  // wait, so a full queue fails at once there.
  const auto deadline =
      std::chrono::steady_clock::now() +
      (impl.on_poll_thread() ? std::chrono::milliseconds(0) : impl.options.queue_full_wait);

  impl.outstanding.fetch_add(1);
  for (;;) {
    const RdKafka::ErrorCode code = impl.handle->produce(
        message.topic, partition, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(message.value.data()), message.value.size(), key, message.key.size(),
        /*timestamp=*/0, headers.get(), pending.get());
    if (code == RdKafka::ERR_NO_ERROR) {
      (void)headers.release();  // librdkafka owns the headers now
      (void)pending.release();  // and dr_cb owns the pending state
      return Status::success();
    }
    if (code == RdKafka::ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline &&
        !impl.fatal && !impl.closed) {
      std::this_thread::sleep_for(kQueueFullRetryStep);  // the poll thread drains meanwhile
      continue;
    }
    if (impl.outstanding.fetch_sub(1) == 1) {
      std::lock_guard lock(impl.mutex);
      impl.drained.notify_all();
    }
    if (code == RdKafka::ERR__FATAL) {
      impl.mark_fatal();
      return impl.fatal_error();
    }
    if (impl.fatal) return impl.fatal_error();
    if (code == RdKafka::ERR__QUEUE_FULL) {
      return Error{ErrorCode::kUnavailable,
                   "kafka produce: local queue full for " +
                       std::to_string(impl.options.queue_full_wait.count()) + " ms (back-pressure)",
                   reason::kQueueFull};
    }
    return detail::to_error(code, "produce to topic " + message.topic);
  }
}

Result<DeliveryReport> Producer::produce_sync(OutgoingMessage message) {
  BOURSE_ASSERT(!impl_->on_poll_thread(), "produce_sync() from a delivery callback deadlocks");
  struct Waiter {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<Result<DeliveryReport>> result;
  };
  auto waiter = std::make_shared<Waiter>();
  Status queued = produce(std::move(message), [waiter](Result<DeliveryReport> result) {
    std::lock_guard lock(waiter->mutex);
    waiter->result.emplace(std::move(result));
    waiter->done.notify_all();
  });
  if (!queued.ok()) return queued.error();
  std::unique_lock lock(waiter->mutex);
  if (!waiter->done.wait_for(lock, limits::kKafkaDeliveryTimeout + kSyncWaitMargin,
                             [&] { return waiter->result.has_value(); })) {
    return detail::timeout_error("kafka produce_sync: no delivery report in time");
  }
  return std::move(*waiter->result);
}

void Producer::send_now() {
  impl_->send_now_requested = true;
  // Ends a poll() in progress (or makes the next one return at once), so the poll
  // thread sees the request now rather than after kPollIntervalMs.
  impl_->handle->yield();
}

Status Producer::flush(std::chrono::milliseconds timeout) {
  BOURSE_ASSERT(!impl_->on_poll_thread(), "flush() from a delivery callback deadlocks");
  const bool drained = impl_->wait_drained(timeout);
  if (impl_->fatal) return impl_->fatal_error();
  if (!drained) {
    return detail::timeout_error("kafka flush: " + std::to_string(impl_->outstanding.load()) +
                                 " messages still outstanding after " +
                                 std::to_string(timeout.count()) + " ms");
  }
  return Status::success();
}

bool Producer::fatal() const noexcept { return impl_->fatal.load(); }

std::int64_t Producer::outstanding() const noexcept { return impl_->outstanding.load(); }

Result<std::string> Producer::config_value(const std::string& name) const {
  const rd_kafka_conf_t* conf = rd_kafka_conf(impl_->handle->c_ptr());
  size_t size = 0;
  if (rd_kafka_conf_get(conf, name.c_str(), nullptr, &size) != RD_KAFKA_CONF_OK) {
    return Error{ErrorCode::kNotFound, "kafka producer: unknown property " + name, {}};
  }
  std::string value(size, '\0');
  if (rd_kafka_conf_get(conf, name.c_str(), value.data(), &size) != RD_KAFKA_CONF_OK) {
    return Error::internal("kafka producer: cannot read property " + name);
  }
  value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  return value;
}

void Producer::inject_fatal_error_for_testing(const std::string& reason) {
  rd_kafka_test_fatal_error(impl_->handle->c_ptr(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            reason.c_str());
}

}  // namespace bourse::kafka
