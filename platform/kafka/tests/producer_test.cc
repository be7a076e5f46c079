// Goal: the producer's local guarantees (size bound, option checks, enforced settings,
// fatal errors, no lost callbacks at shutdown) hold without any broker.
#include "bourse/kafka/producer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "bourse/kafka/errors.h"
#include "kafka_test_support.h"

namespace bourse::kafka {
namespace {

using namespace std::chrono_literals;
using testing::offline_config;

std::unique_ptr<Producer> offline_producer(ProducerOptions options = {}) {
  auto producer = Producer::create(offline_config(), options);
  REQUIRE(producer.ok());
  return std::move(producer).value();
}

TEST_CASE("producer options are range-checked", "[kafka][producer]") {
  ProducerOptions in_flight;
  in_flight.max_in_flight = 6;
  auto a = Producer::create(offline_config(), in_flight);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == ErrorCode::kInvalidArgument);

  ProducerOptions linger;
  linger.linger = -1ms;
  CHECK_FALSE(Producer::create(offline_config(), linger).ok());
}

TEST_CASE("a config cannot switch idempotence off", "[kafka][producer]") {
  KafkaConfig config = offline_config();
  config.properties["enable.idempotence"] = "false";
  auto producer = Producer::create(config);
  REQUIRE_FALSE(producer.ok());
  CHECK(producer.error().reason == reason::kPropertyConflict);
}

TEST_CASE("the live handle runs with the enforced settings", "[kafka][producer]") {
  ProducerOptions options;
  options.linger = 20ms;
  options.max_in_flight = 3;
  auto producer = offline_producer(options);
  CHECK(producer->config_value("enable.idempotence").value() == "true");
  CHECK(producer->config_value("max.in.flight.requests.per.connection").value() == "3");
  CHECK(producer->config_value("linger.ms").value() == "20");
  CHECK(producer->config_value("message.timeout.ms").value() ==
        std::to_string(std::chrono::milliseconds(limits::kKafkaDeliveryTimeout).count()));
  CHECK(producer->config_value("partitioner").value() == "murmur2_random");
  const std::string acks = producer->config_value("acks").value();
  CHECK((acks == "all" || acks == "-1"));
  CHECK(producer->config_value("no.such.property").error().code == ErrorCode::kNotFound);
}

TEST_CASE("a message over the size limit is refused before it is queued", "[kafka][producer]") {
  auto producer = offline_producer();
  std::atomic<int> callbacks{0};
  OutgoingMessage message{
      "t", "key", std::string(limits::kMaxKafkaMessageBytes - 3 + 1, 'x'), {}, {}};
  const Status status = producer->produce(message, [&](Result<DeliveryReport>) { ++callbacks; });
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == ErrorCode::kTooLarge);
  CHECK(status.error().reason == reason::kMessageTooLarge);
  CHECK(producer->outstanding() == 0);

  // Headers count towards the limit too.
  OutgoingMessage with_headers{
      "t", "", std::string(limits::kMaxKafkaMessageBytes - 4, 'x'), {{"event_id", "12345"}}, {}};
  CHECK(
      producer->produce(with_headers, [&](Result<DeliveryReport>) { ++callbacks; }).error().code ==
      ErrorCode::kTooLarge);
  CHECK(callbacks == 0);
}

TEST_CASE("bad arguments are refused", "[kafka][producer]") {
  auto producer = offline_producer();
  CHECK(producer->produce("", "k", "v", [](Result<DeliveryReport>) {}).error().code ==
        ErrorCode::kInvalidArgument);
  OutgoingMessage negative{"t", "k", "v", {}, -2};
  CHECK(producer->produce(negative, [](Result<DeliveryReport>) {}).error().code ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("every accepted message gets its callback, even when the broker never answers",
          "[kafka][producer]") {
  std::promise<Result<DeliveryReport>> delivered;
  std::thread::id callback_thread;
  {
    ProducerOptions options;
    options.close_timeout = 0ms;
    auto producer = offline_producer(options);
    REQUIRE(producer
                ->produce("t", "k", "v",
                          [&](Result<DeliveryReport> result) {
                            callback_thread = std::this_thread::get_id();
                            delivered.set_value(std::move(result));
                          })
                .ok());
    CHECK(producer->outstanding() == 1);
    const Status flushed = producer->flush(50ms);
    REQUIRE_FALSE(flushed.ok());
    CHECK(flushed.error().code == ErrorCode::kTimeout);
  }  // destruction purges the message
  auto future = delivered.get_future();
  REQUIRE(future.wait_for(0s) == std::future_status::ready);
  const Result<DeliveryReport> result = future.get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::kUnavailable);
  CHECK(callback_thread != std::this_thread::get_id());
}

TEST_CASE("a fatal error fails pending and later produces until the producer is recreated",
          "[kafka][producer]") {
  auto producer = offline_producer();
  std::promise<Result<DeliveryReport>> pending;
  REQUIRE(producer
              ->produce("t", "k", "v",
                        [&](Result<DeliveryReport> r) { pending.set_value(std::move(r)); })
              .ok());
  CHECK_FALSE(producer->fatal());

  producer->inject_fatal_error_for_testing("test: sequence desynchronised");

  // The pending message fails promptly (not after message.timeout.ms).
  auto future = pending.get_future();
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  const Result<DeliveryReport> result = future.get();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::kUnavailable);
  CHECK(result.error().reason == reason::kProducerFatal);
  CHECK(producer->fatal());

  const Status later =
      producer->produce("t", "k", "v", [](Result<DeliveryReport>) { FAIL("not queued"); });
  REQUIRE_FALSE(later.ok());
  CHECK(later.error().reason == reason::kProducerFatal);
  CHECK_THAT(later.error().message, Catch::Contains("sequence desynchronised"));
  CHECK(producer->flush(1s).error().reason == reason::kProducerFatal);
}

TEST_CASE("a full local queue is back-pressure, not an unbounded wait", "[kafka][producer]") {
  ProducerOptions options;
  options.max_queued_messages = 2;
  options.queue_full_wait = 100ms;
  options.close_timeout = 0ms;
  auto producer = offline_producer(options);
  auto ignore = [](Result<DeliveryReport>) {};
  REQUIRE(producer->produce("t", "a", "1", ignore).ok());
  REQUIRE(producer->produce("t", "b", "2", ignore).ok());
  const auto start = std::chrono::steady_clock::now();
  const Status third = producer->produce("t", "c", "3", ignore);
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == ErrorCode::kUnavailable);
  CHECK(third.error().reason == reason::kQueueFull);
  CHECK(waited >= 100ms);
  CHECK(waited < 2s);
  CHECK(producer->outstanding() == 2);
}

}  // namespace
}  // namespace bourse::kafka
