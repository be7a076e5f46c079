// The order module's facade: order entry with reserve-at-entry, a transactional outbox
// and group commit; order queries; cancel requests.
//
// Order entry. submit() validates, then queues the request for the committer of the
// user's lane (options.committer_lanes; a user always maps to the same lane, so lanes
// lock disjoint accounts and never wait for each other's rows) and returns at once (it never blocks: callable from an I/O thread). The committer takes up
// to options.max_group_size queued requests and handles them in ONE transaction (READ
// COMMITTED): it reserves every new order's cash or shares through the account module
// (account::AccountService::reserve_orders: row locks in the global lock order, decisions
// in arrival order) and, per reserved order, writes the `orders` row (with what it
// reserved), the OrderCreated event in `order_outbox` (topic options.order_events_topic,
// key = symbol) and, with an Idempotency-Key, the `order_idempotency_keys` row holding the
// exact answer. An order that cannot be reserved gets a 422 (reasons insufficient_funds,
// insufficient_shares, unknown_account, order_value_out_of_range) and nothing of it is
// written but its Idempotency-Key's answer; the rest of its group commits normally. Only
// after COMMIT returns does it call each request's `done`: never 202 without a commit.
//   - Queue full, or the service stopping: done(kUnavailable) at once (503).
//   - Idempotency keys (scoped per user): duplicates within one group are answered in
//     memory from the first; a key already stored answers with the stored response (202
//     or 422) if the request hash is equal, else 422 idempotency_key_reused. A
//     duplicate-key error from the database (another instance committed the key
//     meanwhile) retries the group, whose key lookup then finds the stored answer.
//   - Deadlocks and duplicate keys: the group is retried up to options.max_group_attempts
//     times, then 503. Database unavailable: every caller of the group gets 503. Any
//     other failure is retried one order per transaction, so only the order at fault gets
//     the error (500).
//
// Threads: one committer thread per lane, owned by the service (started by the constructor,
// joined by stop() or the destructor). `done` runs on the committer thread (or on the
// caller's thread for immediate failures); it must not block for long.
// Other calls (get_order, list_orders, list_trades, request_cancel) block on the database: call them
// from a blocking pool, never from an I/O thread. All members are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bourse/account/account_service.h"
#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/common/reference_price_source.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"
#include "bourse/order/order.h"
#include "bourse/order/order_limits.h"
#include "bourse/order/order_request.h"
#include "bourse/order/trade.h"

namespace bourse::order {

struct OrderServiceOptions {
  // Full topic name of OrderCreated / CancelRequested, e.g. "bourse.order-events".
  std::string order_events_topic = "bourse.order-events";
  std::size_t max_queue_depth = limits::kDefaultMaxQueueDepth;  // 1..kMaxQueueDepth
  std::size_t max_group_size = limits::kDefaultMaxGroupSize;    // 1..kMaxGroupSize
  // Committer lanes, 1..kMaxCommitterLanes: a user's submissions always go to lane
  // hash(user_id) % lanes; each lane has its own queue (max_queue_depth each) and thread
  // and commits its groups independently of the others.
  std::size_t committer_lanes = 1;
  int max_group_attempts = limits::kDefaultMaxGroupAttempts;    // >= 1
  // Called after each COMMIT that wrote rows to order_outbox (a group with a new order, a
  // new cancel request), on the committing thread: e.g. outbox::Relay::wake(), so the
  // relay publishes at once instead of at its next poll. Must be cheap and never block.
  std::function<void()> outbox_committed;
  // The current reference price of each symbol: the price band checked by
  // parse_request()/submit() and the base of a market BUY's cash cap, read when the
  // committer reserves it. nullptr: the configured reference_price. Must outlive the
  // service. An accepted order keeps what it reserved when the reference moves later.
  const ReferencePriceSource* reference_prices = nullptr;
  // Where the committer reports its groups, nullptr for nowhere: histograms
  // bourse_order_group_seconds (one group, from taking it off the queue until its
  // transaction is done, retries included: the part of an accept latency spent
  // committing; observed before the group's answers go out),
  // bourse_order_group_requests (requests per group), bourse_order_queue_seconds (each
  // request's wait in the queue until its group starts: the other part of an accept
  // latency) and bourse_order_group_last_round_trip_seconds (a group's writes and COMMIT,
  // sent together: the part of bourse_order_group_seconds after its reads; only groups
  // that wrote). Must outlive the service.
  metrics::Registry* metrics = nullptr;
};

Status validate(const OrderServiceOptions& options);

// The answer to one submission that reached a decision (or its replay): 202 with the
// new order, or 422 when its cash or shares could not be reserved.
struct SubmitResult {
  int http_status = 202;  // 202 or 422
  OrderId order_id;       // 202: the new order (status PENDING: reserved, not yet on a book)
  std::string body;       // 202: the exact body, {"order_id":N,"status":"PENDING"}
  // 422: kInvalidArgument with reason insufficient_funds, insufficient_shares,
  // unknown_account or order_value_out_of_range and a detail (available vs needed).
  std::optional<Error> rejection;
  bool replayed = false;  // an idempotent replay of an earlier answer
};

// Counters of the committer since start (for metrics and tests).
struct CommitStats {
  std::uint64_t groups_committed = 0;  // successful group transactions
  std::uint64_t orders_committed = 0;  // orders created by them
  std::uint64_t group_retries = 0;     // attempts repeated after a deadlock / duplicate key
  std::uint64_t orders_rejected = 0;   // answered 422 (nothing reserved, nothing written)
};

struct ListQuery {
  std::optional<std::string> user_id;
  std::optional<std::string> symbol;
  std::optional<OrderStatus> status;
  int limit = limits::kDefaultListLimit;  // 1..kMaxListLimit
  std::optional<OrderId> starting_after;  // cursor: orders with a smaller id
};

struct OrderPage {
  std::vector<Order> orders;  // descending order_id
  bool has_more = false;
};

struct CancelResult {
  OrderId order_id;
  OrderStatus status = OrderStatus::kPending;  // the order's status now
  bool already_requested = false;              // no new CancelRequested was written
};

class OrderService {
 public:
  using SubmitCallback = std::function<void(Result<SubmitResult>)>;

  // `pool`, `accounts`, `instruments` and `clock` must outlive the service.
  // REQUIRES: validate(options).ok().
  OrderService(db::ConnectionPool& pool, account::AccountService& accounts,
               const InstrumentTable& instruments, OrderServiceOptions options,
               const Clock& clock = SystemClock::instance());
  ~OrderService();
  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  // Validates a POST /v1/orders body against the symbol table (order_request.h).
  Result<OrderRequest> parse_request(const boost::json::object& body) const;

  // Queues `request` for the committer; `done` is called exactly once (see above).
  // `idempotency_key`: 1..bourse::limits::kMaxIdempotencyKeyLength visible ASCII
  // characters, else done(422 invalid_idempotency_key).
  void submit(OrderRequest request, std::optional<std::string> idempotency_key,
              SubmitCallback done);

  // Errors: kNotFound (reason "order_not_found").
  Result<Order> get_order(OrderId order_id);
  // Errors: kInvalidArgument for a limit outside 1..kMaxListLimit ("invalid_limit").
  Result<OrderPage> list_orders(const ListQuery& query);
  // The trade record (trade.h), newest first. Errors: kInvalidArgument for a limit outside
  // 1..kMaxTradeListLimit ("invalid_limit") or a starting_after that names no stored
  // trade ("invalid_cursor").
  Result<TradePage> list_trades(const TradeQuery& query);
  // Writes CancelRequested for a PENDING/OPEN/PARTIALLY_FILLED order (once: a repeated
  // request writes nothing and reports already_requested). Errors: kNotFound;
  // kConflict "order_not_cancellable" for REJECTED/FILLED/CANCELLED.
  Result<CancelResult> request_cancel(OrderId order_id);

  // Stops taking submissions (later ones get kUnavailable), commits what is queued and
  // joins the committer. Idempotent.
  void stop();

  // Submissions queued and not yet taken by the committer.
  std::size_t queue_depth() const;
  CommitStats commit_stats() const;

 private:
  class Committer;
  db::ConnectionPool& pool_;
  const InstrumentTable& instruments_;
  const OrderServiceOptions options_;
  const ReferencePriceSource& references_;
  const Clock& clock_;
  std::vector<std::unique_ptr<Committer>> lanes_;  // committer_lanes of them

  Committer& lane_of(const std::string& user_id);
};

}  // namespace bourse::order
