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
#include "unique_name.h"

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

// Where a BourseProcess keeps its state: a scratch database and a Kafka topic prefix.
// Shared by several processes to test multi-instance behaviour and restarts.
struct BourseEnvironment {
  TestDatabase database;
  std::string topic_prefix = "t" + unique_suffix() + ".";
};

class BourseProcess {
 public:
  // A process with its own environment.
  explicit BourseProcess(std::vector<std::string> extra_args = {})
      : owned_environment_(std::make_unique<BourseEnvironment>()),
        environment_(*owned_environment_) {
    launch(std::move(extra_args));
  }
  // A process sharing `environment` (database and topics) with others.
  BourseProcess(BourseEnvironment& environment, std::vector<std::string> extra_args)
      : environment_(environment) {
    launch(std::move(extra_args));
  }

  bool wait_ready(std::chrono::seconds timeout = std::chrono::seconds(90)) {
    return wait_for_status(port_, "/readyz", 200, timeout) == 200;
  }

  int port() const { return port_; }
  ChildProcess& process() { return *process_; }
  const TestDatabase& database() const { return environment_.database; }
  const std::string& topic_prefix() const { return environment_.topic_prefix; }
  HttpClient client() const { return HttpClient("127.0.0.1", static_cast<std::uint16_t>(port_)); }

 private:
  void launch(std::vector<std::string> extra_args) {
    port_ = free_local_port();
    std::vector<std::string> args = {"serve", "--config",
                                     std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/config/bourse.toml",
                                     "--set", "http.port=" + std::to_string(port_),
                                     "--set", "kafka.topic_prefix=" + environment_.topic_prefix,
                                     "--set", "kafka.partitions=2",
                                     // The price generator runs but holds every reference
                                     // price at its configured value (no noise, no pull):
                                     // the tests compute bands and caps from bourse.toml.
                                     // A test may override these in extra_args.
                                     "--set", "prices.volatility=0",
                                     "--set", "prices.pull=0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<ChildProcess>(
        BOURSE_EXECUTABLE, args,
        stack_child_env({{"BOURSE_DB_NAME", environment_.database.name()},
                         {"BOURSE_MIGRATIONS_DIR",
                          std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/migrations"}}),
        std::string(std::getenv("BOURSE_BINARY_DIR")) + "/bourse_" + std::to_string(port_) +
            ".log");
  }

  std::unique_ptr<BourseEnvironment> owned_environment_;
  BourseEnvironment& environment_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace bourse::testing
