// The HTTP/1.1 server: Boost.Beast, asynchronous, in the shape of Beast's
// example/advanced/server (a listener, then one session per connection on a strand).
//
// Lifecycle (all from one controlling thread, e.g. main):
//
//   http::Server server(config, router, registry);
//   if (auto status = server.start(); !status) { ... }   // binds, listens, starts I/O threads
//   server.port();                                      // the bound port (config.port 0 =
//   ephemeral)
//   ...                                                 // serve until asked to stop
//   server.stop_accepting();                            // close the listener (readyz goes 503
//   first) server.shutdown(std::chrono::steady_clock::now() + 10s);  // drain, close, join
//
// shutdown(deadline) stops accepting, answers every request already read (waiting for
// its Responder, e.g. a job in the BlockingPool) until `deadline`, closes idle and
// half-read connections, then closes everything and joins the I/O threads. It returns
// true when no request was cut off. The destructor calls shutdown(now) if needed.
// Stop the BlockingPool after the Server's shutdown: queued jobs still hold Responders.
// A Responder called after shutdown is a no-op, even after the Server is destroyed.
//
// Per connection: keep-alive; the first request must arrive complete within
// read_timeout; between requests the connection may stay idle for idle_timeout, and once
// the first byte of a request arrives the whole request must arrive within read_timeout
// (a slow client is disconnected). Headers over max_header_bytes: 431; a body over
// max_body_bytes (by Content-Length or while reading a chunked body): 413; malformed
// HTTP: 400; each answered with problem+json then `Connection: close` (the server keeps
// reading and discarding for up to kLingerTimeout so the client gets to read the answer).
// Past max_connections, a new connection gets a 503 problem and is closed.
// `Expect: 100-continue` is honoured. A response carries X-Request-Id (the request's own
// if it is a sane token, else a generated one) and Server-Timing (handler time).
//
// Streaming responses: a handler that answers with Response::stream set (status 200)
// gets the connection for that stream (stream_channel.h): chunked framing, heartbeats,
// a bounded queue (a client that stops reading is disconnected), and a clean end on
// shutdown, which waits (until its deadline) for every stream's final chunk as it waits
// for in-flight requests. A stream counts as a connection (max_connections) and is not an
// in-flight request once its headers are written.
//
// Metrics: bourse_http_requests_total{route,method,status} (counter),
// bourse_http_request_duration_seconds{route,method} (histogram, from the end of the
// request headers to the response handed to the socket), bourse_http_connections (gauge),
// bourse_http_in_flight_requests (gauge). `route` is the route pattern or "unmatched";
// `method` is one of the standard methods or "OTHER". When shutdown() returns, the
// gauges no longer count this server (a connection still held by a Responder included).
//
// Thread-safety: start/stop_accepting/shutdown are for the controlling thread; port,
// in_flight and open_connections may be read from any thread; Responders may be called
// from any thread. The Registry and the Router must outlive the Server. Once shutdown()
// has returned the server touches neither, so a Responder may outlive all three: calling
// or destroying it then is harmless.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/limits.h"
#include "bourse/metrics/registry.h"
#include "http/router.h"

namespace bourse::http {

// After an error answer with Connection: close, the server keeps reading (and
// discarding) what the client still sends for this long, up to kMaxLingerBytes, so the
// client is not reset before it reads the answer (nginx's lingering close).
inline constexpr std::chrono::milliseconds kLingerTimeout{1'000};
inline constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// How long the 503 answer to a connection past max_connections may take to write.
inline constexpr std::chrono::milliseconds kRejectWriteTimeout{1'000};
// Longest client X-Request-Id echoed back; longer or non-token ones are replaced.
inline constexpr std::size_t kMaxRequestIdLength = 128;

struct ServerConfig {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: an ephemeral port, see Server::port()
  int io_threads = 2;         // 1..limits::kMaxHttpIoThreads
  std::size_t max_body_bytes = limits::kMaxHttpBodyBytes;      // 1..kMaxHttpBodyBytes * 16
  std::size_t max_header_bytes = limits::kMaxHttpHeaderBytes;  // 1 KiB..kMaxHttpHeaderBytes * 4
  std::chrono::milliseconds read_timeout = limits::kHttpReadTimeout;
  std::chrono::milliseconds idle_timeout = limits::kHttpIdleTimeout;
  std::size_t max_connections = limits::kMaxHttpConnections;  // 1..kMaxHttpConnections
};

// Checks ranges against limits.h (ceilings leave room for tuning, never unbounded).
Status validate(const ServerConfig& config);

namespace detail {
struct ServerCore;
}  // namespace detail

class Server {
 public:
  // `router` must outlive the Server. REQUIRES: validate(config).ok().
  Server(ServerConfig config, const Router& router, metrics::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads; returns at once. An error (e.g. the
  // address is in use) is kUnavailable. REQUIRES: called once.
  Status start();
  // The bound port; 0 before start().
  std::uint16_t port() const;
  // Closes the listener: new connections are refused, current ones keep being served.
  void stop_accepting();
  // See the file comment. Idempotent; returns true if every in-flight request was
  // answered before `deadline`.
  bool shutdown(std::chrono::steady_clock::time_point deadline);

  // Requests read and not yet answered. After shutdown(), those whose Responder is still
  // alive (the connection is closed, the answer will be dropped).
  std::size_t in_flight() const;
  // Connections not yet destroyed (after shutdown(): those a live Responder still holds).
  std::size_t open_connections() const;

 private:
  std::shared_ptr<detail::ServerCore> core_;
  std::vector<std::thread> threads_;  // the I/O threads, joined by shutdown()
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace bourse::http
