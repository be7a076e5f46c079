// Goal: the SPSC ring is FIFO, bounded (full means refuse) and safe across threads.
#include "bourse/matching/spsc_ring.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>

namespace bourse::matching {
namespace {

TEST_CASE("the ring refuses when full and keeps FIFO order", "[matching][ring]") {
  SpscRing<int> ring(4);
  int out = 0;
  CHECK_FALSE(ring.try_pop(out));
  for (int i = 0; i < 4; ++i) CHECK(ring.try_push(i));
  CHECK_FALSE(ring.try_push(99));
  CHECK(ring.size_approx() == 4);
  CHECK(ring.try_pop(out));
  CHECK(out == 0);
  CHECK(ring.try_push(4));
  std::vector<int> seen;
  CHECK(ring.consume([&](int v) { seen.push_back(v); }, 2) == 2);
  CHECK(ring.consume([&](int v) { seen.push_back(v); }, 10) == 2);
  CHECK(seen == std::vector<int>{1, 2, 3, 4});
  CHECK(ring.size_approx() == 0);
}

TEST_CASE("two threads hand over a million items in order", "[matching][ring]") {
  constexpr std::uint64_t kItems = 1'000'000;
  SpscRing<std::uint64_t> ring(1024);
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kItems; ++i) {
      while (!ring.try_push(i)) std::this_thread::yield();
    }
  });
  std::uint64_t expected = 1;
  bool in_order = true;
  while (expected <= kItems) {
    const auto n = ring.consume(
        [&](std::uint64_t v) {
          in_order = in_order && v == expected;
          ++expected;
        },
        64);
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  CHECK(in_order);
  CHECK(ring.size_approx() == 0);
}

}  // namespace
}  // namespace bourse::matching
