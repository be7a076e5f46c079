// Goal: prove the server over real loopback sockets: routing and problem answers, body and
// header limits, timeouts, keep-alive, the blocking pool hand-off and load shedding,
// graceful shutdown, and request metrics.
#include "http/server.h"

#include <atomic>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "http/blocking_pool.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "http_client.h"

namespace bourse::http {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::RawConnection;

std::string thread_id_text(std::thread::id id) {
  std::ostringstream out;
  out << id;
  return out.str();
}

// A server on an ephemeral loopback port with a few routes. Members are declared in
// dependency order: the threads answering /v1/later are joined first, then the server
// is destroyed, the registry last.
struct TestServer {
  explicit TestServer(std::function<void(ServerConfig&)> tune = {},
                      BlockingPoolConfig pool_config = {"test", 2, 16})
      : pool(pool_config, registry), router(pool) {
    ServerConfig config;
    config.bind_address = "127.0.0.1";
    config.port = 0;
    config.io_threads = 2;
    config.max_body_bytes = 1024;
    config.read_timeout = 2s;
    config.idle_timeout = 2s;
    if (tune) tune(config);

    router.add("GET", "/v1/echo/{id}", [](Request&& request, Responder respond) {
      boost::json::object body{{"id", request.path_param("id")},
                               {"remote", request.remote_address},
                               {"route", request.route},
                               {"thread", thread_id_text(std::this_thread::get_id())}};
      boost::json::object query;
      for (const auto& [key, value] : request.query) query[key] = value;
      body["query"] = query;
      respond(json_response(200, body));
    });
    router.add("POST", "/v1/echo", [](Request&& request, Responder respond) {
      auto object = parse_json_object(request);
      if (!object) return respond(problem_from_error(object.error(), request.path));
      respond(json_response(200, *object));
    });
    router.add_blocking("GET", "/v1/blocking", [this](const Request&) {
      return json_response(
          200, boost::json::object{{"thread", thread_id_text(std::this_thread::get_id())},
                                   {"on_pool", pool.on_pool_thread()}});
    });
    router.add_blocking("GET", "/v1/slow", [this](const Request&) {
      slow_started.count_down();
      slow_release.get_future().wait();
      return json_response(200, boost::json::object{{"slow", true}});
    });
    router.add("GET", "/v1/later", [this](Request&&, Responder respond) {
      // Answer from a foreign thread after the handler returned. The thread is joined by
      // the fixture, never detached: its copy of the Responder must die while the server
      // and the registry live.
      std::lock_guard lock(later_mutex);
      later_threads.emplace_back([respond] {
        std::this_thread::sleep_for(20ms);
        respond(text_response(200, "later"));
      });
    });
    router.add("GET", "/v1/dropped", [](Request&&, Responder) {});
    router.add("GET", "/v1/twice", [](Request&&, Responder respond) {
      respond(text_response(200, "first"));
      respond(text_response(500, "second"));
    });

    server.emplace(config, router, registry);
    REQUIRE(server->start().ok());
    REQUIRE(server->port() != 0);
  }

  std::uint16_t port() const { return server->port(); }

  metrics::Registry registry;
  BlockingPool pool;
  Router router;
  std::latch slow_started{1};
  std::promise<void> slow_release;
  std::optional<Server> server;
  std::mutex later_mutex;
  std::vector<std::jthread> later_threads;  // guarded by later_mutex
};

boost::json::object json_of(const testing::HttpResponse& response) {
  return boost::json::parse(response.body).as_object();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("a route answers with path and query parameters", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  const auto response = client.get("/v1/echo/a%20b?limit=10&symbol=AC%2BME");
  REQUIRE(response.status == 200);
  CHECK(response.header("Content-Type") == "application/json");
  CHECK_FALSE(response.header("X-Request-Id").empty());
  CHECK(contains(response.header("Server-Timing"), "app;dur="));
  const auto body = json_of(response);
  CHECK(body.at("id").as_string() == "a b");
  CHECK(body.at("route").as_string() == "/v1/echo/{id}");
  CHECK(body.at("query").at("limit").as_string() == "10");
  CHECK(body.at("query").at("symbol").as_string() == "AC+ME");
  CHECK(contains(std::string(body.at("remote").as_string()), "127.0.0.1:"));
}

TEST_CASE("unknown path is 404 and wrong method is 405 with Allow, as problem+json",
          "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  auto response = client.get("/nowhere");
  CHECK(response.status == 404);
  CHECK(response.header("Content-Type") == "application/problem+json");
  CHECK(json_of(response).at("type").as_string() == "https://bourse.dev/problems/not-found");
  CHECK(json_of(response).at("status").as_int64() == 404);
  CHECK(json_of(response).at("instance").as_string() == "/nowhere");

  response = client.request("DELETE", "/v1/echo");
  CHECK(response.status == 405);
  CHECK(response.header("Allow") == "POST");
  CHECK(response.header("Content-Type") == "application/problem+json");
  CHECK(json_of(response).at("type").as_string() ==
        "https://bourse.dev/problems/method-not-allowed");
}

TEST_CASE("malformed JSON is a 400 problem and the connection stays usable", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  auto response = client.post("/v1/echo", "{\"user_id\":");
  CHECK(response.status == 400);
  CHECK(response.header("Content-Type") == "application/problem+json");
  CHECK(json_of(response).at("type").as_string() == "https://bourse.dev/problems/malformed-json");
  response = client.post("/v1/echo", R"({"ok":true})");
  CHECK(response.status == 200);
  CHECK(json_of(response).at("ok").as_bool());
}

TEST_CASE("keep-alive serves several requests on one connection", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  const std::string first_remote(json_of(client.get("/v1/echo/1")).at("remote").as_string());
  for (int i = 2; i <= 5; ++i) {
    const auto response = client.get("/v1/echo/" + std::to_string(i));
    REQUIRE(response.status == 200);
    CHECK(response.keep_alive);
    CHECK(json_of(response).at("remote").as_string() == first_remote);
  }
  CHECK(ts.server->open_connections() == 1);
}

TEST_CASE("pipelined requests are answered in order", "[http][server]") {
  TestServer ts;
  RawConnection raw("127.0.0.1", ts.port());
  REQUIRE(raw.send(
      "GET /v1/echo/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/echo/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = raw.read_response();
  auto second = raw.read_response();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(json_of(*first).at("id").as_string() == "1");
  CHECK(json_of(*second).at("id").as_string() == "2");
}

TEST_CASE("a body over the limit is 413 by Content-Length", "[http][server]") {
  TestServer ts;  // max_body_bytes = 1024
  HttpClient client("127.0.0.1", ts.port());
  const auto response = client.post("/v1/echo", std::string(8 * 1024, 'x'));
  CHECK(response.status == 413);
  CHECK(response.header("Content-Type") == "application/problem+json");
  CHECK(json_of(response).at("type").as_string() ==
        "https://bourse.dev/problems/payload-too-large");
  CHECK_FALSE(response.keep_alive);
}

TEST_CASE("a Content-Length over the limit is 413 before the body arrives", "[http][server]") {
  TestServer ts;
  RawConnection raw("127.0.0.1", ts.port());
  // Claims 10 MB, sends 2 bytes: the answer must not wait for the rest.
  REQUIRE(raw.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n{}"));
  const auto response = raw.read_response();
  REQUIRE(response);
  CHECK(response->status == 413);
}

TEST_CASE("an understated Content-Length cannot smuggle extra bytes", "[http][server]") {
  TestServer ts;
  RawConnection raw("127.0.0.1", ts.port());
  // Content-Length 2 but a longer body: the rest is read as the next request, which is
  // not HTTP, so it is a 400 and the connection closes.
  REQUIRE(raw.send(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}garbage-not-http\r\n\r\n"));
  const auto first = raw.read_response();
  REQUIRE(first);
  CHECK(first->status == 200);
  const auto second = raw.read_response();
  REQUIRE(second);
  CHECK(second->status == 400);
  CHECK_FALSE(second->keep_alive);
}

TEST_CASE("a chunked body over the limit is 413", "[http][server]") {
  TestServer ts;
  RawConnection raw("127.0.0.1", ts.port());
  std::string request = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) request += "200\r\n" + std::string(512, 'x') + "\r\n";
  request += "0\r\n\r\n";
  REQUIRE(raw.send(request));
  const auto response = raw.read_response();
  REQUIRE(response);
  CHECK(response->status == 413);
  CHECK(response->header("Content-Type") == "application/problem+json");
}

TEST_CASE("a header over the limit is 431", "[http][server]") {
  TestServer ts([](ServerConfig& config) { config.max_header_bytes = 2048; });
  RawConnection raw("127.0.0.1", ts.port());
  REQUIRE(raw.send("GET /v1/echo/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') +
                   "\r\n\r\n"));
  const auto response = raw.read_response();
  REQUIRE(response);
  CHECK(response->status == 431);
  CHECK(response->header("Content-Type") == "application/problem+json");
}

TEST_CASE("a header of many small fields, sent in small pieces, is held to the limit",
          "[http][server]") {
  TestServer ts([](ServerConfig& config) { config.max_header_bytes = 2048; });
  std::string fields;
  for (int i = 0; fields.size() < 3000; ++i) fields += "X-H" + std::to_string(i) + ": v\r\n";
  const std::string over = "GET /v1/echo/1 HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n";
  for (std::size_t piece : {std::size_t{100}, std::size_t{700}, std::size_t{1500}, over.size()}) {
    INFO("sent in pieces of " << piece << " bytes");
    RawConnection raw("127.0.0.1", ts.port());
    for (std::size_t at = 0; at < over.size(); at += piece) {
      if (!raw.send(over.substr(at, piece))) break;  // the server may answer and close early
      std::this_thread::sleep_for(2ms);
    }
    const auto response = raw.read_response();
    REQUIRE(response);
    CHECK(response->status == 431);
  }
  // Just under the limit, in pieces too: served.
  std::string small;
  for (int i = 0; small.size() < 1800; ++i) small += "X-H" + std::to_string(i) + ": v\r\n";
  RawConnection fits("127.0.0.1", ts.port());
  const std::string under = "GET /v1/echo/1 HTTP/1.1\r\nHost: x\r\n" + small + "\r\n";
  for (std::size_t at = 0; at < under.size(); at += 100) {
    REQUIRE(fits.send(under.substr(at, 100)));
    std::this_thread::sleep_for(2ms);
  }
  const auto served = fits.read_response();
  REQUIRE(served);
  CHECK(served->status == 200);
}

TEST_CASE("malformed HTTP is 400 and closes", "[http][server]") {
  TestServer ts;
  for (const char* garbage : {"NOT HTTP AT ALL\r\n\r\n", "GET /v1/echo/1 HTTP/9.9\r\n\r\n",
                              "GET /v1/echo/1 HTTP/1.1\r\nBad Header\r\n\r\n",
                              "POST /v1/echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                              "GET http://evil/x HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    INFO(garbage);
    RawConnection raw("127.0.0.1", ts.port());
    REQUIRE(raw.send(garbage));
    const auto response = raw.read_response();
    REQUIRE(response);
    CHECK(response->status == 400);
    CHECK_FALSE(response->keep_alive);
    bool closed = false;
    raw.read_until_close(closed, 2s);
    CHECK(closed);
  }
  // Still serving.
  CHECK(testing::http_get_once("127.0.0.1", ts.port(), "/v1/echo/1").status == 200);
}

TEST_CASE("a slow client is disconnected after the read timeout", "[http][server]") {
  TestServer ts([](ServerConfig& config) { config.read_timeout = 200ms; });
  RawConnection raw("127.0.0.1", ts.port());
  REQUIRE(raw.send("GET /v1/echo/1 HTTP/1.1\r\nHost: x\r\n"));  // never finishes the header
  bool closed = false;
  const auto start = std::chrono::steady_clock::now();
  const std::string data = raw.read_until_close(closed, 3s);
  CHECK(closed);
  CHECK(data.empty());
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout", "[http][server]") {
  TestServer ts([](ServerConfig& config) { config.idle_timeout = 200ms; });
  RawConnection raw("127.0.0.1", ts.port());
  REQUIRE(raw.send("GET /v1/echo/1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(raw.read_response());
  bool closed = false;
  raw.read_until_close(closed, 3s);
  CHECK(closed);
}

TEST_CASE("Expect: 100-continue gets an interim answer", "[http][server]") {
  TestServer ts;
  RawConnection raw("127.0.0.1", ts.port());
  REQUIRE(raw.send(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = raw.read_response();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  REQUIRE(raw.send("{}"));
  const auto response = raw.read_response();
  REQUIRE(response);
  CHECK(response->status == 200);
}

TEST_CASE("a blocking handler runs on the pool, not on an I/O thread", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  const auto blocking = json_of(client.get("/v1/blocking"));
  const auto async = json_of(client.get("/v1/echo/1"));
  CHECK(blocking.at("on_pool").as_bool());
  CHECK(blocking.at("thread").as_string() != async.at("thread").as_string());
}

TEST_CASE("a Responder may answer later from another thread", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  const auto response = client.get("/v1/later");
  CHECK(response.status == 200);
  CHECK(response.body == "later");
  CHECK(client.get("/v1/echo/1").status == 200);
}

TEST_CASE("a dropped Responder answers 500; a second call is ignored", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  auto response = client.get("/v1/dropped");
  CHECK(response.status == 500);
  CHECK(json_of(response).at("type").as_string() == "https://bourse.dev/problems/internal");
  response = client.get("/v1/twice");
  CHECK(response.status == 200);
  CHECK(response.body == "first");
  CHECK(client.get("/v1/echo/1").status == 200);  // no stray second answer on the wire
}

TEST_CASE("a full blocking pool answers 503 with Retry-After", "[http][server]") {
  // Declared before the server: the job below refers to them until the pool is stopped.
  std::latch release(1);
  std::promise<void> started;
  TestServer ts({}, BlockingPoolConfig{"tiny", 1, 1});
  // Occupy the only thread and the only queue slot.
  REQUIRE(ts.pool.try_post([&] {
    started.set_value();
    release.wait();
  }));
  started.get_future().wait();
  REQUIRE(ts.pool.try_post([] {}));

  HttpClient client("127.0.0.1", ts.port());
  const auto response = client.get("/v1/blocking");
  CHECK(response.status == 503);
  CHECK(response.header("Retry-After") == "1");
  CHECK(response.header("Content-Type") == "application/problem+json");
  CHECK(json_of(response).at("type").as_string() == "https://bourse.dev/problems/overloaded");
  release.count_down();
  // Once the queue has room again, the route is served.
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (ts.pool.queue_depth() > 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(1ms);
  CHECK(client.get("/v1/blocking").status == 200);
}

TEST_CASE("connections past the limit get 503 and are closed", "[http][server]") {
  TestServer ts([](ServerConfig& config) { config.max_connections = 1; });
  HttpClient first("127.0.0.1", ts.port());
  REQUIRE(first.get("/v1/echo/1").status == 200);  // holds the only slot (keep-alive)
  RawConnection second("127.0.0.1", ts.port());
  const auto response = second.read_response();
  REQUIRE(response);
  CHECK(response->status == 503);
  CHECK(response->header("Retry-After") == "1");
  CHECK(first.get("/v1/echo/2").status == 200);
}

TEST_CASE("graceful shutdown answers the in-flight request, then refuses connections",
          "[http][server]") {
  TestServer ts;
  const std::uint16_t port = ts.port();
  auto answer = std::async(std::launch::async, [port] {
    HttpClient client("127.0.0.1", port);
    return client.get("/v1/slow");
  });
  ts.slow_started.wait();
  CHECK(ts.server->in_flight() == 1);
  // An idle keep-alive connection must not hold the shutdown.
  HttpClient idle("127.0.0.1", port);
  REQUIRE(idle.get("/v1/echo/1").status == 200);

  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    ts.slow_release.set_value();
  });
  ts.server->stop_accepting();
  const bool clean = ts.server->shutdown(std::chrono::steady_clock::now() + 5s);
  releaser.join();
  CHECK(clean);
  const auto response = answer.get();
  CHECK(response.status == 200);
  CHECK(json_of(response).at("slow").as_bool());
  CHECK_FALSE(response.keep_alive);  // Connection: close while draining
  CHECK_THROWS(testing::http_get_once("127.0.0.1", port, "/v1/echo/1", 1s));
}

TEST_CASE("shutdown past its deadline returns false and a late Responder is harmless",
          "[http][server]") {
  auto ts = std::make_unique<TestServer>();
  const std::uint16_t port = ts->port();
  auto answer = std::async(std::launch::async, [port] {
    HttpClient client("127.0.0.1", port, 3s);
    try {
      return client.get("/v1/slow").status;
    } catch (const std::exception&) {
      return -1;  // the connection was closed without an answer
    }
  });
  ts->slow_started.wait();
  CHECK_FALSE(ts->server->shutdown(std::chrono::steady_clock::now() + 50ms));
  CHECK(answer.get() == -1);
  ts->server.reset();            // destroy the server while the job still holds its Responder
  ts->slow_release.set_value();  // the job answers into a dead server
  ts->pool.stop();
}

TEST_CASE("a Responder may outlive the server and its registry", "[http][server]") {
  // Once shutdown() has returned the server never touches the registry: a connection
  // still held by a Responder leaves the gauges then, not when the Responder dies.
  Responder kept;
  std::promise<void> handed_over;
  auto registry = std::make_unique<metrics::Registry>();
  Router router;
  router.add("GET", "/v1/keep", [&](Request&&, Responder respond) {
    kept = std::move(respond);
    handed_over.set_value();
  });
  ServerConfig config;
  config.bind_address = "127.0.0.1";
  config.port = 0;
  auto server = std::make_unique<Server>(config, router, *registry);
  REQUIRE(server->start().ok());
  const std::uint16_t port = server->port();
  auto answer = std::async(std::launch::async, [port] {
    HttpClient client("127.0.0.1", port, 3s);
    try {
      return client.get("/v1/keep").status;
    } catch (const std::exception&) {
      return -1;  // the connection was closed without an answer
    }
  });
  handed_over.get_future().wait();
  CHECK_FALSE(server->shutdown(std::chrono::steady_clock::now() + 50ms));
  CHECK(answer.get() == -1);
  CHECK(server->open_connections() == 1);  // the Responder still holds the connection
  const std::string text = registry->render_prometheus();
  CHECK(contains(text, "\nbourse_http_connections 0\n"));
  CHECK(contains(text, "\nbourse_http_in_flight_requests 0\n"));

  server.reset();
  registry.reset();
  kept(text_response(200, "too late"));  // a no-op
  kept = nullptr;  // the last reference to the connection: it dies without the registry
}

TEST_CASE("request metrics count by route pattern, method and status", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  REQUIRE(client.get("/v1/echo/1").status == 200);
  REQUIRE(client.get("/v1/echo/2").status == 200);
  REQUIRE(client.get("/random/path/1").status == 404);
  REQUIRE(client.get("/random/path/2").status == 404);
  const std::string text = ts.registry.render_prometheus();
  CHECK(contains(text, "# TYPE bourse_http_requests_total counter"));
  CHECK(contains(
      text,
      "bourse_http_requests_total{route=\"/v1/echo/{id}\",method=\"GET\",status=\"200\"} 2\n"));
  CHECK(contains(
      text, "bourse_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 2\n"));
  CHECK(contains(text, "# TYPE bourse_http_request_duration_seconds histogram"));
  CHECK(contains(
      text,
      "bourse_http_request_duration_seconds_count{route=\"/v1/echo/{id}\",method=\"GET\"} 2\n"));
  CHECK(contains(text,
                 "bourse_http_request_duration_seconds_bucket{route=\"/v1/echo/"
                 "{id}\",method=\"GET\",le=\"+Inf\"} 2\n"));
  CHECK_FALSE(contains(text, "/random/path"));
}

TEST_CASE("a client X-Request-Id is echoed, an unsafe one replaced", "[http][server]") {
  TestServer ts;
  HttpClient client("127.0.0.1", ts.port());
  CHECK(client.get("/v1/echo/1", {{"X-Request-Id", "abc-123"}}).header("X-Request-Id") ==
        "abc-123");
  const auto replaced =
      client.get("/v1/echo/1", {{"X-Request-Id", "bad id\"<>"}}).header("X-Request-Id");
  CHECK_FALSE(replaced.empty());
  CHECK(replaced != "bad id\"<>");
}

TEST_CASE("config validation rejects out-of-range values", "[http][server]") {
  CHECK(validate(ServerConfig{}).ok());
  ServerConfig config;
  config.io_threads = 0;
  CHECK_FALSE(validate(config).ok());
  config = {};
  config.max_body_bytes = 0;
  CHECK_FALSE(validate(config).ok());
  config = {};
  config.read_timeout = 0ms;
  CHECK_FALSE(validate(config).ok());
  config = {};
  config.max_connections = limits::kMaxHttpConnections + 1;
  CHECK_FALSE(validate(config).ok());
}

TEST_CASE("binding a used port fails with an error, not a crash", "[http][server]") {
  TestServer ts;
  metrics::Registry registry;
  Router router;
  ServerConfig config;
  config.bind_address = "127.0.0.1";
  config.port = ts.port();
  Server second(config, router, registry);
  const Status status = second.start();
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace bourse::http
