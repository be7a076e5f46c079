#include "error_mapping.h"

#include <string>

#include "bourse/kafka/errors.h"

namespace bourse::kafka::detail {

Error to_error(RdKafka::ErrorCode code, std::string_view context, std::string_view detail) {
  BOURSE_ASSERT(code != RdKafka::ERR_NO_ERROR, "to_error() needs an error code");
  std::string message = "kafka ";
  message += context;
  message += ": ";
  message += detail.empty() ? RdKafka::err2str(code) : std::string(detail);
  message += " (code ";
  message += std::to_string(static_cast<int>(code));
  message += ")";

  switch (code) {
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR__TIMED_OUT_QUEUE:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
      return {ErrorCode::kTimeout, std::move(message), {}};
    case RdKafka::ERR__FATAL:
      return {ErrorCode::kUnavailable, std::move(message), reason::kProducerFatal};
    case RdKafka::ERR__QUEUE_FULL:
      return {ErrorCode::kUnavailable, std::move(message), reason::kQueueFull};
    case RdKafka::ERR__PURGE_INFLIGHT:
      return {ErrorCode::kUnavailable, std::move(message), reason::kDeliveryUnknown};
    case RdKafka::ERR__PURGE_QUEUE:
    case RdKafka::ERR__DESTROY:
      return {ErrorCode::kUnavailable, std::move(message), reason::kClosed};
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
      return {ErrorCode::kTooLarge, std::move(message), reason::kMessageTooLarge};
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
      return {ErrorCode::kNotFound, std::move(message), {}};
    case RdKafka::ERR__INVALID_ARG:
    case RdKafka::ERR__UNKNOWN_PROTOCOL:
    case RdKafka::ERR_INVALID_PARTITIONS:
    case RdKafka::ERR_INVALID_REPLICATION_FACTOR:
    case RdKafka::ERR_INVALID_REPLICA_ASSIGNMENT:
    case RdKafka::ERR_INVALID_CONFIG:
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR_POLICY_VIOLATION:
    case RdKafka::ERR_INVALID_REQUEST:
      return Error::invalid(std::move(message));
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RdKafka::ERR__AUTHENTICATION:
    case RdKafka::ERR_SASL_AUTHENTICATION_FAILED:
      // Credentials or ACLs are wrong: retrying will not help, an operator must act.
      return {ErrorCode::kInternal, std::move(message), reason::kBrokerError};
    default:
      return {ErrorCode::kUnavailable, std::move(message), reason::kBrokerError};
  }
}

bool is_transient(RdKafka::ErrorCode code) noexcept {
  switch (code) {
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__RESOLVE:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_NOT_COORDINATOR:
    case RdKafka::ERR_COORDINATOR_NOT_AVAILABLE:
    case RdKafka::ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RdKafka::ERR_REBALANCE_IN_PROGRESS:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RdKafka::ERR_NETWORK_EXCEPTION:
    case RdKafka::ERR__MAX_POLL_EXCEEDED:
      return true;
    default:
      return false;
  }
}

}  // namespace bourse::kafka::detail
