// The order module's facade: order entry with a transactional outbox and group commit,
// order queries, and cancel requests.
//
// Order entry. submit() validates, then queues the request for the committer thread and
// returns at once (it never blocks: callable from an I/O thread). The committer takes up
// to options.max_group_size queued requests and writes them in ONE transaction: per
// order the `orders` row, the OrderCreated event in `order_outbox` (topic
// options.order_events_topic, key = symbol) and, with an Idempotency-Key, the
// `order_idempotency_keys` row holding the exact answer. Only after COMMIT returns does it
// call each request's `done` (DESIGN.md invariant 2: never 202 without a commit).
//   - Queue full, or the service stopping: done(kUnavailable) at once (503).
//   - The user is checked through UserDirectory before the transaction: unknown ->
//     422 unknown_user; directory failure -> its error (503).
//   - Idempotency keys (scoped per user): duplicates within one group are answered in
//     memory from the first; a key already stored answers with the stored response if
//     the request hash is equal, else 422 idempotency_key_reused. A duplicate-key error
//     from the database (another instance committed the key meanwhile) retries the
//     group, whose key lookup then finds the stored answer.
//   - Deadlocks and duplicate keys: the group is retried up to options.max_group_attempts
//     times, then 503. Database unavailable: every caller of the group gets 503. Any
//     other failure is retried one order per transaction, so only the order at fault gets
//     the error (500).
//
// Threads: one committer thread, owned by the service (started by the constructor,
// joined by stop() or the destructor). `done` runs on the committer thread (or on the
// caller's thread for immediate failures); it must not block for long.
// Other calls (get_order, list_orders, request_cancel) block on the database: call them
// from a blocking pool, never from an I/O thread. All members are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/clock.h"
#include "bourse/common/error.h"
#include "bourse/common/ids.h"
#include "bourse/db/connection_pool.h"
#include "bourse/order/order.h"
#include "bourse/order/order_limits.h"
#include "bourse/order/order_request.h"
#include "bourse/order/user_directory.h"

namespace bourse::order {

struct OrderServiceOptions {
  // Full topic name of OrderCreated / CancelRequested, e.g. "bourse.order-events".
  std::string order_events_topic = "bourse.order-events";
  std::size_t max_queue_depth = limits::kDefaultMaxQueueDepth;  // 1..kMaxQueueDepth
  std::size_t max_group_size = limits::kDefaultMaxGroupSize;    // 1..kMaxGroupSize
  int max_group_attempts = limits::kDefaultMaxGroupAttempts;    // >= 1
};

Status validate(const OrderServiceOptions& options);

// The answer to one accepted (or replayed) submission.
struct SubmitResult {
  OrderId order_id;
  std::string status = "PENDING";
  bool replayed = false;  // an idempotent replay of an earlier answer
  int http_status = 202;  // the exact answer to send (stored for replays)
  std::string body;       // {"order_id":N,"status":"PENDING"}
};

// Counters of the committer since start (for metrics and tests).
struct CommitStats {
  std::uint64_t groups_committed = 0;  // successful group transactions
  std::uint64_t orders_committed = 0;  // orders created by them
  std::uint64_t group_retries = 0;     // attempts repeated after a deadlock / duplicate key
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

  // `pool`, `users`, `instruments` and `clock` must outlive the service.
  // REQUIRES: validate(options).ok().
  OrderService(db::ConnectionPool& pool, UserDirectory& users, const InstrumentTable& instruments,
               OrderServiceOptions options, const Clock& clock = SystemClock::instance());
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
  const Clock& clock_;
  std::unique_ptr<Committer> committer_;
};

}  // namespace bourse::order
