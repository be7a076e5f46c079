// Goal: /readyz tells the truth about its dependencies: 503 while MariaDB (or Kafka) is
// stopped, 200 again once it is back, and the process itself keeps running throughout.
// This test stops the shared services of scripts/stack, so ctest runs it alone
// (RUN_SERIAL).
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "child_process.h"
#include "http_client.h"
#include "stack_env.h"
#include "test_database.h"
#include "unique_name.h"

using bourse::testing::ChildProcess;
using bourse::testing::HttpClient;

namespace {

int ready_status(int port) {
  try {
    HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port));
    return client.request("GET", "/readyz").status;
  } catch (const std::exception&) {
    return -1;
  }
}

int wait_for_ready_status(int port, int status, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int last = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    last = ready_status(port);
    if (last == status) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

int stack(const std::string& command) {
  std::string line = std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/scripts/stack " + command;
  return std::system(line.c_str());
}

// Restarts a stopped service even if an assertion fails half-way, so later tests find
// it up.
struct Restarter {
  std::string command;
  ~Restarter() { stack(command); }
};

}  // namespace

TEST_CASE("readyz is 503 while the database is down and 200 after it is back",
          "[readiness][fault][integration]") {
  int port = bourse::testing::free_local_port();
  ChildProcess server(
      BOURSE_EXECUTABLE,
      {"serve", "--set", "http.port=" + std::to_string(port), "--set",
       "kafka.topic_prefix=fault" + bourse::testing::unique_suffix() + ".", "--set", "kafka.partitions=1",
       "--set", "db.connect_timeout_s=1", "--set", "db.read_timeout_s=2"},
      bourse::testing::stack_child_env(
          {{"BOURSE_MIGRATIONS_DIR", std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/migrations"}}),
      std::string(std::getenv("BOURSE_BINARY_DIR")) + "/readiness_fault.log");
  INFO(server.log());
  REQUIRE(wait_for_ready_status(port, 200, std::chrono::seconds(90)) == 200);

  Restarter restarter{"db-start"};
  REQUIRE(stack("db-stop") == 0);
  CHECK(wait_for_ready_status(port, 503, std::chrono::seconds(20)) == 503);
  CHECK(server.running());

  // The problem body names the failing check.
  HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port));
  auto response = client.request("GET", "/readyz");
  auto body = boost::json::parse(response.body).as_object();
  CHECK(body.at("checks").at("database").as_string() != "ok");
  CHECK(body.at("checks").at("kafka").as_string() == "ok");
  CHECK(response.has_header("Retry-After"));

  REQUIRE(stack("db-start") == 0);
  CHECK(wait_for_ready_status(port, 200, std::chrono::seconds(60)) == 200);
  CHECK(server.running());
}

TEST_CASE("readyz is 503 while Kafka is down and 200 after it is back",
          "[readiness][fault][integration]") {
  int port = bourse::testing::free_local_port();
  ChildProcess server(
      BOURSE_EXECUTABLE,
      {"serve", "--set", "http.port=" + std::to_string(port), "--set",
       "kafka.topic_prefix=kfault" + bourse::testing::unique_suffix() + ".", "--set", "kafka.partitions=1"},
      bourse::testing::stack_child_env(
          {{"BOURSE_MIGRATIONS_DIR", std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/migrations"}}),
      std::string(std::getenv("BOURSE_BINARY_DIR")) + "/readiness_kafka_fault.log");
  INFO(server.log());
  REQUIRE(wait_for_ready_status(port, 200, std::chrono::seconds(90)) == 200);

  Restarter restarter{"kafka-start"};
  REQUIRE(stack("kafka-stop") == 0);
  CHECK(wait_for_ready_status(port, 503, std::chrono::seconds(30)) == 503);
  CHECK(server.running());
  HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port));
  auto body = boost::json::parse(client.request("GET", "/readyz").body).as_object();
  CHECK(body.at("checks").at("kafka").as_string() != "ok");
  CHECK(body.at("checks").at("database").as_string() == "ok");

  REQUIRE(stack("kafka-start") == 0);
  CHECK(wait_for_ready_status(port, 200, std::chrono::seconds(90)) == 200);
  CHECK(server.running());
}
