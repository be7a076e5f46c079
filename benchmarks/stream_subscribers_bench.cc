// Memory of idle stream subscribers: starts its own `bourse serve` (scratch database and
// topics on the stack of scripts/stack, like the process tests), opens N idle order streams
// (GET /v1/orders/stream, one user each) and reports the server's resident memory (VmRSS)
// before and after, per subscriber, then closes them.
//
//   stream_subscribers_bench [--subscribers 1000]
//
// Needs the stack's environment (BOURSE_DB_*, BOURSE_KAFKA_BROKERS, e.g. from
// .stack/env) and, like the process tests, BOURSE_SOURCE_DIR / BOURSE_BINARY_DIR (defaults:
// the source and build directories it was built from). Prints figures, then one JSON line.
// Exit status: 0 fine, 1 a stream could not be opened, 2 usage.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bourse_process.h"
#include "sse_client.h"

namespace {

using Clock = std::chrono::steady_clock;

// The resident set of `pid` in KiB (VmRSS of /proc/<pid>/status), -1 if unreadable.
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int subscribers = 1'000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--subscribers" && i + 1 < argc) {
      subscribers = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: stream_subscribers_bench [--subscribers N]\n");
      return 2;
    }
  }
  if (subscribers < 1 || subscribers > 5'000) {
    std::fprintf(stderr, "--subscribers must be in 1..5000\n");
    return 2;
  }
  ::setenv("BOURSE_SOURCE_DIR", BOURSE_SOURCE_DIR_DEFAULT, 0);
  ::setenv("BOURSE_BINARY_DIR", BOURSE_BINARY_DIR_DEFAULT, 0);
  // Both processes need a descriptor per connection (the server inherits this limit).
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);

  const std::string capacity = std::to_string(subscribers + 100);
  bourse::testing::BourseProcess server({"--set", "http.max_connections=" + capacity, "--set",
                                         "stream.max_subscribers=" + capacity});
  if (!server.wait_ready()) {
    std::fprintf(stderr, "the server did not become ready:\n%s\n", server.process().log().c_str());
    return 1;
  }
  // One warm-up stream (the reader must be running; first-use allocations settle).
  std::unique_ptr<bourse::testing::SseClient> warm;
  for (int attempt = 0; attempt < 300; ++attempt) {
    warm = std::make_unique<bourse::testing::SseClient>(server.port(),
                                                        "/v1/orders/stream?user_id=warmup");
    if (warm->status() == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (warm->status() != 200 || !warm->next(std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot open the warm-up stream (status %d)\n", warm->status());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const pid_t pid = server.process().pid();
  const long before = rss_kib(pid);

  std::vector<std::unique_ptr<bourse::testing::SseClient>> streams;
  streams.reserve(static_cast<std::size_t>(subscribers));
  const auto start = Clock::now();
  for (int i = 0; i < subscribers; ++i) {
    auto stream = std::make_unique<bourse::testing::SseClient>(
        server.port(), "/v1/orders/stream?user_id=idle" + std::to_string(i));
    if (stream->status() != 200 || !stream->next(std::chrono::seconds(10))) {
      std::fprintf(stderr, "stream %d: status %d %s\n", i, stream->status(),
                   stream->body().c_str());
      return 1;
    }
    streams.push_back(std::move(stream));
  }
  const double open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long after = rss_kib(pid);
  streams.clear();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long closed = rss_kib(pid);

  const double per_subscriber = static_cast<double>(after - before) * 1024.0 / subscribers;
  std::printf("subscribers:              %d\n", subscribers);
  std::printf("open time:                %.2f s (%.0f streams/s, sequential)\n", open_seconds,
              subscribers / open_seconds);
  std::printf("server RSS before:        %ld KiB\n", before);
  std::printf("server RSS with streams:  %ld KiB\n", after);
  std::printf("server RSS after closing: %ld KiB\n", closed);
  std::printf("RSS delta per subscriber: %.0f bytes\n", per_subscriber);
  std::printf(
      "{\"bench\":\"stream_subscribers\",\"subscribers\":%d,\"rss_before_kib\":%ld,"
      "\"rss_after_kib\":%ld,\"rss_closed_kib\":%ld,\"rss_bytes_per_subscriber\":%.0f,"
      "\"open_seconds\":%.3f}\n",
      subscribers, before, after, closed, per_subscriber, open_seconds);
  return 0;
}
