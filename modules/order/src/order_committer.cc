#include "order_committer.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <utility>

#include "bourse/db/sql_error.h"
#include "bourse/outbox/outbox_writer.h"

namespace bourse::order {
namespace {

constexpr const char* kOrderOutbox = "order_outbox";

std::string accepted_body(OrderId order_id) {
  return boost::json::serialize(
      boost::json::object{{"order_id", order_id.value()}, {"status", "PENDING"}});
}

Error key_reused() {
  return Error::invalid("Idempotency-Key was already used with a different request",
                        "idempotency_key_reused");
}

}  // namespace

OrderService::Committer::Committer(db::ConnectionPool& pool, UserDirectory& users,
                                   const OrderServiceOptions& options, const Clock& clock)
    : pool_(pool), users_(users), options_(options), clock_(clock), thread_([this] { run(); }) {}

OrderService::Committer::~Committer() { stop(); }

bool OrderService::Committer::enqueue(Pending& pending) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue_depth) return false;
    queue_.push_back(std::move(pending));
  }
  wake_.notify_one();
  return true;
}

void OrderService::Committer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::size_t OrderService::Committer::depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

CommitStats OrderService::Committer::stats() const {
  return CommitStats{groups_committed_.load(), orders_committed_.load(), group_retries_.load()};
}

void OrderService::Committer::run() {
  std::vector<Pending> group;
  group.reserve(options_.max_group_size);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Stopping still drains the queue: everything queued was promised an answer.
      if (queue_.empty()) return;
      // Whatever arrived while the previous group committed forms the next group.
      while (!queue_.empty() && group.size() < options_.max_group_size) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    process_group(group);
    group.clear();
  }
}

Result<bool> OrderService::Committer::user_exists(const std::string& user_id) {
  if (known_users_.contains(user_id)) return true;
  Result<bool> exists = Error::internal("user directory failed");
  try {
    exists = users_.user_exists(user_id);
  } catch (const std::exception& error) {
    return Error::internal(std::string("user directory threw: ") + error.what());
  }
  if (exists.ok() && *exists) {
    if (known_users_.size() >= limits::kMaxKnownUsersCached) known_users_.clear();
    known_users_.insert(user_id);
  }
  return exists;
}

void OrderService::Committer::process_group(std::vector<Pending>& group) {
  // 1. Unknown users are answered before the transaction.
  std::vector<Pending*> accepted;
  accepted.reserve(group.size());
  for (Pending& pending : group) {
    auto exists = user_exists(pending.request.user_id);
    if (!exists) {
      pending.done(exists.error());
    } else if (!*exists) {
      pending.done(
          Error::invalid("no account for user " + pending.request.user_id, "unknown_user"));
    } else {
      accepted.push_back(&pending);
    }
  }
  // 2. One leader per (user, key); the followers get the leader's answer, in memory.
  std::vector<Pending*> leaders;
  std::vector<std::vector<Pending*>> followers;
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> leader_of_key;
  for (Pending* pending : accepted) {
    if (pending->idempotency_key) {
      auto [slot, inserted] =
          leader_of_key.try_emplace(std::pair<std::string_view, std::string_view>(
                                        pending->request.user_id, *pending->idempotency_key),
                                    leaders.size());
      if (!inserted) {
        followers[slot->second].push_back(pending);
        continue;
      }
    }
    leaders.push_back(pending);
    followers.emplace_back();
  }
  // 3. Commit, then answer: nobody hears 202 before COMMIT returned.
  std::vector<Outcome> outcomes = commit(leaders);
  BOURSE_ASSERT(outcomes.size() == leaders.size(), "one outcome per leader");
  for (std::size_t i = 0; i < leaders.size(); ++i) {
    complete(*leaders[i], outcomes[i], /*leader=*/true);
    for (Pending* follower : followers[i]) complete(*follower, outcomes[i], /*leader=*/false);
  }
}

std::vector<OrderService::Committer::Outcome> OrderService::Committer::commit(
    const std::vector<Pending*>& leaders) {
  std::vector<Outcome> outcomes;
  if (leaders.empty()) return outcomes;
  Error last = Error::unavailable("order entry is congested");
  for (int attempt = 1; attempt <= options_.max_group_attempts; ++attempt) {
    Status written = write_group(leaders, outcomes);
    if (written) {
      ++groups_committed_;
      for (const Outcome& outcome : outcomes) orders_committed_ += outcome.created ? 1 : 0;
      return outcomes;
    }
    const Error& error = written.error();
    if (db::is_retryable(error) || error.reason == db::kDuplicateKeyReason) {
      // A deadlock, or another instance committed one of our keys meanwhile: the next
      // attempt's key lookup finds its answer.
      last = Error::unavailable("order entry is congested: " + error.message);
      ++group_retries_;
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
      continue;
    }
    outcomes.assign(leaders.size(), Outcome{});
    if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTimeout) {
      for (Outcome& outcome : outcomes) outcome.error = error;
      return outcomes;
    }
    if (leaders.size() == 1) {
      outcomes[0].error = error;
      return outcomes;
    }
    // Possibly one order's fault: commit them one by one so only that one fails.
    for (std::size_t i = 0; i < leaders.size(); ++i) outcomes[i] = commit({leaders[i]})[0];
    return outcomes;
  }
  outcomes.assign(leaders.size(), Outcome{});
  for (Outcome& outcome : outcomes) outcome.error = last;
  return outcomes;
}

// A constant number of statements per group, whatever its size: one key lookup, one
// multi-row insert (+ its id read) each for orders and OrderCreated events, one multi-row
// key insert; then COMMIT.
Status OrderService::Committer::write_group(const std::vector<Pending*>& leaders,
                                            std::vector<Outcome>& outcomes) {
  static_assert(limits::kMaxGroupSize <= outbox::kMaxAppendBatch,
                "a whole group's OrderCreated events fit in one append_events");
  return pool_.in_transaction(
      [&](soci::session& session) -> Status {
        outcomes.assign(leaders.size(), Outcome{});
        // 1. Keys stored earlier (by us or another instance) bind their leaders.
        std::vector<store::IdempotencyKey> keys;
        for (const Pending* pending : leaders) {
          if (pending->idempotency_key) {
            keys.emplace_back(pending->request.user_id, *pending->idempotency_key);
          }
        }
        std::map<store::IdempotencyKey, store::StoredAnswer> stored =
            store::find_idempotency_keys(session, keys);
        std::vector<std::size_t> creating;  // indexes into leaders of the new orders
        std::vector<const OrderRequest*> requests;
        for (std::size_t i = 0; i < leaders.size(); ++i) {
          const Pending& pending = *leaders[i];
          if (pending.idempotency_key) {
            auto found = stored.find(
                store::IdempotencyKey(pending.request.user_id, *pending.idempotency_key));
            if (found != stored.end()) {
              outcomes[i].bound = std::move(found->second);
              continue;
            }
          }
          creating.push_back(i);
          requests.push_back(&pending.request);
        }
        if (creating.empty()) return Status::success();

        // 2. The orders; ids come back in `requests` order.
        auto order_ids = store::insert_orders(session, requests);
        if (!order_ids) return order_ids.error();
        BOURSE_ASSERT(order_ids->size() == creating.size(), "one id per inserted order");

        // 3. Their OrderCreated events, in the same order, each with its own order's id.
        std::vector<outbox::OutboxEvent> events;
        events.reserve(creating.size());
        for (std::size_t j = 0; j < creating.size(); ++j) {
          const OrderRequest& request = *requests[j];
          const OrderId order_id = (*order_ids)[j];
          events.push_back(outbox::OutboxEvent{
              "OrderCreated", options_.order_events_topic, request.symbol, "order",
              std::to_string(order_id.value()), store::order_created_data(order_id, request)});
        }
        auto appended = outbox::append_events(session, kOrderOutbox, events, clock_);
        if (!appended) return appended.error();
        BOURSE_ASSERT(appended->size() == creating.size(), "one outbox row per order");

        // 4. The keys with their exact answers.
        std::vector<store::IdempotencyKeyRow> key_rows;
        for (std::size_t j = 0; j < creating.size(); ++j) {
          const Pending& pending = *leaders[creating[j]];
          const OrderId order_id = (*order_ids)[j];
          store::StoredAnswer answer{pending.request_hash, order_id, 202, accepted_body(order_id)};
          if (pending.idempotency_key) {
            key_rows.push_back(store::IdempotencyKeyRow{
                store::IdempotencyKey(pending.request.user_id, *pending.idempotency_key), answer});
          }
          outcomes[creating[j]].bound = std::move(answer);
          outcomes[creating[j]].created = true;
        }
        store::insert_idempotency_keys(session, key_rows);
        return Status::success();
      },
      /*max_attempts=*/1);
}

void OrderService::Committer::complete(Pending& pending, const Outcome& outcome, bool leader) {
  if (outcome.error) return pending.done(*outcome.error);
  BOURSE_ASSERT(outcome.bound.has_value(), "a successful outcome is bound to an answer");
  const store::StoredAnswer& bound = *outcome.bound;
  if (bound.request_hash != pending.request_hash) return pending.done(key_reused());
  SubmitResult result;
  result.order_id = bound.order_id;
  result.status = "PENDING";
  result.replayed = !(leader && outcome.created);
  result.http_status = bound.http_status;
  result.body = bound.body;
  pending.done(std::move(result));
}

}  // namespace bourse::order
