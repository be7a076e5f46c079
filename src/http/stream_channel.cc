#include "http/stream_channel.h"

#include "bourse/common/assert.h"

namespace bourse::http {

StreamChannel::StreamChannel(StreamOptions options)
    : options_(std::move(options)), ready_at_(std::chrono::steady_clock::now()) {
  BOURSE_ASSERT(options_.max_queued_chunks >= 1, "a stream queue holds at least one chunk");
  BOURSE_ASSERT(options_.heartbeat.count() > 0 && options_.write_timeout.count() > 0 &&
                    options_.stall_timeout.count() > 0,
                "stream timers must be positive");
}

bool StreamChannel::push(std::string chunk) {
  {
    std::lock_guard lock(mutex_);
    if (end_ != End::kOpen) return false;
    // The clock is read only once the queue is full (never on the common push).
    const bool full = queue_.size() >= options_.max_queued_chunks;
    if (full && (queue_.size() >= options_.max_queued_chunks * kStreamBurstFactor ||
                 std::chrono::steady_clock::now() - ready_at_ >= options_.stall_timeout)) {
      end_ = End::kDropped;
      queue_.clear();
    } else {
      queue_.push_back(std::move(chunk));
    }
  }
  wake();
  return end() == End::kOpen;
}

void StreamChannel::finish() {
  {
    std::lock_guard lock(mutex_);
    if (end_ != End::kOpen) return;
    end_ = End::kFinished;
  }
  wake();
}

StreamChannel::End StreamChannel::end() const {
  std::lock_guard lock(mutex_);
  return end_;
}

void StreamChannel::attach(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
}

std::vector<std::string> StreamChannel::take(End& ended) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> chunks(std::make_move_iterator(queue_.begin()),
                                  std::make_move_iterator(queue_.end()));
  queue_.clear();
  ready_at_ = std::chrono::steady_clock::now();
  ended = end_;
  return chunks;
}

void StreamChannel::write_timed_out() {
  std::lock_guard lock(mutex_);
  if (end_ == End::kOpen) end_ = End::kDropped;
  queue_.clear();
}

void StreamChannel::disconnected() {
  std::function<void()> detached;
  {
    std::lock_guard lock(mutex_);
    if (end_ == End::kOpen) end_ = End::kDisconnected;
    queue_.clear();
    detached = std::move(wake_);
    wake_ = nullptr;
  }
  // `detached` dies here, outside the lock (it may hold the last reference to a session).
}

void StreamChannel::wake() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    wake = wake_;
  }
  if (wake) wake();
}

}  // namespace bourse::http
