#include "bourse/outbox/relay_options.h"

#include <algorithm>

#include "bourse/outbox/outbox_writer.h"

namespace bourse::outbox {
namespace {

template <typename T>
bool within(T value, T low, T high) {
  return value >= low && value <= high;
}

Status invalid(std::string field, std::string bounds) {
  return Error::invalid("relay options: " + field + " must be " + bounds, "invalid_relay_options");
}

}  // namespace

Status validate(const RelayOptions& options) {
  if (!is_outbox_table_name(options.table)) {
    return invalid("table", "an outbox table name, got '" + options.table + "'");
  }
  if (options.instance_id.empty() || options.instance_id.size() > kMaxRelayInstanceIdLength) {
    return invalid("instance_id", "1..128 characters");
  }
  if (!within<std::size_t>(options.batch_size, 1, kMaxRelayBatchSize)) {
    return invalid("batch_size", "in [1, kMaxRelayBatchSize]");
  }
  if (!within(options.poll_interval, kMinRelayPollInterval, kMaxRelayPollInterval)) {
    return invalid("poll_interval", "in [1 ms, 10 s]");
  }
  if (!within(options.idle_poll_max, kMinRelayPollInterval, kMaxRelayPollInterval)) {
    return invalid("idle_poll_max", "in [1 ms, 10 s]");
  }
  if (!within(options.lease_retry_interval, kMinRelayLeaseRetryInterval,
              kMaxRelayLeaseRetryInterval)) {
    return invalid("lease_retry_interval", "in [10 ms, 60 s]");
  }
  if (!within(options.retention, kMinRelayRetention, kMaxRelayRetention)) {
    return invalid("retention", "in [1 h, 90 days]");
  }
  if (!within(options.cleanup_interval, kMinRelayCleanupInterval, kMaxRelayCleanupInterval)) {
    return invalid("cleanup_interval", "in [1 s, 24 h]");
  }
  if (!within(options.delivery_timeout, kMinRelayDeliveryTimeout, kMaxRelayDeliveryTimeout)) {
    return invalid("delivery_timeout", "in [100 ms, 120 s]");
  }
  return Status::success();
}

std::chrono::milliseconds idle_poll_wait(const RelayOptions& options, std::uint64_t empty_polls) {
  const std::chrono::milliseconds ceiling = std::max(options.poll_interval, options.idle_poll_max);
  std::chrono::milliseconds wait = options.poll_interval;
  // Doubling stops at the ceiling (at most 10 s), so the product cannot overflow.
  for (std::uint64_t i = 1; i < empty_polls && wait < ceiling; ++i) wait *= 2;
  return std::min(wait, ceiling);
}

}  // namespace bourse::outbox
