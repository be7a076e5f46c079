// Settings of the outbox relay (relay.h), with the limits they are validated against.
//
// Every knob is bounded: a relay that reads unbounded batches or polls in a hot loop
// takes the database down with it. validate() is called by Relay::create(); the
// composition root may call it earlier to reject a bad configuration at start-up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "bourse/common/error.h"

namespace bourse::outbox {

// --- Limits (the reason next to each number) -----------------------------------------
// Rows read and produced per batch. A row is at most kMaxEventBytes (64 KiB), so a batch
// holds at most 64 MiB of payload in memory and in librdkafka's queue.
inline constexpr std::size_t kMaxRelayBatchSize = 1'000;
// Idle polling: below 1 ms the relay spins on the database; above 10 s events wait
// too long behind an idle relay.
inline constexpr std::chrono::milliseconds kMinRelayPollInterval{1};
inline constexpr std::chrono::milliseconds kMaxRelayPollInterval{10'000};
// How often a standby relay tries to take the lease. The takeover delay after the
// holder dies is at most this (plus MySQL noticing the dead session).
inline constexpr std::chrono::milliseconds kMinRelayLeaseRetryInterval{10};
inline constexpr std::chrono::milliseconds kMaxRelayLeaseRetryInterval{60'000};
// Published rows are kept this long (for audits and replays by hand), then deleted.
inline constexpr std::chrono::hours kMinRelayRetention{1};
inline constexpr std::chrono::hours kMaxRelayRetention{24 * 90};
inline constexpr std::chrono::seconds kMinRelayCleanupInterval{1};
inline constexpr std::chrono::seconds kMaxRelayCleanupInterval{24 * 3600};
// Longest wait for the broker's delivery reports of one batch. librdkafka reports every
// message within message.timeout.ms (limits::kKafkaDeliveryTimeout); past this the relay
// gives up on the batch, recreates the producer (purging what is left) and retries.
inline constexpr std::chrono::milliseconds kDefaultRelayDeliveryTimeout{35'000};
inline constexpr std::chrono::milliseconds kMinRelayDeliveryTimeout{100};
inline constexpr std::chrono::milliseconds kMaxRelayDeliveryTimeout{120'000};
// Rows deleted per cleanup statement, and statements per cleanup round: a long delete
// would hold row locks and grow the undo log; the rest waits for the next round.
inline constexpr std::size_t kRelayCleanupChunkRows = 1'000;
inline constexpr int kMaxRelayCleanupChunksPerRound = 100;
// pending_rows / oldest_unpublished_age_seconds are re-read (one COUNT(*) query) at most
// this often, at the start of an iteration; sooner only after a failed delivery.
inline constexpr std::chrono::milliseconds kRelayMetricsRefreshInterval{1'000};
// Back-off after a failed iteration (database or Kafka down): doubles from the first
// value up to the ceiling, and resets after a success.
inline constexpr std::chrono::milliseconds kRelayInitialBackoff{100};
inline constexpr std::chrono::milliseconds kRelayMaxBackoff{5'000};
// How long the relay waits for a missing id while later ones are visible before it skips
// it (relay.h, "Selection"). Ids are dense and in commit order, so a hole closes within
// microseconds (a commit becoming visible); one that lasts this long is a row deleted by
// hand or written around the sequence, and waiting longer would stall the outbox.
inline constexpr std::chrono::seconds kRelayGapSkipAfter{30};
// Longest instance id (it appears in logs only).
inline constexpr std::size_t kMaxRelayInstanceIdLength = 128;

struct RelayOptions {
  // The outbox table to drain (is_outbox_table_name, outbox_writer.h). REQUIRED.
  std::string table;
  // Names this process in logs (e.g. "<host>-<pid>"). REQUIRED, 1..128 characters.
  std::string instance_id;
  // Rows per batch. [1, kMaxRelayBatchSize].
  std::size_t batch_size = 500;
  // Wait after a batch that was not full (nothing more to do right now).
  // [kMinRelayPollInterval, kMaxRelayPollInterval].
  std::chrono::milliseconds poll_interval{20};
  // Longest wait of an idle relay: after fetches that found nothing, the wait doubles from
  // poll_interval up to this (idle_poll_wait); a fetch that finds rows returns it to
  // poll_interval. wake() ends any wait, so rows committed by THIS process are never
  // delayed; rows committed by other instances wait at most this long after an idle
  // spell. At or below poll_interval: no back-off. [kMinRelayPollInterval,
  // kMaxRelayPollInterval].
  std::chrono::milliseconds idle_poll_max{160};
  // Wait between two attempts to take the lease while another instance holds it.
  // [kMinRelayLeaseRetryInterval, kMaxRelayLeaseRetryInterval].
  std::chrono::milliseconds lease_retry_interval{500};
  // Published rows older than this are deleted. [kMinRelayRetention, kMaxRelayRetention].
  std::chrono::hours retention{24};
  // How often the lease holder deletes expired rows.
  // [kMinRelayCleanupInterval, kMaxRelayCleanupInterval].
  std::chrono::seconds cleanup_interval{60};
  // Longest wait for one batch's delivery reports.
  // [kMinRelayDeliveryTimeout, kMaxRelayDeliveryTimeout].
  std::chrono::milliseconds delivery_timeout = kDefaultRelayDeliveryTimeout;
  // TEST HOOK: run_once returns right after the broker acknowledged the batch and
  // before the rows are recorded as published, and drops the lease session, as if the
  // process had crashed at the worst moment. Never set in production.
  bool crash_after_produce_for_testing = false;
  // Chaos hook (config faults.relay_exit_after_produce): the whole process exits with
  // status 137 right after the first produced batch, before recording it (a real kill -9
  // in the worst window).
  bool exit_process_after_produce_for_testing = false;
};

// kInvalidArgument naming the first field out of its bounds.
Status validate(const RelayOptions& options);

// The wait after the last `empty_polls` fetches found no row (0: the last one found rows):
// poll_interval x 2^(empty_polls - 1) (poll_interval for 0 and 1), at most
// max(poll_interval, idle_poll_max). REQUIRES: validate(options) succeeded.
std::chrono::milliseconds idle_poll_wait(const RelayOptions& options, std::uint64_t empty_polls);

}  // namespace bourse::outbox
