// How long a matching batch gathers more inputs after its oldest one (matching_service.h).
//
// Fixed (batch_wait_per_commit == 0): batch_wait, always. Adaptive (> 0): that many times
// the duration of the previous batch transaction, at most batch_wait. A commit is quick
// on an idle database and slow on a busy one, so a lightly loaded service answers within
// a few milliseconds of an input while a saturated one still gathers big batches (fewer
// transactions per input, the cost that matters once the cores are busy). The loop is
// self-correcting: smaller batches mean more transactions, which take longer, which
// lengthens the next wait.
//
// Pure: no clock, no I/O (tested in tests/gather_wait_test.cc).
#pragma once

#include <algorithm>
#include <chrono>

namespace bourse::matching::service {

inline std::chrono::milliseconds gather_wait(std::chrono::milliseconds batch_wait,
                                             int batch_wait_per_commit,
                                             std::chrono::microseconds last_commit) {
  if (batch_wait_per_commit <= 0) return batch_wait;
  const auto scaled = std::chrono::ceil<std::chrono::milliseconds>(
      last_commit * static_cast<long long>(batch_wait_per_commit));
  return std::min(batch_wait, std::max(std::chrono::milliseconds{0}, scaled));
}

}  // namespace bourse::matching::service
