// Goal: the real `bourse serve` process, against the real MariaDB and Kafka, becomes
// ready, answers the health and metrics endpoints, speaks problem+json for bad
// requests, and shuts down cleanly on SIGTERM with exit code 0.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

#include "child_process.h"
#include "http_client.h"
#include "stack_env.h"
#include "test_database.h"

using bourse::testing::ChildProcess;
using bourse::testing::HttpClient;

namespace {

// Polls GET path until it answers `status` or `timeout` passes; returns the last status.
int wait_for_status(int port, const std::string& path, int status, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int last = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port));
      last = client.request("GET", path).status;
      if (last == status) return last;
    } catch (const std::exception&) {
      last = -1;  // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

struct ServerUnderTest {
  bourse::testing::TestDatabase database;
  int port = bourse::testing::free_local_port();
  std::string topic_prefix = "t" + std::to_string(::getpid()) + ".";
  ChildProcess process{
      BOURSE_EXECUTABLE,
      {"serve", "--set", "http.port=" + std::to_string(port), "--set",
       "kafka.topic_prefix=" + topic_prefix, "--set", "kafka.partitions=2", "--set",
       "http.max_body_bytes=1024"},
      bourse::testing::stack_child_env(
          {{"BOURSE_DB_NAME", database.name()},
           {"BOURSE_MIGRATIONS_DIR", std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/migrations"}}),
      std::string(std::getenv("BOURSE_BINARY_DIR")) + "/serve_process_" + std::to_string(port) + ".log"};
};

}  // namespace

TEST_CASE("bourse serve becomes ready and answers health, metrics and problems",
          "[serve][integration]") {
  ServerUnderTest server;
  INFO(server.process.log());
  REQUIRE(wait_for_status(server.port, "/readyz", 200, std::chrono::seconds(90)) == 200);

  HttpClient client("127.0.0.1", static_cast<std::uint16_t>(server.port));
  SECTION("livez and readyz") {
    auto live = client.request("GET", "/livez");
    CHECK(live.status == 200);
    auto ready = client.request("GET", "/readyz");
    CHECK(ready.status == 200);
    auto body = boost::json::parse(ready.body).as_object();
    CHECK(body.at("checks").at("database").as_string() == "ok");
    CHECK(body.at("checks").at("kafka").as_string() == "ok");
  }
  SECTION("unknown route is a 404 problem") {
    auto response = client.request("GET", "/v1/nothing-here");
    CHECK(response.status == 404);
    CHECK(response.header("Content-Type") == "application/problem+json");
    auto body = boost::json::parse(response.body).as_object();
    CHECK(body.at("status").as_int64() == 404);
    CHECK(body.at("type").as_string().ends_with("/not-found"));
  }
  SECTION("wrong method is a 405 problem with Allow") {
    auto response = client.request("POST", "/livez", "{}");
    CHECK(response.status == 405);
    CHECK(response.header("Allow") == "GET");
  }
  SECTION("an oversized body is a 413 problem") {
    auto response = client.request("POST", "/livez", std::string(4096, 'x'));
    CHECK(response.status == 413);
    CHECK(response.header("Content-Type") == "application/problem+json");
  }
  SECTION("metrics count the requests by route and status") {
    client.request("GET", "/livez");
    auto metrics = client.request("GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("bourse_http_requests_total{route=\"/livez\",method=\"GET\",status=\"200\"}") !=
          std::string::npos);
    CHECK(metrics.body.find("bourse_http_request_duration_seconds_bucket") != std::string::npos);
  }
}

TEST_CASE("SIGTERM finishes in-flight work and exits 0", "[serve][integration]") {
  ServerUnderTest server;
  INFO(server.process.log());
  REQUIRE(wait_for_status(server.port, "/readyz", 200, std::chrono::seconds(90)) == 200);
  server.process.signal(SIGTERM);
  REQUIRE(server.process.wait(std::chrono::seconds(30)) == 0);
  CHECK(server.process.log().find("shutdown complete") != std::string::npos);
  // Nothing listens any more.
  CHECK(wait_for_status(server.port, "/livez", 200, std::chrono::seconds(1)) == -1);
}
