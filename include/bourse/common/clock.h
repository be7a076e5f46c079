// Injectable time (leveldb Env style).
//
// Nothing in Bourse reads the system clock directly: schedulers, timeouts and
// timestamps take a Clock&, so tests drive time with FakeClock and no sleeps. The
// matching engine takes no clock at all; time-dependent inputs arrive in its events.
// Thread-safety: both implementations are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bourse {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time for timestamps that leave the process (created_at, occurred_at).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time for timeouts and durations.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  // The process-wide instance (stateless).
  static SystemClock& instance();
};

// A clock that moves only when told to. Both views advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms_.load()));
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_.load()));
  }
  void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace bourse
