// The group committer behind OrderService::submit: a bounded queue and one thread that
// writes queued orders in group transactions (contract in order_service.h).
//
// Thread-safety: enqueue/stop/depth/stats from any thread; everything else runs on the
// committer thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bourse/order/order_service.h"
#include "order_id_blocks.h"
#include "order_store.h"

namespace bourse::order {

class OrderService::Committer {
 public:
  struct Pending {
    OrderRequest request;
    std::optional<std::string> idempotency_key;
    std::string request_hash;
    SubmitCallback done;
    // When enqueue() queued it: its wait for a group is bourse_order_queue_seconds.
    std::chrono::steady_clock::time_point queued_at{};
  };

  Committer(db::ConnectionPool& pool, account::AccountService& accounts,
            const InstrumentTable& instruments, const ReferencePriceSource& references,
            const OrderServiceOptions& options, const Clock& clock);
  ~Committer();

  // Queues `pending` unless the queue is full or the committer stopping; on false,
  // `pending` is left untouched and the caller answers it.
  bool enqueue(Pending& pending);
  void stop();
  std::size_t depth() const;
  CommitStats stats() const;

 private:
  // What one key group (or one key-less order) ended with.
  struct Outcome {
    std::optional<Error> error;                // the group's failure (503/500)
    std::optional<store::StoredAnswer> bound;  // the answer the order/key is bound to
    bool fresh = false;  // decided by this request now (not a replay of a stored answer)
  };

  void run();
  void process_group(std::vector<Pending>& group);
  // Commits `leaders` (distinct idempotency keys), retrying as documented.
  std::vector<Outcome> commit(const std::vector<Pending*>& leaders);
  Status write_group(const std::vector<Pending*>& leaders, std::vector<Outcome>& outcomes,
                     account::BalanceReads reads);
  // Reserves and inserts the leaders at `creating` (indexes into leaders, no stored key);
  // appends the reservations' writes to `last_writes` and their OrderCreated events'
  // append to `outbox_writes` (both sent with the COMMIT, the outbox's last: its sequence
  // row is held from there to the COMMIT, outbox_writer.h "Ids"); sets their outcomes
  // (202 or 422).
  Status create_orders(soci::session& session, const std::vector<Pending*>& leaders,
                       const std::vector<std::size_t>& creating, std::vector<Outcome>& outcomes,
                       account::BalanceReads reads, std::vector<db::SqlStatement>& last_writes,
                       std::vector<db::SqlStatement>& outbox_writes);
  static void complete(Pending& pending, const Outcome& outcome, bool leader);

  db::ConnectionPool& pool_;
  account::AccountService& accounts_;
  const InstrumentTable& instruments_;
  const ReferencePriceSource& references_;
  const OrderServiceOptions& options_;
  const Clock& clock_;
  OrderIdBlocks order_ids_;  // committer thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // bounded by options_.max_queue_depth
  bool stopping_ = false;
  std::atomic<std::uint64_t> groups_committed_{0};
  std::atomic<std::uint64_t> orders_committed_{0};
  std::atomic<std::uint64_t> group_retries_{0};
  std::atomic<std::uint64_t> orders_rejected_{0};
  // Group metrics (OrderServiceOptions::metrics); nullptr when not reported.
  metrics::Histogram* const group_seconds_;
  metrics::Histogram* const group_requests_;
  metrics::Histogram* const queue_seconds_;
  metrics::Histogram* const last_round_trip_seconds_;
  // Committer thread only: when the current attempt handed its writes to the pool (the
  // start of its last round trip, writes + COMMIT); unset when it had none to send.
  std::optional<std::chrono::steady_clock::time_point> writes_handed_at_;
  std::thread thread_;  // last: started after every other member is ready
};

}  // namespace bourse::order
