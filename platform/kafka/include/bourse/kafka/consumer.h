// A group consumer whose starting offsets come from the application's database.
//
// Exactly-once effects (docs/ARCHITECTURE.md: invariant 3) need the consumed offset stored in the same
// database transaction as the message's effects. So this consumer never decides where
// to start on its own: on every assignment it asks the AssignmentListener, which reads
// the offsets stored with the effects, and assigns exactly those. Kafka's committed
// offsets are at most a hint for operators (commit()); nothing here reads them.
//
// Enforced properties (not overridable through KafkaConfig::properties):
//   enable.auto.commit=false, enable.auto.offset.store=false: Kafka never records
//     progress behind the application's back.
//   isolation.level=read_committed: never see aborted transactional writes.
//   partition.assignment.strategy=range|roundrobin (eager protocol). Not
//     cooperative-sticky: librdkafka 2.0.2 has incremental-rebalance bugs (lost
//     partitions, close() hanging after a lost partition, duplicates during offset
//     validation), and the eager protocol's "revoke everything, then assign" makes the
//     listener's contract simple: on_revoked always precedes the next on_assigned, and no
//     partition is owned by two members at once. Range is the default because it gives
//     partition i of every subscribed topic to the same member when the topics have the
//     same partition count (events keyed by symbol stay on one shard across topics).
//   auto.offset.reset=earliest: if a stored offset is out of range (retention deleted
//     it, or the topic was recreated) restart at the earliest available message rather
//     than skip; event-id deduplication absorbs the replay.
//   enable.partition.eof=false, allow.auto.create.topics=false.
//   session.timeout.ms / heartbeat.interval.ms / max.poll.interval.ms from
//     ConsumerOptions: a member that stops heartbeating for session_timeout (crash,
//     network) or does not call poll() for max_poll_interval (stuck processing) loses
//     its partitions to the rest of the group. Keep one unit of processing (one message
//     or one DB transaction) well under max_poll_interval. Note: in librdkafka 2.0.2 any
//     queue poll resets the max.poll.interval timer, so a stuck application that still
//     polls is not detected; processing timeouts are the application's job.
//
// Threads: NOT thread-safe. One thread owns a Consumer and makes every call (create,
// poll, seek, commit, close, destructor). The AssignmentListener is called on that
// thread, from inside poll() or close(), never concurrently with another call.
//
// Errors are values: poll() returns kUnavailable/kTimeout for transient broker trouble
// (keep polling; librdkafka reconnects by itself), never throws. If the listener fails
// (or throws) the consumer enters the failed state: it holds no partitions, every call
// returns kUnavailable with reason kAssignmentFailed, and the owner must close it and
// create a new one (which rejoins the group and asks the listener again).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/kafka/config.h"
#include "bourse/kafka/message.h"

namespace bourse::kafka {

// The application's side of a rebalance. Both calls run on the consumer's thread,
// inside Consumer::poll() (or close()), and must finish well within max_poll_interval.
class AssignmentListener {
 public:
  virtual ~AssignmentListener() = default;

  // The group gave this member `partitions`. Return where to start each one: the
  // next_offset stored in the database with the effects of the partition's last
  // processed message, or std::nullopt when nothing is stored (start from the beginning
  // of the partition). This is also where a shard rebuilds its state (docs/ARCHITECTURE.md, "Scale-out").
  // REQUIRES: the result names each of `partitions` exactly once and nothing else
  // (violations abort: it is a bug in the listener).
  // An Error (e.g. the database is down) puts the consumer in the failed state.
  virtual Result<std::vector<TopicPartitionOffset>> on_assigned(
      const std::vector<TopicPartition>& partitions) = 0;

  // The group takes `partitions` away (a rebalance, or close()). When this returns, the
  // application must have finished with every message it got from them: another member
  // may start processing them right after. With the eager protocol this always lists
  // the whole current assignment. If the member was kicked out of the group (session
  // timeout, max_poll_interval) the partitions may already belong to someone else: the
  // database's offset check is what keeps a late write from being applied twice.
  virtual void on_revoked(const std::vector<TopicPartition>& partitions) = 0;
};

enum class AssignmentStrategy { kRange, kRoundRobin };

// The offsets a partition's log spans: records live in [low, high). `high` is the high
// watermark (the log end offset: the offset the next produced record will get), so a
// consumer whose next offset is N is `high - N` records behind.
struct Watermarks {
  std::int64_t low = 0;
  std::int64_t high = 0;
  friend bool operator==(const Watermarks&, const Watermarks&) = default;
};

struct ConsumerOptions {
  // The consumer group (group.id). REQUIRED. Every instance of one module uses the same
  // group so that the partitions are split between them.
  std::string group_id;
  // Topics to subscribe to. REQUIRED non-empty. They must exist (Admin::create_topics).
  std::vector<std::string> topics;
  AssignmentStrategy assignment_strategy = AssignmentStrategy::kRange;
  // Failure detection of a crashed member. [6 s, 300 s] (the broker's default
  // group.min/max.session.timeout.ms bound it too).
  std::chrono::milliseconds session_timeout{10'000};
  // Heartbeat period. [100 ms, session_timeout / 3].
  std::chrono::milliseconds heartbeat_interval{3'000};
  // Longest time between two poll() calls before the member is removed from the group.
  // [session_timeout, 600 s].
  std::chrono::milliseconds max_poll_interval{60'000};
};

// Pause before Consumer::query_watermarks asks again a partition that has no leader for
// a moment (a topic just created, a leader election).
inline constexpr std::chrono::milliseconds kWatermarkLeaderRetryDelay{100};
// Longest wait of Consumer::query_watermarks (it blocks the owner's thread).
inline constexpr std::chrono::milliseconds kMaxWatermarkQueryTimeout{10'000};

class Consumer {
 public:
  // Creates the consumer and subscribes to options.topics. Joining the group and the
  // first assignment happen inside later poll() calls. Does not contact the broker, so it
  // succeeds while Kafka is down. Errors: kInvalidArgument (config, options).
  // REQUIRES: `listener` outlives the Consumer.
  static Result<std::unique_ptr<Consumer>> create(const KafkaConfig& config,
                                                  const ConsumerOptions& options,
                                                  AssignmentListener& listener);

  // Calls close() if it was not called.
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Serves rebalances (calling the listener) and returns the next message, or
  // std::nullopt if none arrived within `timeout`. Messages of one partition come in
  // offset order. Errors: kUnavailable/kTimeout (transient broker trouble: keep
  // polling), kNotFound (a subscribed topic does not exist), kUnavailable with reason
  // kAssignmentFailed or kClosed (recreate the consumer).
  Result<std::optional<Message>> poll(std::chrono::milliseconds timeout);

  // Makes the next message of `partition` returned by poll() the one at `offset`
  // (e.g. retry a batch whose database transaction failed). Messages already prefetched
  // for that partition are discarded. REQUIRES: `partition` is assigned to this member
  // and poll() has returned a message from it since the assignment (to pick the start of
  // a new assignment, use on_assigned's result instead). kInvalidArgument if the
  // partition is not assigned here or nothing was consumed from it yet;
  // kTimeout/kUnavailable on broker trouble.
  Status seek(const TopicPartition& partition, std::int64_t offset);

  // The partition's watermarks as of the last fetch response this consumer received for
  // it (librdkafka caches them per partition; no broker round trip, cheap enough to call
  // every second). std::nullopt until one was received (nothing fetched from the
  // partition by this consumer yet). The values are as fresh as the fetches: while the
  // partition is being fetched (librdkafka long-polls it, fetch.wait.max.ms) they lag
  // the broker by at most about one fetch; if fetching stopped they grow stale.
  // Errors: kUnavailable with reason kClosed / kAssignmentFailed.
  Result<std::optional<Watermarks>> cached_watermarks(const TopicPartition& partition);

  // Asks the partition's leader for its watermarks (a ListOffsets round trip): blocks up
  // to `timeout` (clamped to [1 ms, kMaxWatermarkQueryTimeout]), asking again every
  // kWatermarkLeaderRetryDelay while the partition has no leader. For when
  // cached_watermarks() knows nothing. Errors: kTimeout/kUnavailable (broker trouble),
  // kNotFound (no such partition), kClosed / kAssignmentFailed as above.
  Result<Watermarks> query_watermarks(const TopicPartition& partition,
                                      std::chrono::milliseconds timeout);

  // Commits `offsets` (next_offset semantics) to Kafka synchronously. A hint for
  // monitoring tools only: nothing in Bourse reads Kafka-committed offsets back.
  // REQUIRES: every next_offset is set.
  Status commit(const std::vector<TopicPartitionOffset>& offsets);

  // The partitions currently assigned to this member (as of the last rebalance served).
  const std::vector<TopicPartition>& assignment() const noexcept;

  // True once the listener failed; see the header comment.
  bool failed() const noexcept;

  // Revokes the assignment (on_revoked runs here), leaves the group so the others
  // rebalance at once, and releases the client. Commits nothing. Idempotent; later
  // calls to poll/seek/commit return kClosed.
  Status close();

 private:
  struct Impl;
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bourse::kafka
