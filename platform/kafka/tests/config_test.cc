// Goal: a KafkaConfig is checked before any client exists, and an extra property can
// never weaken what an adapter enforces.
#include "bourse/kafka/config.h"

#include <librdkafka/rdkafkacpp.h>

#include <catch2/catch.hpp>

#include "bourse/kafka/errors.h"

namespace bourse::kafka {
namespace {

KafkaConfig valid_config() { return KafkaConfig{"127.0.0.1:9092", "bourse-order", {}, {}}; }

TEST_CASE("a complete config validates", "[kafka][config]") {
  CHECK(validate(valid_config()).ok());
}

TEST_CASE("empty brokers are rejected", "[kafka][config]") {
  KafkaConfig config = valid_config();
  config.brokers.clear();
  const Status status = validate(config);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(status.error().message, Catch::Contains("brokers"));
}

TEST_CASE("client ids must be short and plain", "[kafka][config]") {
  for (const std::string& bad : {std::string(), std::string("has space"), std::string("é"),
                                 std::string(kMaxClientIdLength + 1, 'a')}) {
    KafkaConfig config = valid_config();
    config.client_id = bad;
    const Status status = validate(config);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidArgument);
  }
  KafkaConfig config = valid_config();
  config.client_id = std::string(kMaxClientIdLength, 'a');
  CHECK(validate(config).ok());
}

TEST_CASE("brokers and client id cannot be smuggled in through properties", "[kafka][config]") {
  for (const char* name : {"bootstrap.servers", "metadata.broker.list", "client.id"}) {
    KafkaConfig config = valid_config();
    config.properties[name] = "x";
    const Status status = validate(config);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().reason == reason::kPropertyConflict);
  }
}

TEST_CASE("build_conf refuses to override an enforced property", "[kafka][config]") {
  KafkaConfig config = valid_config();
  config.properties["enable.idempotence"] = "false";
  auto conf = build_conf(config, {{"enable.idempotence", "true"}}, nullptr);
  REQUIRE_FALSE(conf.ok());
  CHECK(conf.error().code == ErrorCode::kInvalidArgument);
  CHECK(conf.error().reason == reason::kPropertyConflict);
  CHECK_THAT(conf.error().message, Catch::Contains("enable.idempotence"));
}

TEST_CASE("build_conf reports unknown properties and bad values as invalid arguments",
          "[kafka][config]") {
  KafkaConfig unknown = valid_config();
  unknown.properties["no.such.property"] = "1";
  auto a = build_conf(unknown, {}, nullptr);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().reason == reason::kInvalidProperty);
  CHECK_THAT(a.error().message, Catch::Contains("no.such.property"));

  KafkaConfig bad_value = valid_config();
  bad_value.properties["socket.timeout.ms"] = "not-a-number";
  auto b = build_conf(bad_value, {}, nullptr);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().reason == reason::kInvalidProperty);
}

TEST_CASE("build_conf applies brokers, client id, extras and enforced properties",
          "[kafka][config]") {
  KafkaConfig config = valid_config();
  config.properties["socket.timeout.ms"] = "12345";
  auto conf = build_conf(config, {{"linger.ms", "7"}}, nullptr);
  REQUIRE(conf.ok());
  std::string value;
  REQUIRE(conf.value()->get("bootstrap.servers", value) == RdKafka::Conf::CONF_OK);
  CHECK(value == "127.0.0.1:9092");
  REQUIRE(conf.value()->get("client.id", value) == RdKafka::Conf::CONF_OK);
  CHECK(value == "bourse-order");
  REQUIRE(conf.value()->get("socket.timeout.ms", value) == RdKafka::Conf::CONF_OK);
  CHECK(value == "12345");
  REQUIRE(conf.value()->get("linger.ms", value) == RdKafka::Conf::CONF_OK);
  CHECK(value == "7");
}

}  // namespace
}  // namespace bourse::kafka
