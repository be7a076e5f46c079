// Where the engine's events go (liquibook style: the engine does no I/O).
//
// An OrderBook calls its listener synchronously, in event order, on the thread that
// called into the book (a shard's single writer thread in production).
// REQUIRES: a listener never calls back into the book that is calling it (the book
// asserts this). References passed are valid only during the call: copy what you keep.
#pragma once

#include <vector>

#include "bourse/matching/types.h"

namespace bourse::matching {

class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void on_accepted(const OrderAccepted& event) = 0;
  virtual void on_trade(const Trade& event) = 0;
  virtual void on_cancelled(const OrderCancelled& event) = 0;
  virtual void on_rejected(const OrderRejected& event) = 0;
};

// Drops everything: for benchmarks and for books whose output is not needed.
class NullListener final : public EventListener {
 public:
  void on_accepted(const OrderAccepted&) override {}
  void on_trade(const Trade&) override {}
  void on_cancelled(const OrderCancelled&) override {}
  void on_rejected(const OrderRejected&) override {}
};

// Keeps every event in order. Not thread-safe; for tests, tools and replays.
class RecordingListener final : public EventListener {
 public:
  void on_accepted(const OrderAccepted& event) override { events.emplace_back(event); }
  void on_trade(const Trade& event) override { events.emplace_back(event); }
  void on_cancelled(const OrderCancelled& event) override { events.emplace_back(event); }
  void on_rejected(const OrderRejected& event) override { events.emplace_back(event); }

  std::vector<Event> events;
};

}  // namespace bourse::matching
