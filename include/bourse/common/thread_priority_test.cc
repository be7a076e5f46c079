// Goal: run_at_nice gives the work's thread, and every thread it starts, the nice value,
// and leaves the caller's alone; out-of-range values are refused.
#include "bourse/common/thread_priority.h"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace bourse {
namespace {

TEST_CASE("run_at_nice sets the work's thread and its children, not the caller", "[common]") {
  const int caller = current_thread_nice();
  // A value above the caller's is always allowed (the test may run at any nice < 19).
  const int target = caller < kMaxThreadNice ? caller + 1 : kMaxThreadNice;
  int in_work = -1;
  int in_child = -1;
  Status niced = run_at_nice(target, [&] {
    in_work = current_thread_nice();
    std::thread child([&] { in_child = current_thread_nice(); });
    child.join();
  });
  REQUIRE(niced.ok());
  CHECK(in_work == target);
  CHECK(in_child == target);
  CHECK(current_thread_nice() == caller);
}

TEST_CASE("run_at_nice refuses a value out of range but still runs the work", "[common]") {
  bool ran = false;
  Status niced = run_at_nice(kMaxThreadNice + 1, [&] { ran = true; });
  CHECK_FALSE(niced.ok());
  CHECK(niced.error().code == ErrorCode::kInvalidArgument);
  CHECK(ran);
  CHECK_FALSE(set_current_thread_nice(-1).ok());
}

TEST_CASE("run_at_nice rethrows what the work threw", "[common]") {
  CHECK_THROWS_AS(run_at_nice(current_thread_nice(), [] { throw std::runtime_error("boom"); }),
                  std::runtime_error);
}

}  // namespace
}  // namespace bourse
