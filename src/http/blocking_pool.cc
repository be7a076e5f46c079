#include "http/blocking_pool.h"

#include <algorithm>

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"

namespace bourse::http {

Status validate(const BlockingPoolConfig& config) {
  if (config.threads < 1 || config.threads > limits::kMaxBlockingThreads) {
    return Error::invalid("blocking pool threads must be in 1.." +
                          std::to_string(limits::kMaxBlockingThreads));
  }
  if (config.max_queue_depth < 1 || config.max_queue_depth > limits::kMaxBlockingQueueDepth) {
    return Error::invalid("blocking pool queue depth must be in 1.." +
                          std::to_string(limits::kMaxBlockingQueueDepth));
  }
  return Status::success();
}

BlockingPool::BlockingPool(BlockingPoolConfig config, metrics::Registry& registry)
    : config_(std::move(config)),
      queue_depth_gauge_(registry
                             .gauge("bourse_blocking_pool_queue_depth",
                                    "Jobs waiting for a blocking pool thread", {"pool"})
                             .with({config_.name})),
      busy_threads_gauge_(registry
                              .gauge("bourse_blocking_pool_busy_threads",
                                     "Blocking pool threads running a job", {"pool"})
                              .with({config_.name})),
      rejected_counter_(registry
                            .counter("bourse_blocking_pool_rejected_total",
                                     "Jobs refused because the blocking pool queue was full",
                                     {"pool"})
                            .with({config_.name})),
      failed_jobs_counter_(registry
                               .counter("bourse_blocking_pool_failed_jobs_total",
                                        "Blocking pool jobs that ended with an exception", {"pool"})
                               .with({config_.name})) {
  BOURSE_ASSERT(validate(config_).ok(), "invalid BlockingPoolConfig");
  threads_.reserve(static_cast<std::size_t>(config_.threads));
  for (int i = 0; i < config_.threads; ++i) {
    threads_.emplace_back([this, i] {
      set_current_thread_name("blocking-" + std::to_string(i));
      worker_loop();
    });
  }
  for (const auto& thread : threads_) thread_ids_.push_back(thread.get_id());
}

BlockingPool::~BlockingPool() { stop(); }

bool BlockingPool::try_post(std::function<void()> job) {
  BOURSE_ASSERT(job != nullptr, "BlockingPool::try_post with an empty job");
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= config_.max_queue_depth) {
      rejected_counter_.inc();
      return false;
    }
    queue_.push_back(std::move(job));
    queue_depth_gauge_.set(static_cast<double>(queue_.size()));
  }
  work_available_.notify_one();
  return true;
}

void BlockingPool::stop() {
  BOURSE_ASSERT(!on_pool_thread(), "BlockingPool::stop() from one of its own threads");
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t BlockingPool::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

bool BlockingPool::on_pool_thread() const {
  const auto self = std::this_thread::get_id();
  return std::find(thread_ids_.begin(), thread_ids_.end(), self) != thread_ids_.end();
}

void BlockingPool::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      work_available_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Stopping drains the queue first: queued jobs hold Responders that must answer.
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      queue_depth_gauge_.set(static_cast<double>(queue_.size()));
    }
    busy_threads_gauge_.inc();
    try {
      job();
    } catch (...) {
      failed_jobs_counter_.inc();
    }
    job = nullptr;  // destroy captures (and their Responders) before counting the thread idle
    busy_threads_gauge_.dec();
  }
}

}  // namespace bourse::http
