// GET /livez, GET /readyz and GET /metrics.
//
// /livez answers 200 while the process can serve HTTP at all (no dependency checks:
// a liveness probe that fails because MySQL is down would only restart healthy
// processes). /readyz answers 200 only when start-up is complete (migrations applied,
// topics created) and every dependency check passes now; otherwise 503 with
// Retry-After and a problem+json body naming the failing checks. The checks block
// (network round trips with short timeouts), so /readyz runs on the blocking pool.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/metrics/registry.h"
#include "http/router.h"

namespace bourse::app {

struct ReadinessCheck {
  std::string name;                // "database", "kafka"
  std::function<Status()> probe;   // blocking; must bound its own time
};

struct HealthState {
  std::atomic<bool> startup_complete{false};
  std::vector<ReadinessCheck> checks;
};

// REQUIRES: `router` has a blocking pool; `state` and `registry` outlive the router.
void add_health_routes(http::Router& router, HealthState& state, metrics::Registry& registry);

}  // namespace bourse::app
