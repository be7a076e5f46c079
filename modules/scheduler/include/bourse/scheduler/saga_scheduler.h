// The saga timeout scheduler: finds every order and trade whose next step has not
// happened within `saga_timeout`, classifies WHY, and acts once per (subject, class).
//
// An order's saga: reserved (orders row + OrderCreated in order_outbox) -> relayed to
// order-events -> matching (outputs in matching_outbox) -> relayed to matching-events ->
// settlement / release (account_outbox) -> order status follower. Every effect is durable
// and exactly-once, so a stuck saga means a stage is behind, stopped, or gave up:
//
//   class                 when                                               action
//   <table>_unpublished   the saga's event row is still unpublished in       alert (names the
//                         order_outbox / matching_outbox / account_outbox    relay lease holder)
//   matching_dead_letter  matching dead-lettered the order's OrderCreated    compensate: release
//                         (it can never be placed)                           + REJECTED
//   matching_behind       matching's committed offset is below the log end   alert (names the lag)
//                         of the order's partition and moved within timeout
//   matching_stalled      ... and did not move for saga_timeout (stopped,    alert
//                         restoring, refused)
//   <stage>_behind /      the same for a consumer group (settlement,         alert
//   <stage>_stalled       order_status, order_status_account), from
//                         consumer_offsets
//   <stage>_dead_letter   a consumer group dead-lettered the saga's event    alert (names the
//                                                                            dead letter)
//   unexplained           every stage is past the event and nothing is dead  alert
//
// An order matching has simply not reached is NEVER compensated: compensation needs the
// dead letter that names the order (envelope aggregate OrderCreated/<order id>).
//
// Every action is logged, counted (bourse_saga_actions_total{class,action}) and recorded
// in saga_actions (migration 0610), UNIQUE (subject, class): a compensation inserts its
// row in the SAME transaction as the release, the REJECTED status and the dead letter's
// answer, so it happens exactly once whatever the number of ticks or schedulers.
//
// Pruning (same tick, named retentions): processed_events, order_idempotency_keys,
// answered dead letters past their retention, and matching snapshots below the newest
// `snapshots_kept` that are at or below the committed offset (restore needs only those).
//
// One scheduler acts at a time across all instances: db::SessionLease role
// "saga_scheduler". run_once() is the core (classify + act + prune), callable directly
// with an injected Clock; start()/stop() run it every `interval` on the scheduler's own
// thread while the lease is held.
// Thread-safety: start()/stop() from one owner thread; run_once() must not be called while
// the thread runs. Blocking (database, Kafka).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bourse/account/account_service.h"
#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/scheduler/log_ends.h"

namespace bourse::scheduler {

// Named limits of the options (validate() enforces them).
inline constexpr std::chrono::milliseconds kMinSagaInterval{100};
inline constexpr std::chrono::milliseconds kMaxSagaInterval{3'600'000};
inline constexpr std::chrono::milliseconds kMinSagaTimeout{100};
inline constexpr std::chrono::milliseconds kMaxSagaTimeout{24LL * 3'600'000};
inline constexpr std::chrono::hours kMinRetention{1};
inline constexpr std::chrono::hours kMaxRetention{24 * 365};
// Stuck orders and trades examined per tick (oldest first): a tick stays bounded.
inline constexpr std::size_t kMaxSubjectsPerTick = 500;
// Unpublished outbox rows and unanswered dead letters read per tick, per table / group.
inline constexpr std::size_t kMaxScanRowsPerTick = 1'000;
// Rows deleted per pruning statement, and statements per table per tick.
inline constexpr std::size_t kPruneChunkRows = 1'000;
inline constexpr int kMaxPruneChunksPerTick = 20;
// Longest detail text stored in saga_actions.detail.
inline constexpr std::size_t kMaxDetailBytes = 2'048;
// The lease role (db::lease_name(kLeaseRole, database)).
inline constexpr std::string_view kLeaseRole = "saga_scheduler";
// The reject_reason a compensated order gets.
inline constexpr std::string_view kCompensationRejectReason = "dead_lettered";

// Action classes (saga_actions.class).
namespace saga_class {
// Outbox stages: "<table>_unpublished" (order_outbox_unpublished, ...).
inline constexpr std::string_view kMatchingDeadLetter = "matching_dead_letter";
inline constexpr std::string_view kMatchingBehind = "matching_behind";
inline constexpr std::string_view kMatchingStalled = "matching_stalled";
inline constexpr std::string_view kUnexplained = "unexplained";
// Consumer stages: "<stage>_behind", "<stage>_stalled", "<stage>_dead_letter" with stage
// settlement, order_status or order_status_account.
}  // namespace saga_class

struct SagaSchedulerOptions {
  std::chrono::milliseconds interval{3'000};         // [kMinSagaInterval, kMaxSagaInterval]
  std::chrono::milliseconds saga_timeout{30'000};    // [kMinSagaTimeout, kMaxSagaTimeout]
  std::chrono::hours processed_events_retention{24 * 14};  // [kMinRetention, kMaxRetention]
  std::chrono::hours idempotency_key_retention{24 * 7};    // idem
  std::chrono::hours dead_letter_retention{24 * 30};       // answered dead letters; idem
  std::chrono::hours snapshot_retention{24};               // superseded snapshots; idem
  int snapshots_kept = 3;                                  // [2, 20], as matching's
  // The database name (lease names are per database). REQUIRED.
  std::string database;
  // Full topic names. REQUIRED.
  std::string order_events_topic;
  std::string matching_events_topic;
  std::string account_events_topic;
  // Full consumer group names. REQUIRED.
  std::string matching_group;              // on order-events (matching_offsets)
  std::string settlement_group;            // on matching-events
  std::string order_status_group;          // on matching-events
  std::string order_status_account_group;  // on account-events
  // Names this process in logs.
  std::string instance_id = "bourse";
};

Status validate(const SagaSchedulerOptions& options);

// What one run_once() did.
struct TickReport {
  bool acted = false;              // false: another scheduler holds the lease (only start())
  std::size_t stuck_orders = 0;    // examined this tick
  std::size_t stuck_trades = 0;
  std::size_t alerts = 0;          // new saga_actions rows (alert)
  std::size_t compensations = 0;   // new saga_actions rows (compensate)
  std::size_t pruned_rows = 0;
  std::vector<std::string> classes;  // "<subject> <class>" of every new action, in order
};

class SagaScheduler {
 public:
  // REQUIRES: every reference outlives the scheduler; `log_ends` not null.
  // Errors: kInvalidArgument (options).
  static Result<std::unique_ptr<SagaScheduler>> create(db::ConnectionPool& pool, db::DbConfig lease_db,
                                                       account::AccountService& accounts,
                                                       metrics::Registry& registry, const Clock& clock,
                                                       std::unique_ptr<LogEnds> log_ends,
                                                       SagaSchedulerOptions options);
  ~SagaScheduler();
  SagaScheduler(const SagaScheduler&) = delete;
  SagaScheduler& operator=(const SagaScheduler&) = delete;

  // One tick on the caller's thread WITHOUT the lease (tests, or a caller holding it):
  // classify and act on every stuck saga older than saga_timeout (by the Clock), then
  // prune. Errors: database or Kafka trouble (what was committed before stays).
  Result<TickReport> run_once();

  // One tick under the lease: tries to take it (one attempt) or checks it is still held,
  // then run_once(). acted=false when another scheduler holds it.
  Result<TickReport> run_once_with_lease();

  // Starts the thread: run_once_with_lease() every interval until stop(). Idempotent.
  void start();
  // Wakes and joins the thread, releases the lease. Idempotent.
  void stop();
  bool lease_held() const noexcept;

 private:
  struct State;
  explicit SagaScheduler(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bourse::scheduler
