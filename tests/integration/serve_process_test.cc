// Goal: the real `bourse serve` process, against the real MariaDB and Kafka, becomes
// ready, answers the health and metrics endpoints, speaks problem+json for bad
// requests, shuts down cleanly on SIGTERM with exit code 0, and runs the pipeline's
// threads at threads.background_nice when asked.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "bourse_process.h"

using bourse::testing::HttpClient;

using bourse::testing::BourseProcess;
using bourse::testing::wait_for_status;

TEST_CASE("bourse serve becomes ready and answers health, metrics and problems",
          "[serve][integration]") {
  BourseProcess server({"--set", "http.max_body_bytes=1024"});
  INFO(server.process().log());
  REQUIRE(server.wait_ready());

  HttpClient client = server.client();
  SECTION("livez and readyz") {
    auto live = client.request("GET", "/livez");
    CHECK(live.status == 200);
    auto ready = client.request("GET", "/readyz");
    CHECK(ready.status == 200);
    auto body = boost::json::parse(ready.body).as_object();
    CHECK(body.at("checks").at("database").as_string() == "ok");
    CHECK(body.at("checks").at("kafka").as_string() == "ok");
  }
  SECTION("GET /v1/symbols answers the configured symbol table") {
    auto response = client.request("GET", "/v1/symbols");
    REQUIRE(response.status == 200);
    auto data = boost::json::parse(response.body).at("data").as_array();
    std::vector<std::string> symbols;
    for (const auto& entry : data) symbols.emplace_back(entry.at("symbol").as_string());
    CHECK(symbols == std::vector<std::string>{"AAPL", "BRK.A", "MSFT", "TSLA"});  // bourse.toml
    CHECK(data[0].at("tick_size").as_string() == "0.01");
    CHECK(data[0].at("reference_price").as_string() == "150");
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
    // Relay lag is exported per outbox.
    CHECK(metrics.body.find("bourse_outbox_pending_rows{outbox=\"order_outbox\"}") != std::string::npos);
    CHECK(metrics.body.find("bourse_outbox_oldest_unpublished_age_seconds{outbox=\"account_outbox\"}") !=
          std::string::npos);
  }
}

TEST_CASE("SIGTERM finishes in-flight work and exits 0", "[serve][integration]") {
  BourseProcess server;
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  // (That an in-flight request is still answered is proven in src/http/server_test.cc.)
  server.process().signal(SIGTERM);
  REQUIRE(server.process().wait(std::chrono::seconds(30)) == 0);
  CHECK(server.process().log().find("shutdown complete") != std::string::npos);
  // Nothing listens any more.
  CHECK(wait_for_status(server.port(), "/livez", 200, std::chrono::milliseconds(0)) == -1);
}

namespace {

// Each thread's name and nice value, from /proc/<pid>/task/<tid>/{comm,stat}.
std::map<std::string, std::set<long>> thread_nice_by_name(pid_t pid) {
  std::map<std::string, std::set<long>> out;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream comm_file(task.path() / "comm");
    std::ifstream stat_file(task.path() / "stat");
    std::string comm;
    std::string stat;
    if (!std::getline(comm_file, comm) || !std::getline(stat_file, stat)) continue;
    // After the ")" that ends the name: state (field 3) ... nice (field 19).
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 19 && fields >> field; ++i) {
    }
    long nice = 0;
    if (fields >> nice) out[comm].insert(nice);
  }
  return out;
}

}  // namespace

TEST_CASE("threads.background_nice lowers the pipeline's threads, not order entry's",
          "[serve][integration]") {
  BourseProcess server({"--set", "threads.background_nice=7"});
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  const auto threads = thread_nice_by_name(server.process().pid());
  for (const std::string name : {"matching", "relay-order", "relay-matching", "relay-account",
                                 "c:order-status", "saga-scheduler", "reconciliation"}) {
    INFO(name);
    REQUIRE(threads.count(name) == 1);
    CHECK(threads.at(name) == std::set<long>{7});
  }
  // librdkafka's threads of those clients inherit it (rdk:main of each client).
  REQUIRE(threads.count("rdk:main") == 1);
  CHECK(threads.at("rdk:main").count(7) == 1);
  for (const std::string name : {"order-commit", "http-io-0", "blocking-0"}) {
    INFO(name);
    REQUIRE(threads.count(name) == 1);
    CHECK(threads.at(name) == std::set<long>{0});
  }
}
