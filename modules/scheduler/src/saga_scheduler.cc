#include "bourse/scheduler/saga_scheduler.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "bourse/common/thread_name.h"
#include "bourse/db/session_lease.h"
#include "bourse/db/sql_error.h"
#include "bourse/log/log.h"
#include "saga_store.h"

namespace bourse::scheduler {
namespace {

using detail::Micros;

constexpr std::string_view kAlert = "alert";
constexpr std::string_view kCompensate = "compensate";

// The outbox tables of the saga's stages, in saga order.
constexpr std::string_view kOrderOutbox = "order_outbox";
constexpr std::string_view kMatchingOutbox = "matching_outbox";
constexpr std::string_view kAccountOutbox = "account_outbox";

Micros to_micros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string clip(std::string text) {
  if (text.size() > kMaxDetailBytes) text.resize(kMaxDetailBytes);
  return text;
}

// One classification: what to record and do about a subject.
struct Verdict {
  std::string saga_class;
  std::string detail;
  std::int64_t dead_letter_id = 0;  // matching_dead_letter: the letter to answer
};

}  // namespace

Status validate(const SagaSchedulerOptions& o) {
  const auto bad = [](const std::string& what) { return Error::invalid(what, "invalid_scheduler_option"); };
  if (o.interval < kMinSagaInterval || o.interval > kMaxSagaInterval) return bad("interval out of range");
  if (o.saga_timeout < kMinSagaTimeout || o.saga_timeout > kMaxSagaTimeout) {
    return bad("saga_timeout out of range");
  }
  for (const auto retention : {o.processed_events_retention, o.idempotency_key_retention,
                               o.dead_letter_retention, o.snapshot_retention}) {
    if (retention < kMinRetention || retention > kMaxRetention) return bad("a retention is out of range");
  }
  if (o.snapshots_kept < 2 || o.snapshots_kept > 20) return bad("snapshots_kept must be 2..20");
  for (const std::string* name : {&o.database, &o.order_events_topic, &o.matching_events_topic,
                                  &o.account_events_topic, &o.matching_group, &o.settlement_group,
                                  &o.order_status_group, &o.order_status_account_group}) {
    if (name->empty()) return bad("database, topics and groups are required");
  }
  return Status::success();
}

struct SagaScheduler::State {
  db::ConnectionPool& pool;
  account::AccountService& accounts;
  const Clock& clock;
  std::unique_ptr<LogEnds> log_ends;
  SagaSchedulerOptions options;
  db::SessionLease lease;
  metrics::CounterFamily& actions;
  metrics::CounterFamily& pruned;
  metrics::Counter& ticks;
  metrics::Counter& tick_failures;
  metrics::Gauge& lease_gauge;
  metrics::Gauge& stuck_gauge;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;          // guarded by mutex
  std::thread thread;
  std::atomic<bool> held{false};

  State(db::ConnectionPool& p, db::DbConfig lease_db, account::AccountService& a,
        metrics::Registry& registry, const Clock& c, std::unique_ptr<LogEnds> ends,
        SagaSchedulerOptions o)
      : pool(p),
        accounts(a),
        clock(c),
        log_ends(std::move(ends)),
        options(std::move(o)),
        lease(std::move(lease_db), db::lease_name(kLeaseRole, options.database)),
        actions(registry.counter("bourse_saga_actions_total",
                                 "Actions the saga scheduler took, by class and action (alert, compensate)",
                                 {"class", "action"})),
        pruned(registry.counter("bourse_saga_pruned_rows_total",
                                "Rows the saga scheduler pruned past their retention", {"table"})),
        ticks(registry.counter("bourse_saga_ticks_total", "Saga scheduler ticks run").with({})),
        tick_failures(registry.counter("bourse_saga_tick_failures_total",
                                       "Saga scheduler ticks that failed (database or Kafka trouble)")
                          .with({})),
        lease_gauge(registry.gauge("bourse_saga_lease_held",
                                   "1 while this process holds the saga scheduler's lease")
                        .with({})),
        stuck_gauge(registry.gauge("bourse_saga_stuck",
                                   "Orders and trades past the saga timeout at the last tick")
                        .with({})) {}

  // --- per-tick caches -----------------------------------------------------------------
  struct Tick {
    Micros cutoff = 0;
    std::vector<detail::UnpublishedRow> unpublished;  // every stage's outbox
    std::vector<detail::DeadLetterRow> dead_letters;  // unanswered, every group
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> log_ends;
    std::map<std::string, std::string> lease_holders;  // outbox table -> holder text
    TickReport report;
  };

  std::string stage_of(const std::string& group) const {
    if (group == options.matching_group) return "matching";
    if (group == options.settlement_group) return "settlement";
    if (group == options.order_status_group) return "order_status";
    if (group == options.order_status_account_group) return "order_status_account";
    return "consumer";
  }

  Result<std::int32_t> partition_of(const std::string& topic, const std::string& key) {
    auto count = log_ends->partition_count(topic);
    if (!count) return count.error();
    if (*count <= 0) return Error{ErrorCode::kUnavailable, "topic " + topic + " has no partitions", ""};
    return partition_for_key(key, *count);
  }

  Result<std::int64_t> log_end(Tick& tick, const std::string& topic, std::int32_t partition) {
    const auto key = std::make_pair(topic, partition);
    if (auto it = tick.log_ends.find(key); it != tick.log_ends.end()) return it->second;
    auto high = log_ends->high_watermark(topic, partition);
    if (!high) return high.error();
    tick.log_ends[key] = *high;
    return *high;
  }

  std::string relay_holder(Tick& tick, soci::session& session, const std::string& table) {
    if (auto it = tick.lease_holders.find(table); it != tick.lease_holders.end()) return it->second;
    const std::string name = db::lease_name("relay_" + table, options.database);
    auto holder = detail::lock_holder(session, name);
    std::string text = holder ? "relay lease " + name + " held by " + *holder + " (which publishes nothing)"
                              : "relay lease " + name + " is free: no relay of " + table + " is running";
    tick.lease_holders[table] = text;
    return text;
  }

  // A stage's lag on the partition that `key` goes to: a verdict when it is behind.
  Result<std::optional<Verdict>> stage_lag(Tick& tick, soci::session& session, const std::string& stage,
                                           const std::string& group, const std::string& topic,
                                           const std::string& key, bool matching) {
    auto partition = partition_of(topic, key);
    if (!partition) return partition.error();
    auto high = log_end(tick, topic, *partition);
    if (!high) return high.error();
    const auto stored = matching ? detail::matching_position(session, topic, *partition)
                                 : detail::consumer_position(session, group, topic, *partition);
    const std::int64_t next = stored ? stored->next_offset : 0;
    if (next >= *high) return std::optional<Verdict>{};
    const bool stalled = !stored || stored->updated_at < tick.cutoff;
    Verdict verdict;
    verdict.saga_class = stage + (stalled ? "_stalled" : "_behind");
    verdict.detail = stage + " (group " + group + ") " + topic + "[" + std::to_string(*partition) +
                     "]: stored next offset " + (stored ? std::to_string(next) : std::string("none")) +
                     ", log end " + std::to_string(*high) + ", lag " + std::to_string(*high - next) +
                     (stalled ? "; no progress within the saga timeout (stopped, restoring or stuck)"
                              : "; progressing");
    return std::optional<Verdict>{std::move(verdict)};
  }

  std::optional<Verdict> unpublished_verdict(Tick& tick, soci::session& session, std::string_view table,
                                             const std::function<bool(const detail::EventRefs&)>& match) {
    for (const auto& row : tick.unpublished) {
      if (row.table != table || !match(row.refs)) continue;
      return Verdict{std::string(table) + "_unpublished",
                     std::string(table) + " row " + std::to_string(row.id) + " (" + row.event_type +
                         ") unpublished past the saga timeout; " + relay_holder(tick, session, row.table)};
    }
    return std::nullopt;
  }

  std::optional<Verdict> dead_letter_verdict(Tick& tick, bool matching_group,
                                             const std::function<bool(const detail::EventRefs&)>& match) {
    for (const auto& letter : tick.dead_letters) {
      if ((letter.group == options.matching_group) != matching_group || !match(letter.refs)) continue;
      const std::string stage = stage_of(letter.group);
      return Verdict{stage + "_dead_letter",
                     "dead letter " + std::to_string(letter.id) + " of " + letter.group + " (" +
                         letter.topic + "[" + std::to_string(letter.partition) + "]@" +
                         std::to_string(letter.offset) + ", " + letter.refs.event_type + "): " +
                         letter.error,
                     letter.id};
    }
    return std::nullopt;
  }

  // Why the order is still PENDING past the timeout.
  Result<Verdict> classify_order(Tick& tick, soci::session& session, const detail::StuckOrder& order) {
    const auto mine = [&](const detail::EventRefs& refs) { return refs.mentions_order(order.order_id); };
    const auto created = [&](const detail::EventRefs& refs) {
      return refs.event_type == "OrderCreated" && refs.order_id == order.order_id;
    };
    if (auto v = dead_letter_verdict(tick, /*matching_group=*/true, created)) {
      v->saga_class = std::string(saga_class::kMatchingDeadLetter);
      return *v;
    }
    if (auto v = unpublished_verdict(tick, session, kOrderOutbox, created)) return *v;
    auto matching = stage_lag(tick, session, "matching", options.matching_group,
                              options.order_events_topic, order.symbol, /*matching=*/true);
    if (!matching) return matching.error();
    if (*matching) return **matching;
    if (auto v = dead_letter_verdict(tick, false, mine)) return *v;
    if (auto v = unpublished_verdict(tick, session, kMatchingOutbox, mine)) return *v;
    auto status = stage_lag(tick, session, "order_status", options.order_status_group,
                            options.matching_events_topic, order.symbol, false);
    if (!status) return status.error();
    if (*status) return **status;
    return Verdict{std::string(saga_class::kUnexplained),
                   "order " + std::to_string(order.order_id) +
                       ": every stage is past its event and nothing is dead-lettered"};
  }

  // Why the trade is still unsettled past the timeout.
  Result<Verdict> classify_trade(Tick& tick, soci::session& session, const detail::StuckTrade& trade) {
    const auto mine = [&](const detail::EventRefs& refs) { return refs.trade_id == trade.trade_id; };
    if (auto v = dead_letter_verdict(tick, false, mine)) return *v;
    if (auto v = unpublished_verdict(tick, session, kMatchingOutbox, mine)) return *v;
    auto settlement = stage_lag(tick, session, "settlement", options.settlement_group,
                                options.matching_events_topic, trade.symbol, false);
    if (!settlement) return settlement.error();
    if (*settlement) return **settlement;
    if (auto v = unpublished_verdict(tick, session, kAccountOutbox, mine)) return *v;
    auto status = stage_lag(tick, session, "order_status_account", options.order_status_account_group,
                            options.account_events_topic, trade.symbol, false);
    if (!status) return status.error();
    if (*status) return **status;
    return Verdict{std::string(saga_class::kUnexplained),
                   "trade " + std::to_string(trade.trade_id) +
                       ": every stage is past its event and nothing is dead-lettered"};
  }

  void count(Tick& tick, const std::string& subject, const std::string& saga_class,
             std::string_view action, const std::string& detail) {
    actions.with({saga_class, action}).inc();
    tick.report.classes.push_back(subject + " " + saga_class);
    if (action == kCompensate) {
      ++tick.report.compensations;
      log::warn("saga: compensated", {{"subject", subject}, {"class", saga_class}, {"detail", detail}});
    } else {
      ++tick.report.alerts;
      log::error("saga: stuck", {{"subject", subject}, {"class", saga_class}, {"detail", detail}});
    }
  }

  Status alert(Tick& tick, const std::string& subject, const Verdict& verdict) {
    bool recorded = false;
    const std::string detail = clip(verdict.detail);
    Status done = pool.with_session([&](soci::session& session) {
      recorded = detail::record_action(session, subject, verdict.saga_class, kAlert, detail);
    });
    if (!done) return done;
    if (recorded) count(tick, subject, verdict.saga_class, kAlert, detail);
    return Status::success();
  }

  // The order can never be placed: release its reservation through the account module
  // and make it REJECTED, with the saga row and the dead letter's answer, in ONE
  // transaction. The saga row's UNIQUE key makes a second run write nothing.
  Status compensate(Tick& tick, std::int64_t order_id, const Verdict& verdict) {
    const std::string subject = "order:" + std::to_string(order_id);
    bool recorded = false;
    std::string detail;
    Status done = pool.in_transaction(
        [&](soci::session& session) -> Status {
          recorded = false;
          const auto status = detail::order_status(session, order_id);
          if (!status || *status != "PENDING") return Status::success();  // moved on meanwhile
          auto release = accounts.release_reservation(session, OrderId(order_id), "saga:" + subject);
          if (!release) return release.error();
          detail = clip(verdict.detail + "; reservation " + account::to_string(release->status) +
                        (release->status == account::ReleaseStatus::kReleased
                             ? " (cash " + release->cash.to_string() + ", shares " +
                                   std::to_string(release->shares.value()) + ")"
                             : std::string()));
          if (!detail::record_action(session, subject, verdict.saga_class, kCompensate, detail)) {
            // Done before (another tick or scheduler): undo this attempt's release.
            return Error{ErrorCode::kConflict, "already compensated", "saga_already_compensated"};
          }
          detail::reject_pending_order(session, order_id, kCompensationRejectReason);
          detail::answer_dead_letter(session, verdict.dead_letter_id, "compensated");
          recorded = true;
          return Status::success();
        },
        3, db::Isolation::kReadCommitted);
    if (!done && done.error().reason == "saga_already_compensated") return Status::success();
    if (!done) return done;
    if (recorded) count(tick, subject, verdict.saga_class, kCompensate, detail);
    return Status::success();
  }

  Status prune(Tick& tick) {
    const auto now = clock.now();
    const auto cutoff = [&](std::chrono::hours retention) { return to_micros(now - retention); };
    struct Job {
      std::string_view table;
      std::string_view column;
      Micros cutoff;
      std::string_view condition;
    };
    const Job jobs[] = {
        {"processed_events", "processed_at", cutoff(options.processed_events_retention), {}},
        {"order_idempotency_keys", "created_at", cutoff(options.idempotency_key_retention), {}},
        {"dead_letters", "answered_at", cutoff(options.dead_letter_retention), "answered_at IS NOT NULL"},
    };
    for (const Job& job : jobs) {
      for (int chunk = 0; chunk < kMaxPruneChunksPerTick; ++chunk) {
        std::size_t deleted = 0;
        Status done = pool.with_session([&](soci::session& session) {
          deleted = detail::delete_before(session, job.table, job.column, job.cutoff, kPruneChunkRows,
                                          job.condition);
        });
        if (!done) return done;
        if (deleted > 0) pruned.with({job.table}).inc(deleted);
        tick.report.pruned_rows += deleted;
        if (deleted < kPruneChunkRows) break;
      }
    }
    std::size_t snapshots = 0;
    Status done = pool.with_session([&](soci::session& session) {
      snapshots = detail::prune_matching_snapshots(session, options.snapshots_kept,
                                                   cutoff(options.snapshot_retention));
    });
    if (!done) return done;
    if (snapshots > 0) pruned.with({"matching_snapshots"}).inc(snapshots);
    tick.report.pruned_rows += snapshots;
    return Status::success();
  }

  Result<TickReport> run_once() {
    Tick tick;
    tick.cutoff = to_micros(clock.now() - options.saga_timeout);
    std::vector<detail::StuckOrder> orders;
    std::vector<detail::StuckTrade> trades;
    Status loaded = pool.with_session([&](soci::session& session) {
      for (const auto table : {kOrderOutbox, kMatchingOutbox, kAccountOutbox}) {
        auto rows = detail::unpublished_rows(session, std::string(table), tick.cutoff, kMaxScanRowsPerTick);
        tick.unpublished.insert(tick.unpublished.end(), rows.begin(), rows.end());
      }
      tick.dead_letters = detail::unanswered_dead_letters(session, kMaxScanRowsPerTick);
      orders = detail::pending_orders_before(session, tick.cutoff, kMaxSubjectsPerTick);
      trades = detail::unsettled_trades_before(session, tick.cutoff, kMaxSubjectsPerTick);
    });
    if (!loaded) return loaded.error();
    tick.report.acted = true;
    tick.report.stuck_orders = orders.size();
    tick.report.stuck_trades = trades.size();
    stuck_gauge.set(static_cast<double>(orders.size() + trades.size()));

    Status failed = Status::success();
    const auto note = [&](const Status& status) {
      if (!status && failed) failed = status;
    };
    for (const auto& order : orders) {
      Result<Verdict> verdict = Error{ErrorCode::kInternal, "unset", ""};
      Status done = pool.with_session([&](soci::session& session) { verdict = classify_order(tick, session, order); });
      if (!done) return done.error();
      if (!verdict) {
        log::warn("saga: cannot classify an order this tick",
                  {{"order_id", order.order_id}, {"error", verdict.error().message}});
        note(Status(verdict.error()));
        continue;
      }
      if (verdict->saga_class == saga_class::kMatchingDeadLetter) {
        note(compensate(tick, order.order_id, *verdict));
      } else {
        note(alert(tick, "order:" + std::to_string(order.order_id), *verdict));
      }
    }
    for (const auto& trade : trades) {
      Result<Verdict> verdict = Error{ErrorCode::kInternal, "unset", ""};
      Status done = pool.with_session([&](soci::session& session) { verdict = classify_trade(tick, session, trade); });
      if (!done) return done.error();
      if (!verdict) {
        log::warn("saga: cannot classify a trade this tick",
                  {{"trade_id", trade.trade_id}, {"error", verdict.error().message}});
        note(Status(verdict.error()));
        continue;
      }
      note(alert(tick, "trade:" + std::to_string(trade.trade_id), *verdict));
    }
    // Every dead letter is named once by its own alert (settlement and release dead
    // letters of orders that are no longer PENDING, undecodable matching inputs).
    for (const auto& letter : tick.dead_letters) {
      if (letter.group == options.matching_group && letter.refs.event_type == "OrderCreated" &&
          letter.refs.order_id > 0) {
        continue;  // its order is compensated (or has moved on) above
      }
      const std::string stage = stage_of(letter.group);
      Verdict verdict{stage + "_dead_letter",
                      letter.group + " gave up on " + letter.topic + "[" + std::to_string(letter.partition) +
                          "]@" + std::to_string(letter.offset) + " (" +
                          (letter.refs.envelope ? letter.refs.event_type : std::string("not an envelope")) +
                          "): " + letter.error + "; retry with POST /v1/admin/dead-letters/" +
                          std::to_string(letter.id) + "/retry once the cause is fixed"};
      note(alert(tick, "dead_letter:" + std::to_string(letter.id), verdict));
    }
    note(prune(tick));
    if (!failed) return failed.error();
    return tick.report;
  }
};

Result<std::unique_ptr<SagaScheduler>> SagaScheduler::create(db::ConnectionPool& pool, db::DbConfig lease_db,
                                                             account::AccountService& accounts,
                                                             metrics::Registry& registry, const Clock& clock,
                                                             std::unique_ptr<LogEnds> log_ends,
                                                             SagaSchedulerOptions options) {
  if (Status valid = validate(options); !valid) return valid.error();
  if (!log_ends) return Error::invalid("log ends are required", "invalid_scheduler_option");
  return std::unique_ptr<SagaScheduler>(new SagaScheduler(std::make_unique<State>(
      pool, std::move(lease_db), accounts, registry, clock, std::move(log_ends), std::move(options))));
}

SagaScheduler::SagaScheduler(std::unique_ptr<State> state) : state_(std::move(state)) {}

SagaScheduler::~SagaScheduler() { stop(); }

Result<TickReport> SagaScheduler::run_once() {
  State& s = *state_;
  s.ticks.inc();
  auto report = s.run_once();
  if (!report) s.tick_failures.inc();
  return report;
}

Result<TickReport> SagaScheduler::run_once_with_lease() {
  State& s = *state_;
  if (!s.lease.held()) {
    auto taken = s.lease.try_acquire();
    if (!taken) return taken.error();
    if (!*taken) {
      s.held = false;
      s.lease_gauge.set(0);
      return TickReport{};
    }
    log::info("saga scheduler: lease taken", {{"lease", s.lease.name()}, {"instance", s.options.instance_id}});
  } else {
    auto still = s.lease.still_held();
    if (!still || !*still) {
      s.held = false;
      s.lease_gauge.set(0);
      log::warn("saga scheduler: lease lost", {{"lease", s.lease.name()}});
      if (!still) return still.error();
      return TickReport{};
    }
  }
  s.held = true;
  s.lease_gauge.set(1);
  return run_once();
}

void SagaScheduler::start() {
  State& s = *state_;
  if (s.thread.joinable()) return;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = false;
  }
  s.thread = std::thread([this] {
    set_current_thread_name("saga-scheduler");
    State& st = *state_;
    while (true) {
      auto report = run_once_with_lease();
      if (!report) log::warn("saga scheduler: tick failed", {{"error", report.error().message}});
      std::unique_lock lock(st.mutex);
      if (st.wake.wait_for(lock, st.options.interval, [&] { return st.stopping; })) break;
    }
  });
}

void SagaScheduler::stop() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
  }
  s.wake.notify_all();
  if (s.thread.joinable()) s.thread.join();
  s.lease.release();
  s.held = false;
  s.lease_gauge.set(0);
}

bool SagaScheduler::lease_held() const noexcept { return state_->held.load(); }

}  // namespace bourse::scheduler
