#include "gather_wait.h"

#include <catch2/catch.hpp>

namespace bourse::matching::service {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a fixed gathering waits batch_wait whatever the commits took", "[matching][gather]") {
  CHECK(gather_wait(50ms, 0, 0us) == 50ms);
  CHECK(gather_wait(50ms, 0, 30'000us) == 50ms);
  CHECK(gather_wait(0ms, 0, 30'000us) == 0ms);
}

TEST_CASE("an adaptive gathering follows the last commit, within batch_wait",
          "[matching][gather]") {
  // No commit yet (or an instant one): the first batch goes at once.
  CHECK(gather_wait(50ms, 4, 0us) == 0ms);
  // An idle database: a 2.5 ms commit gives a 10 ms wait.
  CHECK(gather_wait(50ms, 4, 2'500us) == 10ms);
  // Rounded up to the millisecond, never down to nothing.
  CHECK(gather_wait(50ms, 4, 1us) == 1ms);
  // A busy one: 9 ms commits give 36 ms; 20 ms commits hit the ceiling.
  CHECK(gather_wait(50ms, 4, 9'000us) == 36ms);
  CHECK(gather_wait(50ms, 4, 20'000us) == 50ms);
  // A commit that took seconds (retries) still waits at most batch_wait.
  CHECK(gather_wait(50ms, 16, 5'000'000us) == 50ms);
}

}  // namespace
}  // namespace bourse::matching::service
