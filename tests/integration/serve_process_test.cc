// Goal: the real `bourse serve` process, against the real MariaDB and Kafka, becomes
// ready, answers the health and metrics endpoints, speaks problem+json for bad
// requests, and shuts down cleanly on SIGTERM with exit code 0.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <csignal>
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
