#include "http/router.h"

#include <algorithm>
#include <boost/url/pct_string_view.hpp>
#include <exception>
#include <set>

#include "bourse/common/assert.h"
#include "http/blocking_pool.h"
#include "http/problem.h"

namespace bourse::http {
namespace {

// Splits "/a/b" into {"a", "b"}; "/" into {""}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  for (;;) {
    const std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// Percent-decodes a segment; nullopt when the encoding is invalid.
std::optional<std::string> decode_segment(std::string_view segment) {
  auto encoded = boost::urls::make_pct_string_view(segment);
  if (!encoded) return std::nullopt;
  return encoded->decode();
}

}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Handler handler) {
  BOURSE_ASSERT(!method.empty(), "route method is empty");
  BOURSE_ASSERT(!pattern.empty() && pattern.front() == '/', "route pattern must start with '/'");
  BOURSE_ASSERT(handler != nullptr, "route handler is empty");
  auto route = std::make_unique<Route>();
  route->method = std::string(method);
  route->pattern = std::string(pattern);
  route->handler = std::move(handler);
  std::set<std::string_view> names;
  for (const std::string_view segment : split_path(pattern)) {
    const bool is_param = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
    if (is_param) {
      const std::string_view name = segment.substr(1, segment.size() - 2);
      BOURSE_ASSERT(!name.empty() && name.find_first_of("{}") == std::string_view::npos,
                    "malformed route parameter");
      BOURSE_ASSERT(names.insert(name).second, "duplicate route parameter name");
      route->segments.push_back({std::string(name), true});
    } else {
      BOURSE_ASSERT(segment.find_first_of("{}") == std::string_view::npos,
                    "braces in a route pattern must enclose a whole segment");
      route->segments.push_back({std::string(segment), false});
    }
  }
  for (const auto& existing : routes_) {
    BOURSE_ASSERT(!(existing->method == route->method && existing->pattern == route->pattern),
                  "route added twice");
  }
  routes_.push_back(std::move(route));
}

void Router::add_blocking(std::string_view method, std::string_view pattern,
                          BlockingHandler handler) {
  BOURSE_ASSERT(pool_ != nullptr, "Router::add_blocking needs a Router built with a BlockingPool");
  BOURSE_ASSERT(handler != nullptr, "route handler is empty");
  BlockingPool* pool = pool_;
  auto shared_handler = std::make_shared<const BlockingHandler>(std::move(handler));
  add(method, pattern, [pool, shared_handler](Request&& request, Responder respond) {
    auto job = [shared_handler, respond, request = std::move(request)]() {
      Response response;
      try {
        response = (*shared_handler)(request);
      } catch (...) {
        response = problem_from_error(Error::internal("blocking handler threw"), request.path);
      }
      respond(std::move(response));
    };
    if (!pool->try_post(std::move(job))) {
      respond(problem_response(503, problem_kind::kOverloaded, "Server overloaded",
                               "Too many requests are waiting for a worker; retry later."));
    }
  });
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  result.route = kUnmatchedRoute;
  const std::vector<std::string_view> raw_segments = split_path(path);
  if (raw_segments.empty()) return result;
  std::vector<std::string> segments;
  segments.reserve(raw_segments.size());
  for (const std::string_view raw : raw_segments) {
    auto decoded = decode_segment(raw);
    if (!decoded) return result;  // invalid percent-encoding matches nothing
    segments.push_back(std::move(*decoded));
  }

  const auto matches = [&](const Route& route) {
    if (route.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& segment = route.segments[i];
      if (segment.is_param ? segments[i].empty() : segment.text != segments[i]) return false;
    }
    return true;
  };
  // True when `a` is more specific than `b`: a literal at the first differing place.
  const auto more_specific = [](const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
    }
    return false;
  };

  const Route* best = nullptr;
  std::set<std::string_view> allowed;
  for (const auto& route : routes_) {
    if (!matches(*route)) continue;
    allowed.insert(route->method);
    if (route->method != method) continue;
    if (best == nullptr || more_specific(*route, *best)) best = route.get();
  }
  if (best != nullptr) {
    result.status = MatchStatus::kMatched;
    result.handler = &best->handler;
    result.route = best->pattern;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (best->segments[i].is_param)
        result.path_params.emplace_back(best->segments[i].text, segments[i]);
    }
    return result;
  }
  if (!allowed.empty()) {
    result.status = MatchStatus::kMethodNotAllowed;
    // The most specific pattern that matches names the resource in the metrics.
    const Route* named = nullptr;
    for (const auto& route : routes_) {
      if (matches(*route) && (named == nullptr || more_specific(*route, *named)))
        named = route.get();
    }
    result.route = named->pattern;
    for (const std::string_view allowed_method : allowed) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += allowed_method;
    }
  }
  return result;
}

std::string_view Router::dispatch(Request&& request, Responder respond) const {
  Match found = match(request.method, request.path);
  switch (found.status) {
    case MatchStatus::kNotFound:
      respond(problem_response(404, problem_kind::kNotFound, "Not found",
                               "No resource at this path.", request.path));
      return found.route;
    case MatchStatus::kMethodNotAllowed: {
      Response response = problem_response(
          405, problem_kind::kMethodNotAllowed, "Method not allowed",
          "This resource does not support method " + request.method + ".", request.path);
      response.headers.set("Allow", found.allow);
      respond(std::move(response));
      return found.route;
    }
    case MatchStatus::kMatched:
      break;
  }
  request.route = std::string(found.route);
  request.path_params = std::move(found.path_params);
  const std::string instance = request.path;
  try {
    (*found.handler)(std::move(request), respond);
  } catch (...) {
    // If the handler already answered, the Responder ignores this second call.
    respond(problem_from_error(Error::internal("handler threw"), instance));
  }
  return found.route;
}

}  // namespace bourse::http
