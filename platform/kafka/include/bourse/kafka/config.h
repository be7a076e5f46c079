// Connection settings shared by Producer, Consumer and Admin, and the one place that
// turns them into a librdkafka configuration.
//
// Each adapter enforces the properties its guarantees depend on (idempotence, manual
// offsets, read_committed, ...). KafkaConfig::properties may add any other librdkafka
// property (security.protocol, sasl.*, socket.*, debug, ...) but may not override an
// enforced one: that is a kInvalidArgument with reason kPropertyConflict at creation
// time, not a silently weaker guarantee.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "bourse/common/error.h"
#include "bourse/kafka/log_sink.h"

namespace RdKafka {
class Conf;
class EventCb;
}  // namespace RdKafka

namespace bourse::kafka {

// Longest client id accepted (the broker logs and quotas key on it).
inline constexpr std::size_t kMaxClientIdLength = 128;

struct KafkaConfig {
  // Comma-separated host:port list ("bootstrap.servers"). REQUIRED non-empty.
  std::string brokers;
  // Identifies this process's handles in broker logs and in log records; use
  // "<service>-<module>" (e.g. "bourse-order"). REQUIRED: [A-Za-z0-9._-]{1,128}.
  std::string client_id;
  // Extra librdkafka properties (see librdkafka CONFIGURATION.md). Must not contain
  // bootstrap.servers, metadata.broker.list, client.id, or a property enforced by the
  // adapter being created.
  std::map<std::string, std::string> properties;
  // Receives librdkafka's logs and client errors. Empty: stderr_json_sink().
  LogSink log_sink;
};

// Checks the fields above (not the extra properties' values: librdkafka does that in
// build_conf). kInvalidArgument with a message naming the field.
Status validate(const KafkaConfig& config);

// Builds a global librdkafka configuration: validate(config), then bootstrap.servers and
// client.id, then config.properties, then `enforced` (which wins; a clash with
// config.properties is an error), then the event callback (logs and errors).
// REQUIRES: event_callback outlives the handle created from the returned Conf.
// For the adapters in platform/kafka; other modules use Producer/Consumer/Admin.
Result<std::unique_ptr<RdKafka::Conf>> build_conf(
    const KafkaConfig& config, const std::map<std::string, std::string>& enforced,
    RdKafka::EventCb* event_callback);

}  // namespace bourse::kafka
