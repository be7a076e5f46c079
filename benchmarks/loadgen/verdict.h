// The verdict of one loadgen run: was the load sustainable, and if not, why.
//
// Sustainable means all of:
//   - no request failed (5xx or transport error);
//   - lag stayed bounded (judged by the caller: the last sample during the load is not
//     the maximum, unless the maximum is small);
//   - everything was final within --final-within seconds after the load;
//   - open loop only: the server answered at least kMinAnsweredShare of the offered rate.
//     Every request loadgen sends in open loop was due within the --seconds schedule, and
//     it is sent even when late, so a server that cannot keep up stretches the load past
//     the schedule instead of dropping requests. Hence
//       answered share = (answered / load_seconds) / (sent / schedule_seconds),
//     where sent = answered + failed. A server that keeps up scores ~1 (the tail of the
//     last answers only); one that answers 672/s of an offered 1,000/s scores ~0.67.
//     Closed loop (--rate 0) offers no rate: this rule does not apply.
// Pure: no I/O, no clock.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

namespace bourse::bench {

// Least share of the offered rate the server must answer (open loop) to be sustainable.
inline constexpr double kMinAnsweredShare = 0.95;

struct RunFigures {
  long long failed = 0;          // 5xx answers and transport errors
  bool lag_bounded = true;
  bool final_in_time = true;
  bool open_loop = false;        // --rate > 0
  long long answered = 0;        // answered without failing: 202, 4xx, cancels 202/409
  double schedule_seconds = 0;   // --seconds: the window every sent request was due in
  double load_seconds = 0;       // from the schedule's start until the last answer
};

struct Verdict {
  bool sustainable = true;
  // Open loop only: the answered share of the offered rate (0 if nothing was sent).
  std::optional<double> answered_share;
  // Empty when sustainable; else every broken rule, "; "-separated, e.g.
  // "3 failed; answered 67.2% of offered (minimum 95%)".
  std::string reasons;
};

inline Verdict judge(const RunFigures& run) {
  Verdict verdict;
  const auto add = [&](const std::string& reason) {
    verdict.sustainable = false;
    verdict.reasons += (verdict.reasons.empty() ? "" : "; ") + reason;
  };
  if (run.failed > 0) add(std::to_string(run.failed) + " failed");
  if (!run.lag_bounded) add("lag growing");
  if (!run.final_in_time) add("not final in time");
  if (run.open_loop) {
    const double sent = static_cast<double>(run.answered + run.failed);
    const double share = sent > 0 && run.schedule_seconds > 0 && run.load_seconds > 0
                             ? (static_cast<double>(run.answered) / run.load_seconds) /
                                   (sent / run.schedule_seconds)
                             : 0.0;
    verdict.answered_share = share;
    if (share < kMinAnsweredShare) {
      char text[96];
      std::snprintf(text, sizeof text, "answered %.1f%% of offered (minimum %.0f%%)",
                    share * 100.0, kMinAnsweredShare * 100.0);
      add(text);
    }
  }
  return verdict;
}

}  // namespace bourse::bench
