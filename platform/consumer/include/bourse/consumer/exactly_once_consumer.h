// A Kafka group consumer whose every event takes effect exactly once (docs/ARCHITECTURE.md: invariant 3, "Known traps").
//
// How: a batch is consecutive messages of one or more partitions (each partition's in
// offset order), up to max_batch in all, gathered until batch_wait after its oldest
// message was polled (a held one may have waited already). What does not fit is held
// back (up to kMaxHeldBatches x max_batch in all) for the next batch, oldest partition
// first. A partition whose last batch failed makes batches of its own until one commits
// (a failing partition never holds the others back), and a failed batch's messages are
// retried one per transaction (which isolates a poison message). In ONE database
// transaction the
// consumer, for each message, inserts (consumer_group, event_id) into processed_events
// (INSERT IGNORE): a new row means the handler runs, an existing row means a duplicate
// (the relay may publish an outbox row twice) and the message is skipped. Event types
// the handler deduplicates by its own natural keys (EventHandler::deduplicates) get no
// row and every copy reaches the handler, which changes nothing for a replay. Then it moves
// the partition's next_offset in consumer_offsets and commits. On assignment, each
// partition starts at its stored next_offset (the start of the partition when none), so
// a crash anywhere - even between the database commit and any Kafka commit - loses
// nothing and applies nothing twice. Kafka's committed offsets are only a monitoring
// hint, written after the database commit and never read.
//
// Fencing: the batch transaction locks its partitions' consumer_offsets rows first and
// drops a partition's messages if its stored offset is already past them (a member that lost the
// partition without noticing, e.g. after a session timeout, cannot apply a stale batch).
//
// No gaps: a batch must start exactly at the stored next offset (with nothing stored: at
// the start of the log as last fetched). A batch that starts later - messages polled and
// not applied, whatever the cause - is refused (error log, metric) and the partition is
// sought back to the stored offset. Only if the re-fetch from there starts at the same
// later offset again (offsets without records: retention, compaction, transaction
// markers) is the batch applied. A polled message is never dropped while its partition
// is assigned here and not sought back: one that arrives during a rebalance is held for
// the next batch; a seek drops the partition's held messages (they are fetched again).
//
// Failures: any failure (handler error, exception, database down) rolls the batch back,
// seeks the partition back to the batch's first offset and backs off exponentially
// (initial_backoff, doubling, capped at max_backoff). After a failure the partition's
// failed range is retried one message per transaction so a poison message is isolated.
// Transient failures - kUnavailable, kTimeout, deadlock / lock-wait timeout
// (db::is_retryable) - are retried for as long as they last and are NEVER dead-lettered:
// a database outage is not a poison message. Any other failure of a single message is an
// attempt; at max_attempts the message is written to dead_letters together with its
// processed_events row and the advanced offset in one transaction, logged at error level
// and counted, and the partition moves on. A value that is not a valid envelope can never
// succeed: it is dead-lettered at once, inside its batch's transaction.
//
// Metrics (registered on construction): bourse_consumer_events_applied_total{group,topic},
// bourse_consumer_duplicates_skipped_total{group,topic},
// bourse_consumer_batch_failures_total{group}, bourse_consumer_dead_letters_total{group},
// bourse_consumer_offset_gaps_refused_total{group}, bourse_consumer_log_gaps_skipped_total{group},
// bourse_consumer_out_of_order_total{group} (a gathered batch dropped unapplied because a
// message of its partition arrived at or below its last offset; the partition is re-read
// from its stored offset, with an error log),
// bourse_consumer_lag_messages{group,topic,partition} (high watermark - stored next offset,
// refreshed about once a second by the driving thread; 0 for a partition not assigned here),
// bourse_consumer_stalled_partitions{group} and bourse_consumer_partition_stalls_total{group}
// (an assigned partition with a lag whose stored offset has not moved for
// ConsumerOptions::stall_timeout; also an error log line, repeated every stall_timeout).
//
// Threads: two ways to drive it, never both. start() runs a worker thread that owns the
// Kafka consumer until stop(). Or poll_once() processes one batch synchronously (tests,
// or a caller with its own loop); then every poll_once() and the final stop() (or the
// destructor) must run on ONE thread, because the underlying kafka::Consumer is
// single-threaded. The handler, the assignment queries and the batch transactions all
// run on the driving thread; each holds one pooled session at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "bourse/common/error.h"
#include "bourse/consumer/consumer_options.h"
#include "bourse/consumer/event_handler.h"
#include "bourse/db/connection_pool.h"
#include "bourse/kafka/config.h"
#include "bourse/metrics/registry.h"

namespace bourse::consumer {

class ExactlyOnceConsumer {
 public:
  // Checks the configuration; does not contact Kafka or the database (the Kafka consumer
  // is created by the driving thread on its first poll). kInvalidArgument for bad
  // options or Kafka config.
  // REQUIRES: pool, handler and registry outlive the consumer.
  static Result<std::unique_ptr<ExactlyOnceConsumer>> create(db::ConnectionPool& pool,
                                                             kafka::KafkaConfig kafka_config,
                                                             ConsumerOptions options,
                                                             EventHandler& handler,
                                                             metrics::Registry& registry);

  // stop().
  ~ExactlyOnceConsumer();
  ExactlyOnceConsumer(const ExactlyOnceConsumer&) = delete;
  ExactlyOnceConsumer& operator=(const ExactlyOnceConsumer&) = delete;

  // Starts the worker thread: poll, apply batches, retry, dead-letter, until stop().
  // REQUIRES: neither start() nor poll_once() was called before.
  void start();

  // Finishes (commits or rolls back) the batch in progress, closes the Kafka consumer
  // (which revokes the partitions and leaves the group, committing nothing) and joins the
  // worker. Idempotent. Offsets need no flushing: they are in the database already.
  void stop();

  // Processes at most one batch: waits up to `timeout` for a message (rebalances are
  // served meanwhile), gathers the batch, applies it. Returns the number of events the
  // handler applied and committed (duplicates and dead letters are not counted). A batch
  // that failed returns its error after the partition has been sought back and the
  // back-off slept; Kafka trouble returns the poll error (the next call retries).
  // REQUIRES: start() was not called; always called from the same thread.
  Result<std::size_t> poll_once(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit ExactlyOnceConsumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::consumer
