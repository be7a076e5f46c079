// Goal: the pending-cancel memory is a bounded FIFO set of live ids.
#include "bourse/matching/pending_cancels.h"

#include <catch2/catch.hpp>

namespace bourse::matching {
namespace {

TEST_CASE("PendingCancels evicts the oldest id when full", "[matching][pending]") {
  PendingCancels pending(3);
  pending.remember(1);
  pending.remember(2);
  pending.remember(3);
  pending.remember(2);  // already there
  CHECK(pending.size() == 3);
  pending.remember(4);  // evicts 1
  CHECK_FALSE(pending.contains(1));
  CHECK(pending.oldest_first() == std::vector<std::int64_t>{2, 3, 4});
  CHECK(pending.take(3));
  CHECK_FALSE(pending.take(3));
  CHECK(pending.oldest_first() == std::vector<std::int64_t>{2, 4});
  pending.remember(5);
  pending.remember(6);  // evicts 2
  CHECK(pending.oldest_first() == std::vector<std::int64_t>{4, 5, 6});
  for (std::int64_t id = 100; id < 10'000; ++id) pending.remember(id);
  CHECK(pending.size() == 3);
  CHECK(pending.oldest_first() == std::vector<std::int64_t>{9'997, 9'998, 9'999});
}

TEST_CASE("PendingCancels allocates nothing until used", "[matching][pending]") {
  PendingCancels pending(4096);
  CHECK(pending.memory_bytes() == 0);
}

}  // namespace
}  // namespace bourse::matching
