#include "app/health_routes.h"

#include <boost/json.hpp>

#include "http/problem.h"

namespace bourse::app {

void add_health_routes(http::Router& router, HealthState& state, metrics::Registry& registry) {
  router.add("GET", "/livez", [](http::Request&&, http::Responder respond) {
    respond(http::json_response(200, boost::json::object{{"status", "live"}}));
  });

  router.add_blocking("GET", "/readyz", [&state](const http::Request&) {
    boost::json::object checks;
    bool ready = state.startup_complete.load();
    checks["startup"] = ready ? "ok" : "pending";
    for (const auto& check : state.checks) {
      Status status = check.probe();
      checks[check.name] = status.ok() ? std::string("ok") : status.error().message;
      ready = ready && status.ok();
    }
    if (ready) {
      return http::json_response(200, boost::json::object{{"status", "ready"}, {"checks", checks}});
    }
    http::Response response =
        http::problem_response(503, "not-ready", "Not ready",
                               "a dependency is unavailable or start-up is not complete");
    // Keep the detail of each check visible to operators in the problem body.
    auto body = boost::json::parse(response.body).as_object();
    body["checks"] = checks;
    response.body = boost::json::serialize(body);
    return response;
  });

  router.add("GET", "/metrics", [&registry](http::Request&&, http::Responder respond) {
    respond(http::text_response(200, registry.render_prometheus(),
                                "text/plain; version=0.0.4; charset=utf-8"));
  });
}

}  // namespace bourse::app
