// The load phase's connections, all driven by ONE thread (one io_context).
//
// Each connection is a keep-alive HTTP/1.1 client that walks its own slots k = 0, 1, ...:
// slot k is due at next(k).due; its request is sent at that time or, when the answer to
// the previous slot comes later, as soon as it comes (the caller counts latency from the
// due time, so a stall is not hidden: open loop without coordinated omission). A slot may
// carry no request (nothing to send, e.g. a cancel with no candidate): it is skipped.
//
// Why one thread: loadgen shares the two cores with the system it measures. A thread per
// connection, sleeping until each due time and blocking on each answer, cost ~0.1 ms of
// CPU per order in wake-ups (docs/PERFORMANCE.md, "4 Dec, 13:55-14:25"); here every wait is a
// timer or a read of one event loop, which wakes once for whatever is ready.
//
// Contract: every hook runs on the thread that called run_open_loop, one at a time, so
// hooks need no locking among themselves. A transport error or a request that takes longer
// than `timeout` is reported as status 0; the connection is then closed and re-opened for
// its next slot. run_open_loop returns when every connection's next() returned nullopt and
// its last answer arrived.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bourse::bench {

struct PlannedRequest {
  std::string method;  // "POST", "DELETE", ...
  std::string target;
  std::string body;    // sent as application/json when not empty
};

struct Slot {
  std::chrono::steady_clock::time_point due;
  std::optional<PlannedRequest> request;  // nullopt: skip this slot
};

struct ConnectionHooks {
  // Slot k of this connection, asked when slot k-1 is done; nullopt: no more slots.
  std::function<std::optional<Slot>(long long k)> next;
  // The answer to a slot's request: HTTP status (0: transport error or timeout), body, and
  // when the answer was complete.
  std::function<void(const Slot& slot, int status, std::string_view body,
                     std::chrono::steady_clock::time_point answered)>
      done;
};

struct OpenLoopTarget {
  std::string host;
  std::uint16_t port = 0;
};

// Runs one connection per element of `hooks` (connection c to targets[c % targets.size()])
// on the calling thread until all are done.
void run_open_loop(const std::vector<OpenLoopTarget>& targets, std::vector<ConnectionHooks> hooks,
                   std::chrono::milliseconds timeout);

}  // namespace bourse::bench
