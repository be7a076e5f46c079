// Goal: loadgen calls a run sustainable only if nothing failed, lag was bounded, all was
// final in time and, in open loop, the server answered at least kMinAnsweredShare of the
// offered rate; every broken rule is named in the reasons.
#include "verdict.h"

#include <catch2/catch.hpp>

using bourse::bench::judge;
using bourse::bench::kMinAnsweredShare;
using bourse::bench::RunFigures;

namespace {

// Open loop, 60 s at 1,000/s: 60,000 requests sent, all answered without failing.
RunFigures open_loop_run(double load_seconds) {
  RunFigures run;
  run.open_loop = true;
  run.answered = 60'000;
  run.schedule_seconds = 60;
  run.load_seconds = load_seconds;
  return run;
}

}  // namespace

TEST_CASE("an open-loop run that keeps up with the offered rate is sustainable", "[loadgen]") {
  const auto verdict = judge(open_loop_run(60.05));  // the last answers' tail only
  CHECK(verdict.sustainable);
  CHECK(verdict.reasons.empty());
  REQUIRE(verdict.answered_share.has_value());
  CHECK(*verdict.answered_share == Approx(60.0 / 60.05));
}

TEST_CASE("an open-loop run that answers too slowly is not sustainable", "[loadgen]") {
  // The 60 s schedule took 89.3 s to answer: 672 answers/s of an offered 1,000/s.
  const auto verdict = judge(open_loop_run(89.3));
  CHECK_FALSE(verdict.sustainable);
  REQUIRE(verdict.answered_share.has_value());
  CHECK(*verdict.answered_share == Approx(0.672).epsilon(0.001));
  CHECK(verdict.reasons == "answered 67.2% of offered (minimum 95%)");
}

TEST_CASE("the answered share's boundary is kMinAnsweredShare", "[loadgen]") {
  CHECK(judge(open_loop_run(60.0 / kMinAnsweredShare * 0.999)).sustainable);
  CHECK_FALSE(judge(open_loop_run(60.0 / kMinAnsweredShare * 1.001)).sustainable);
}

TEST_CASE("failed requests count as offered but not as answered", "[loadgen]") {
  RunFigures run = open_loop_run(60.0);
  run.answered = 50'000;
  run.failed = 10'000;
  const auto verdict = judge(run);
  CHECK_FALSE(verdict.sustainable);
  CHECK(*verdict.answered_share == Approx(50'000.0 / 60'000.0));
  CHECK(verdict.reasons == "10000 failed; answered 83.3% of offered (minimum 95%)");
}

TEST_CASE("an open-loop run that sent nothing is not sustainable", "[loadgen]") {
  RunFigures run = open_loop_run(60.0);
  run.answered = 0;
  const auto verdict = judge(run);
  CHECK_FALSE(verdict.sustainable);
  CHECK(*verdict.answered_share == 0.0);
}

TEST_CASE("closed loop has no offered rate: only failures, lag and finality count",
          "[loadgen]") {
  RunFigures run;  // open_loop = false
  run.answered = 1'000;
  run.schedule_seconds = 60;
  run.load_seconds = 600;  // would be a 10% share in open loop
  auto verdict = judge(run);
  CHECK(verdict.sustainable);
  CHECK_FALSE(verdict.answered_share.has_value());

  run.lag_bounded = false;
  run.final_in_time = false;
  verdict = judge(run);
  CHECK_FALSE(verdict.sustainable);
  CHECK(verdict.reasons == "lag growing; not final in time");
}

TEST_CASE("failures, lag and finality break an open-loop run that keeps up", "[loadgen]") {
  RunFigures run = open_loop_run(60.0);
  run.failed = 1;
  run.answered -= 1;
  CHECK(judge(run).reasons == "1 failed");
  run.failed = 0;
  run.lag_bounded = false;
  CHECK(judge(run).reasons == "lag growing");
  run.lag_bounded = true;
  run.final_in_time = false;
  CHECK(judge(run).reasons == "not final in time");
}
