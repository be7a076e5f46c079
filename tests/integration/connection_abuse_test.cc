// Goal: a real `bourse serve` survives abusive connections: a slow-loris client (headers
// one byte a second) is cut by the read timeout while other clients are served, and
// idle connections past http.max_connections are refused with a 503 problem while the
// process stays up and serves again once the idle ones time out.
// Timing bounds are generous: these are behaviours, not benchmarks.
#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bourse_process.h"

using bourse::testing::BourseProcess;
using bourse::testing::HttpClient;
using bourse::testing::RawConnection;

namespace {

constexpr int kReadTimeoutMs = 2'000;
constexpr int kIdleTimeoutMs = 2'000;
constexpr int kMaxConnections = 4;

std::vector<std::string> abuse_settings() {
  return {"--set", "http.max_connections=" + std::to_string(kMaxConnections),
          "--set", "http.read_timeout_ms=" + std::to_string(kReadTimeoutMs),
          "--set", "http.idle_timeout_ms=" + std::to_string(kIdleTimeoutMs)};
}

// Polls /livez until it answers 200 (the cap may still be taken) or `timeout` passes.
bool served_within(int port, std::chrono::seconds timeout) {
  return bourse::testing::wait_for_status(port, "/livez", 200, timeout) == 200;
}

}  // namespace

TEST_CASE("a slow-loris client is cut by the read timeout while others are served",
          "[abuse][integration]") {
  BourseProcess server(abuse_settings());
  INFO(server.process().log());
  REQUIRE(server.wait_ready());

  std::atomic<bool> cut{false};
  std::atomic<int> bytes_sent{0};
  std::string answered;
  std::thread loris([&] {
    RawConnection connection("127.0.0.1", static_cast<std::uint16_t>(server.port()),
                             std::chrono::milliseconds(5'000));
    const std::string request =
        "GET /v1/symbols HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(60, 'z') +
        "\r\n\r\n";
    for (const char byte : request) {
      if (!connection.send(std::string_view(&byte, 1))) {
        cut = true;
        return;
      }
      ++bytes_sent;
      bool closed = false;
      // One byte a second; a close shows up as the end of the read.
      answered += connection.read_until_close(closed, std::chrono::seconds(1));
      if (closed) {
        cut = true;
        return;
      }
    }
  });

  // Meanwhile, other clients are served (each within the client's 5 s timeout).
  int served = 0;
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    HttpClient client = server.client();
    if (client.get("/v1/symbols").status == 200) ++served;
  }
  loris.join();
  CHECK(served == 5);
  CHECK(cut);
  // Cut long before the whole request (~90 bytes, ~90 s) was sent, and never answered 200.
  CHECK(bytes_sent < 30);
  CHECK(answered.find("200 OK") == std::string::npos);
  CHECK(server.process().running());
}

TEST_CASE("idle connections past max_connections are refused and the server recovers",
          "[abuse][integration]") {
  BourseProcess server(abuse_settings());
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  // wait_ready's connections are closed; let the server notice before filling the cap.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  constexpr int kExtra = 6;
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < kMaxConnections + kExtra; ++i) {
    connections.push_back(std::make_unique<RawConnection>(
        "127.0.0.1", static_cast<std::uint16_t>(server.port()), std::chrono::milliseconds(10'000)));
  }
  // While the idle ones hold the cap, a normal client is refused too.
  {
    HttpClient client = server.client();
    auto refused = client.get("/livez");
    CHECK(refused.status == 503);
    CHECK(refused.header("Content-Type") == "application/problem+json");
    CHECK(refused.header("Retry-After") == "1");
    CHECK(boost::json::parse(refused.body).at("type").as_string() ==
          "https://bourse.dev/problems/overloaded");
  }

  // Each connection either was refused at once (503 overloaded, closed) or was accepted
  // and is closed by the read timeout without an answer (read_response: nullopt).
  int refused = 0;
  int accepted = 0;
  for (auto& connection : connections) {
    auto response = connection->read_response();
    if (response) {
      CHECK(response->status == 503);
      CHECK(!response->keep_alive);
      ++refused;
    } else {
      ++accepted;
    }
  }
  CHECK(accepted <= kMaxConnections);
  CHECK(accepted >= 1);
  CHECK(refused >= kExtra);
  CHECK(server.process().running());

  // Once the idle connections timed out, a normal client is served again.
  connections.clear();
  REQUIRE(served_within(server.port(), std::chrono::seconds(30)));
  HttpClient client = server.client();
  CHECK(client.get("/v1/symbols").status == 200);
  auto metrics = client.get("/metrics");
  REQUIRE(metrics.status == 200);
  // The sample line (not # HELP / # TYPE): "bourse_http_rejected_connections_total 7".
  const auto at = metrics.body.find("\nbourse_http_rejected_connections_total");
  REQUIRE(at != std::string::npos);
  const std::string line = metrics.body.substr(at + 1, metrics.body.find('\n', at + 1) - at - 1);
  INFO(line);
  CHECK(std::stod(line.substr(line.rfind(' ') + 1)) >= kExtra + 1);
}

TEST_CASE("a cap-full server recovers after idle keep-alive clients time out",
          "[abuse][integration]") {
  BourseProcess server(abuse_settings());
  INFO(server.process().log());
  REQUIRE(server.wait_ready());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // Keep-alive clients that made one request and then went quiet hold the cap until
  // idle_timeout; they are not refused: they were let in below the cap.
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < kMaxConnections; ++i) {
    idle.push_back(std::make_unique<HttpClient>("127.0.0.1",
                                                static_cast<std::uint16_t>(server.port())));
    CHECK(idle.back()->get("/livez").status == 200);
  }
  {
    HttpClient extra = server.client();
    CHECK(extra.get("/livez").status == 503);
  }
  // No client closes: the server's idle timeout frees the slots.
  REQUIRE(served_within(server.port(), std::chrono::seconds(30)));
  CHECK(server.process().running());
}
