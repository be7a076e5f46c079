// A fixed set of threads for blocking work (database calls) with a bounded queue.
//
// I/O threads never block: a route that needs the database posts a job here and answers
// when the job is done (router.h add_blocking). When the queue is full try_post refuses
// the job at once, and the caller answers 503 + Retry-After instead of queueing without
// bound (limits::kMaxBlockingQueueDepth is the ceiling of the configured depth).
//
// Metrics (labelled pool="<name>"): bourse_blocking_pool_queue_depth (gauge),
// bourse_blocking_pool_busy_threads (gauge), bourse_blocking_pool_rejected_total (counter).
//
// Thread-safety: every member is safe to call from any thread. stop() must not be called
// from a pool thread (it joins them).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/limits.h"
#include "bourse/metrics/registry.h"

namespace bourse::http {

struct BlockingPoolConfig {
  std::string name = "default";         // metrics label
  int threads = 4;                      // 1..limits::kMaxBlockingThreads
  std::size_t max_queue_depth = 1'024;  // jobs waiting, 1..limits::kMaxBlockingQueueDepth
};

// Checks the config against the hard ceilings in limits.h.
Status validate(const BlockingPoolConfig& config);

class BlockingPool {
 public:
  // Starts the threads. REQUIRES: validate(config).ok().
  BlockingPool(BlockingPoolConfig config, metrics::Registry& registry);
  // Calls stop().
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `job`; false (and `job` is destroyed) when the queue is full or the pool is
  // stopping. A job that throws is counted and swallowed: jobs report their own errors.
  [[nodiscard]] bool try_post(std::function<void()> job);

  // Refuses new jobs, runs every job already queued, then joins the threads. Idempotent.
  void stop();

  std::size_t queue_depth() const;
  // True when the calling thread is one of this pool's threads.
  bool on_pool_thread() const;

 private:
  void worker_loop();

  const BlockingPoolConfig config_;
  metrics::Gauge& queue_depth_gauge_;
  metrics::Gauge& busy_threads_gauge_;
  metrics::Counter& rejected_counter_;
  metrics::Counter& failed_jobs_counter_;

  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> thread_ids_;  // written once in the constructor
  std::mutex stop_mutex_;                    // serializes stop() callers
};

}  // namespace bourse::http
