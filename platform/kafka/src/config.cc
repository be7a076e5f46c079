#include "bourse/kafka/config.h"

#include <librdkafka/rdkafkacpp.h>

#include <string_view>

#include "bourse/kafka/errors.h"

namespace bourse::kafka {
namespace {

bool is_client_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Error invalid_property(std::string message) {
  return Error::invalid(std::move(message), reason::kInvalidProperty);
}

}  // namespace

Status validate(const KafkaConfig& config) {
  if (config.brokers.empty()) {
    return Error::invalid("kafka config: brokers must not be empty");
  }
  if (config.client_id.empty() || config.client_id.size() > kMaxClientIdLength) {
    return Error::invalid("kafka config: client_id must be 1.." +
                          std::to_string(kMaxClientIdLength) + " characters");
  }
  for (const char c : config.client_id) {
    if (!is_client_id_char(c)) {
      return Error::invalid("kafka config: client_id '" + config.client_id +
                            "' may only contain [A-Za-z0-9._-]");
    }
  }
  for (const auto& [name, value] : config.properties) {
    if (name.empty()) return invalid_property("kafka config: empty property name");
    if (name == "bootstrap.servers" || name == "metadata.broker.list" || name == "client.id") {
      return Error::invalid(
          "kafka config: set '" + name + "' through KafkaConfig fields, not properties",
          reason::kPropertyConflict);
    }
  }
  return Status::success();
}

Result<std::unique_ptr<RdKafka::Conf>> build_conf(
    const KafkaConfig& config, const std::map<std::string, std::string>& enforced,
    RdKafka::EventCb* event_callback) {
  if (Status status = validate(config); !status.ok()) return status.error();
  for (const auto& [name, value] : config.properties) {
    if (enforced.contains(name)) {
      return Error::invalid("kafka config: property '" + name + "' is enforced as '" +
                                enforced.at(name) + "' by this adapter and may not be overridden",
                            reason::kPropertyConflict);
    }
  }

  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string librdkafka_error;
  auto set = [&](const std::string& name, const std::string& value) -> Status {
    const RdKafka::Conf::ConfResult result = conf->set(name, value, librdkafka_error);
    if (result == RdKafka::Conf::CONF_OK) return Status::success();
    return invalid_property("kafka config: " + name + "=" + value + ": " + librdkafka_error);
  };

  if (Status s = set("bootstrap.servers", config.brokers); !s.ok()) return s.error();
  if (Status s = set("client.id", config.client_id); !s.ok()) return s.error();
  // Broker disconnects are routine (idle connections, restarts) and are reported as
  // errors when they matter; logging each one is noise.
  if (!config.properties.contains("log.connection.close")) {
    if (Status s = set("log.connection.close", "false"); !s.ok()) return s.error();
  }
  for (const auto& [name, value] : config.properties) {
    if (Status s = set(name, value); !s.ok()) return s.error();
  }
  for (const auto& [name, value] : enforced) {
    if (Status s = set(name, value); !s.ok()) return s.error();
  }
  if (event_callback != nullptr) {
    if (conf->set("event_cb", event_callback, librdkafka_error) != RdKafka::Conf::CONF_OK) {
      return Error::internal("kafka config: cannot install the event callback: " +
                             librdkafka_error);
    }
  }
  return conf;
}

}  // namespace bourse::kafka
