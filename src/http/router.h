// Routes requests by method and path pattern to asynchronous handlers.
//
// A pattern is a path of literal segments and `{name}` segments, e.g.
// "/v1/accounts/{user_id}/deposits"; a `{name}` segment matches one non-empty segment and
// its percent-decoded value lands in Request::path_params. When several patterns match a
// path, the most specific wins (a literal segment beats a parameter at the first place
// they differ), so "/v1/orders/stream" wins over "/v1/orders/{id}" for GET.
//
// Unknown path: 404 problem. Known path, other method: 405 problem with an Allow header.
// The route's pattern is its name and the `route` label of the request metrics; requests
// that match no route share the label kUnmatchedRoute, so random URLs cannot grow the
// metrics.
//
// Threading: handlers run on the connection's strand, on an I/O thread, and must not
// block. A handler answers by calling its Responder exactly once, from any thread, now or
// later; the Responder posts the response back to the connection. A Responder that is
// destroyed without being called answers 500; calls after the first are ignored. A route
// added with add_blocking runs its function on the BlockingPool instead, and answers 503
// + Retry-After when the pool queue is full. A handler that throws answers 500.
//
// A streaming route (Server-Sent Events) is an ordinary route whose handler answers with
// Response::stream set (stream_channel.h); add_blocking works too (the subscription work
// runs on the pool, the stream is then written by the I/O threads).
//
// The Router is built at start-up (add*) and then only read (dispatch, match): it is
// not thread-safe to add routes while serving. It must outlive the Server using it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace bourse::http {

class BlockingPool;

using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Responder)>;
using BlockingHandler = std::function<Response(const Request&)>;

// The metrics `route` label of requests that match no route (404, or rejected before
// routing: malformed HTTP, 413, 431).
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

class Router {
 public:
  // A router with no blocking pool: add_blocking is not available.
  Router() = default;
  // `pool` runs the add_blocking handlers and must outlive the Router's use.
  explicit Router(BlockingPool& pool) : pool_(&pool) {}

  // REQUIRES: pattern starts with '/', braces only as whole `{name}` segments, names
  // unique within the pattern, and (method, pattern) not added before.
  void add(std::string_view method, std::string_view pattern, Handler handler);
  // Runs `handler` on the blocking pool. REQUIRES: constructed with a pool.
  void add_blocking(std::string_view method, std::string_view pattern, BlockingHandler handler);

  enum class MatchStatus { kMatched, kNotFound, kMethodNotAllowed };
  struct Match {
    MatchStatus status = MatchStatus::kNotFound;
    const Handler* handler = nullptr;  // kMatched only; owned by the Router
    std::string_view route;            // the pattern, or kUnmatchedRoute
    std::vector<std::pair<std::string, std::string>> path_params;  // decoded
    std::string allow;  // kMethodNotAllowed only: "GET, POST"
  };
  // `path` is the still percent-encoded path (no query).
  Match match(std::string_view method, std::string_view path) const;

  // Matches the request, fills request.route and request.path_params, and calls the
  // handler, or answers 404/405. Returns the metrics route label (a pattern owned by the
  // Router, or kUnmatchedRoute), valid as long as the Router.
  std::string_view dispatch(Request&& request, Responder respond) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  std::vector<std::unique_ptr<Route>> routes_;  // pointers: Match and labels point into them
  BlockingPool* pool_ = nullptr;
};

}  // namespace bourse::http
