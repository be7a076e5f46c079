// A real `bourse serve` process on its own scratch database, for process-level tests.
//
// Starts the executable (BOURSE_EXECUTABLE, defined by tests/CMakeLists.txt) on a free
// port with a unique Kafka topic prefix, against the stack from stack_env.h, and kills
// it when destroyed. wait_ready() polls /readyz.
#pragma once

#include <thread>

#include "child_process.h"
#include "http_client.h"
#include "stack_env.h"
#include "test_database.h"

namespace bourse::testing {

// Polls GET `path` until it answers `status` or `timeout` passes; returns the last status
// (-1: nothing listening).
inline int wait_for_status(int port, const std::string& path, int status,
                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int last = -1;
  do {
    try {
      HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port));
      last = client.request("GET", path).status;
      if (last == status) return last;
    } catch (const std::exception&) {
      last = -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return last;
}

class BourseProcess {
 public:
  explicit BourseProcess(std::vector<std::string> extra_args = {})
      : port_(free_local_port()), topic_prefix_("t" + std::to_string(::getpid()) + "_" +
                                                std::to_string(port_) + ".") {
    std::vector<std::string> args = {"serve", "--set", "http.port=" + std::to_string(port_),
                                     "--set", "kafka.topic_prefix=" + topic_prefix_,
                                     "--set", "kafka.partitions=2"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<ChildProcess>(
        BOURSE_EXECUTABLE, args,
        stack_child_env({{"BOURSE_DB_NAME", database_.name()},
                         {"BOURSE_MIGRATIONS_DIR",
                          std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/migrations"}}),
        std::string(std::getenv("BOURSE_BINARY_DIR")) + "/bourse_" + std::to_string(port_) +
            ".log");
  }

  bool wait_ready(std::chrono::seconds timeout = std::chrono::seconds(90)) {
    return wait_for_status(port_, "/readyz", 200, timeout) == 200;
  }

  int port() const { return port_; }
  ChildProcess& process() { return *process_; }
  const TestDatabase& database() const { return database_; }
  HttpClient client() const { return HttpClient("127.0.0.1", static_cast<std::uint16_t>(port_)); }

 private:
  TestDatabase database_;
  int port_;
  std::string topic_prefix_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace bourse::testing
