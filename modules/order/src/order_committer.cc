#include "order_committer.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <utility>

#include "bourse/common/thread_name.h"
#include "bourse/db/sql_error.h"
#include "bourse/json/fields.h"
#include "bourse/order/events.h"
#include "bourse/outbox/outbox_writer.h"

namespace bourse::order {
namespace {

std::string accepted_body(OrderId order_id) {
  return boost::json::serialize(boost::json::object{{"order_id", order_id.value()},
                                                    {"status", to_string(OrderStatus::kPending)}});
}

// What a 422 stores under its Idempotency-Key: the problem's reason and detail.
std::string rejection_body(const account::Rejected& rejected) {
  return boost::json::serialize(
      boost::json::object{{"reason", to_string(rejected.reason)}, {"detail", rejected.detail()}});
}

// The 422 error of a stored rejection body.
Error rejection_of(const std::string& body) {
  auto parsed = json::parse_object(body);
  BOURSE_ASSERT(parsed.ok(), "a stored rejection is a JSON object");
  auto reason = json::require_string(*parsed, "reason");
  auto detail = json::require_string(*parsed, "detail");
  BOURSE_ASSERT(reason.ok() && detail.ok(), "a stored rejection has a reason and a detail");
  return Error::invalid(*detail, *reason);
}

// What the account module must hold for `request`: a market BUY's cap is computed from
// the reference price current now (the order then keeps what it reserved).
account::ReservationRequest reservation_request(const OrderRequest& request,
                                                const InstrumentTable& instruments,
                                                const ReferencePriceSource& references) {
  const Instrument& instrument = instruments.at(request.symbol);  // validated on submit
  account::ReservationRequest reservation;
  reservation.user_id = request.user_id;
  reservation.symbol = request.symbol;
  reservation.side = request.side;
  reservation.type = request.type;
  reservation.quantity = request.quantity;
  if (request.price) reservation.limit_price = *request.price;
  reservation.reference_price = with_live_reference(instrument, references).reference_price;
  reservation.band_basis_points = instrument.price_band_bps;
  return reservation;
}

store::NewOrder new_order(const OrderRequest& request, const account::Reserved& reserved) {
  store::NewOrder order{&request, {}, {}, {}};
  if (request.side == Side::kBuy) {
    order.reserved_cash = reserved.cash;
    if (request.type == OrderType::kMarket) order.cash_cap = reserved.cash;
  } else {
    order.reserved_quantity = reserved.shares;
  }
  return order;
}

OrderCreated order_created(OrderId order_id, const OrderRequest& request,
                           const account::Reserved& reserved) {
  const store::NewOrder order = new_order(request, reserved);
  return OrderCreated{order_id,
                      request.user_id,
                      request.symbol,
                      request.side,
                      request.type,
                      request.time_in_force,
                      request.quantity,
                      request.price,
                      order.reserved_cash,
                      order.reserved_quantity,
                      order.cash_cap};
}

Error key_reused() {
  return Error::invalid("Idempotency-Key was already used with a different request",
                        "idempotency_key_reused");
}

}  // namespace

OrderService::Committer::Committer(db::ConnectionPool& pool, account::AccountService& accounts,
                                   const InstrumentTable& instruments,
                                   const ReferencePriceSource& references,
                                   const OrderServiceOptions& options, const Clock& clock)
    : pool_(pool),
      accounts_(accounts),
      instruments_(instruments),
      references_(references),
      options_(options),
      clock_(clock),
      order_ids_(pool),
      group_seconds_(options.metrics == nullptr
                         ? nullptr
                         : &options.metrics
                                ->histogram("bourse_order_group_seconds",
                                            "Time of one order-entry group, from the queue to "
                                            "its answers (retries included)",
                                            {})
                                .with({})),
      group_requests_(options.metrics == nullptr
                          ? nullptr
                          : &options.metrics
                                 ->histogram("bourse_order_group_requests",
                                             "Order requests per order-entry group", {},
                                             {1, 2, 5, 10, 20, 50, 100, 200, 256})
                                 .with({})),
      queue_seconds_(options.metrics == nullptr
                         ? nullptr
                         : &options.metrics
                                ->histogram("bourse_order_queue_seconds",
                                            "Time an order request waited in the committer "
                                            "queue for its group to start",
                                            {})
                                .with({})),
      last_round_trip_seconds_(
          options.metrics == nullptr
              ? nullptr
              : &options.metrics
                     ->histogram("bourse_order_group_last_round_trip_seconds",
                                 "Time of a committed group's last round trip: its writes and "
                                 "COMMIT, sent together",
                                 {})
                     .with({})),
      thread_([this] {
        set_current_thread_name("order-commit");
        run();
      }) {}

OrderService::Committer::~Committer() { stop(); }

bool OrderService::Committer::enqueue(Pending& pending) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue_depth) return false;
    pending.queued_at = std::chrono::steady_clock::now();
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
  return CommitStats{groups_committed_.load(), orders_committed_.load(), group_retries_.load(),
                     orders_rejected_.load()};
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

void OrderService::Committer::process_group(std::vector<Pending>& group) {
  const auto started = std::chrono::steady_clock::now();
  if (queue_seconds_ != nullptr) {
    for (const Pending& pending : group) {
      queue_seconds_->observe(std::chrono::duration<double>(started - pending.queued_at).count());
    }
  }
  // 1. One leader per (user, key); the followers get the leader's answer, in memory.
  std::vector<Pending*> leaders;
  std::vector<std::vector<Pending*>> followers;
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> leader_of_key;
  for (Pending& pending_ref : group) {
    Pending* pending = &pending_ref;
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
  // 2. Commit, then answer: nobody hears 202 (or 422) before COMMIT returned.
  std::vector<Outcome> outcomes = commit(leaders);
  BOURSE_ASSERT(outcomes.size() == leaders.size(), "one outcome per leader");
  if (group_seconds_ != nullptr) {  // observed before anyone hears the answer
    group_seconds_->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    group_requests_->observe(static_cast<double>(group.size()));
  }
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
  // Optimistic first (the balances read without locks, so a settlement batch and this
  // group hold each other's cash rows only for their last writes); once under locks if
  // another instance's group reserved the same funds in between.
  account::BalanceReads reads = account::BalanceReads::kOptimistic;
  for (int attempt = 1; attempt <= options_.max_group_attempts; ++attempt) {
    writes_handed_at_.reset();
    Status written = order_ids_.reserve(leaders.size());
    if (written) written = write_group(leaders, outcomes, reads);
    if (written) {
      if (last_round_trip_seconds_ != nullptr && writes_handed_at_) {
        last_round_trip_seconds_->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - *writes_handed_at_)
                .count());
      }
      ++groups_committed_;
      bool wrote_events = false;
      for (const Outcome& outcome : outcomes) {
        if (!outcome.fresh) continue;
        ++(outcome.bound->order_id ? orders_committed_ : orders_rejected_);
        wrote_events = wrote_events || outcome.bound->order_id.has_value();
      }
      if (wrote_events && options_.outbox_committed) options_.outbox_committed();
      return outcomes;
    }
    const Error& error = written.error();
    if (error.reason == account::kBalancesMovedReason &&
        reads == account::BalanceReads::kOptimistic) {
      reads = account::BalanceReads::kLocking;  // decided again on locked balances
      ++group_retries_;
      --attempt;  // at most once: it does not use up an attempt
      continue;
    }
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

// A constant number of round trips per group, whatever its size: one key lookup (only
// when a leader has a key); the reservation's reads (the cash rows, the positions when the
// group sells - plain or locking, `reads`); then ONE batch (db/sql_batch.h) with every
// write - the orders (numbered from order_ids_), reservations, ledger entries, the relative
// balance updates, the OrderCreated events, the keys - and the COMMIT. Under kOptimistic
// the reads run before the transaction (Begin::kWithLastWrites): BEGIN travels with that
// batch, so the group holds its locks for one round trip; the balance UPDATEs' CHECKs and
// the keys' unique index prove what the reads assumed. Under kLocking the transaction
// opens first and the reads lock. READ COMMITTED: locking reads of rows that do not exist
// (an unknown account, a symbol never held) take no gap locks.
Status OrderService::Committer::write_group(const std::vector<Pending*>& leaders,
                                            std::vector<Outcome>& outcomes,
                                            account::BalanceReads reads) {
  return pool_.in_transaction_ending_with(
      [&](soci::session& session) -> Result<db::ConnectionPool::LastWrites> {
        outcomes.assign(leaders.size(), Outcome{});
        db::ConnectionPool::LastWrites last_writes;
        // 1. Keys stored earlier (by us or another instance) bind their leaders.
        std::vector<store::IdempotencyKey> keys;
        for (const Pending* pending : leaders) {
          if (pending->idempotency_key) {
            keys.emplace_back(pending->request.user_id, *pending->idempotency_key);
          }
        }
        std::map<store::IdempotencyKey, store::StoredAnswer> stored =
            store::find_idempotency_keys(session, keys);
        std::vector<std::size_t> creating;  // indexes into leaders of the new requests
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
        }
        if (creating.empty()) return last_writes;
        std::vector<db::SqlStatement> outbox_writes;
        if (Status created =
                create_orders(session, leaders, creating, outcomes, reads, last_writes, outbox_writes);
            !created) {
          return created.error();
        }
        // 4. The keys with their exact answers, 202 and 422 alike.
        std::vector<store::IdempotencyKeyRow> key_rows;
        for (std::size_t i : creating) {
          const Pending& pending = *leaders[i];
          if (pending.idempotency_key) {
            key_rows.push_back(store::IdempotencyKeyRow{
                store::IdempotencyKey(pending.request.user_id, *pending.idempotency_key),
                *outcomes[i].bound});
          }
        }
        if (!key_rows.empty()) last_writes.push_back(store::idempotency_keys_insert(key_rows));
        // 5. The events, last (outbox_writer.h "Ids").
        for (db::SqlStatement& write : outbox_writes) last_writes.push_back(std::move(write));
        writes_handed_at_ = std::chrono::steady_clock::now();  // the pool sends them now
        return last_writes;
      },
      /*max_attempts=*/1, db::Isolation::kReadCommitted,
      reads == account::BalanceReads::kOptimistic
          ? db::ConnectionPool::Begin::kWithLastWrites
          : db::ConnectionPool::Begin::kBeforeWork);
}

Status OrderService::Committer::create_orders(soci::session& session,
                                              const std::vector<Pending*>& leaders,
                                              const std::vector<std::size_t>& creating,
                                              std::vector<Outcome>& outcomes,
                                              account::BalanceReads reads,
                                              std::vector<db::SqlStatement>& last_writes,
                                              std::vector<db::SqlStatement>& outbox_writes) {
  static_assert(limits::kMaxGroupSize <= outbox::kMaxAppendBatch,
                "a whole group's OrderCreated events fit in one append");
  static_assert(limits::kMaxGroupSize <= account::kMaxReservationBatch,
                "a whole group is reserved in one reserve_orders");
  std::vector<account::ReservationRequest> requests;
  requests.reserve(creating.size());
  for (std::size_t i : creating) {
    requests.push_back(reservation_request(leaders[i]->request, instruments_, references_));
  }
  // 2. Reserve; the account module calls back in between its reads and its writes for the
  //    reserved orders' ids (so that each reservation row carries its order's id); their
  //    INSERT and then the account's writes join the group's last writes.
  std::vector<store::NewOrder> orders;
  auto decisions = accounts_.reserve_orders(
      session, requests,
      [&](std::span<const account::ReservationDecision> decided) -> Result<std::vector<OrderId>> {
        for (std::size_t j = 0; j < decided.size(); ++j) {
          if (const auto* reserved = std::get_if<account::Reserved>(&decided[j])) {
            orders.push_back(new_order(leaders[creating[j]]->request, *reserved));
          }
        }
        std::vector<OrderId> ids;
        ids.reserve(orders.size());
        for (std::size_t k = 0; k < orders.size(); ++k) ids.push_back(order_ids_.take());
        last_writes.push_back(store::orders_insert(orders, ids));
        return ids;
      },
      reads, &last_writes);
  if (!decisions) return decisions.error();
  BOURSE_ASSERT(decisions->size() == creating.size(), "one decision per order");

  // 3. The OrderCreated events of the reserved orders, in group order, and every answer.
  std::vector<outbox::OutboxEvent> events;
  events.reserve(orders.size());
  for (std::size_t j = 0; j < creating.size(); ++j) {
    Outcome& outcome = outcomes[creating[j]];
    const Pending& pending = *leaders[creating[j]];
    outcome.fresh = true;
    if (const auto* reserved = std::get_if<account::Reserved>(&(*decisions)[j])) {
      BOURSE_ASSERT(reserved->order_id.valid(), "a reserved order has its id");
      events.push_back(
          outbox::outbox_event(order_created(reserved->order_id, pending.request, *reserved),
                               options_.order_events_topic));
      outcome.bound = store::StoredAnswer{pending.request_hash, reserved->order_id, 202,
                                          accepted_body(reserved->order_id)};
    } else {
      const auto& rejected = std::get<account::Rejected>((*decisions)[j]);
      outcome.bound =
          store::StoredAnswer{pending.request_hash, std::nullopt, 422, rejection_body(rejected)};
    }
  }
  if (events.empty()) return Status::success();
  auto prepared = outbox::prepare_append(kOutboxTable, events, clock_);
  if (!prepared) return prepared.error();
  outbox_writes = std::move(prepared->statements);
  return Status::success();
}

void OrderService::Committer::complete(Pending& pending, const Outcome& outcome, bool leader) {
  if (outcome.error) return pending.done(*outcome.error);
  BOURSE_ASSERT(outcome.bound.has_value(), "a successful outcome is bound to an answer");
  const store::StoredAnswer& bound = *outcome.bound;
  if (bound.request_hash != pending.request_hash) return pending.done(key_reused());
  SubmitResult result;
  result.replayed = !(leader && outcome.fresh);
  result.http_status = bound.http_status;
  if (bound.order_id) {
    result.order_id = *bound.order_id;
    result.body = bound.body;
  } else {
    result.rejection = rejection_of(bound.body);
  }
  pending.done(std::move(result));
}

}  // namespace bourse::order
