// The ring of recent events: positions, coverage and its two bounds.
#include <catch2/catch.hpp>

#include "streams/event_ring.h"

using bourse::streams::EventRing;
using bourse::streams::StreamEvent;
using bourse::streams::StreamPosition;
using namespace std::chrono_literals;

namespace {

StreamEvent event_at(std::int32_t partition, std::int64_t offset, std::int64_t timestamp_ms = 1'000) {
  StreamEvent event;
  event.partition = partition;
  event.offset = offset;
  event.timestamp_ms = timestamp_ms;
  event.name = "order.accepted";
  return event;
}

std::vector<std::pair<std::int32_t, std::int64_t>> held(const EventRing& ring) {
  std::vector<std::pair<std::int32_t, std::int64_t>> result;
  ring.for_each([&](const StreamEvent& e) { result.emplace_back(e.partition, e.offset); });
  return result;
}

}  // namespace

TEST_CASE("each event's position is the head after it, over every partition", "[streams][unit]") {
  EventRing ring({10, 20}, 100, 60s);
  StreamEvent a = event_at(1, 20);
  ring.append(a, 1'000);
  CHECK(a.position == StreamPosition{10, 21});
  ring.advance(0, 10);  // a record that is not a stream event
  StreamEvent b = event_at(0, 12);  // offset 11 is a transaction marker: a gap
  ring.append(b, 1'000);
  CHECK(b.position == StreamPosition{13, 21});
  CHECK(ring.head() == StreamPosition{13, 21});
  CHECK(ring.covers({10, 20}));  // everything since the start is held
  CHECK(ring.covers({11, 21}));
  CHECK(ring.covers({50, 50}));  // ahead of this instance: served as it catches up
  CHECK_FALSE(ring.covers({9, 20}));  // before the reader's start
}

TEST_CASE("the count bound evicts the oldest and moves that partition's coverage",
          "[streams][unit]") {
  EventRing ring({0, 0}, 2, 60s);
  for (auto [p, o] : {std::pair{0, 0}, {1, 0}, {0, 1}}) {
    StreamEvent e = event_at(p, o);
    ring.append(e, 1'000);
  }
  CHECK(ring.size() == 2);
  CHECK(held(ring) == std::vector<std::pair<std::int32_t, std::int64_t>>{{1, 0}, {0, 1}});
  CHECK(ring.start() == StreamPosition{1, 0});
  CHECK_FALSE(ring.covers({0, 0}));  // event (0,0) is gone: resuming before it needs a reset
  CHECK(ring.covers({1, 0}));
}

TEST_CASE("the window bound evicts events older than the window", "[streams][unit]") {
  EventRing ring({0}, 100, 10s);
  StreamEvent old_event = event_at(0, 0, 1'000);
  ring.append(old_event, 1'000);
  StreamEvent recent = event_at(0, 1, 9'000);
  ring.append(recent, 9'000);
  CHECK(ring.size() == 2);
  ring.expire(15'000);  // 1'000 is now older than 10 s
  CHECK(held(ring) == std::vector<std::pair<std::int32_t, std::int64_t>>{{0, 1}});
  CHECK(ring.start() == StreamPosition{1});
  ring.expire(30'000);
  CHECK(ring.size() == 0);
  CHECK(ring.start() == StreamPosition{2});
  CHECK(ring.covers({2}));  // nothing was missed after the head
}
