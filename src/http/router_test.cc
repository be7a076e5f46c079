// Goal: prove the router picks the right handler by method and pattern, decodes path
// parameters, answers 404 and 405 (with Allow) as problems, and contains handler failures.
#include "http/router.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "http/problem.h"

namespace bourse::http {
namespace {

// Captures the response of a synchronous dispatch.
struct Captured {
  std::optional<Response> response;
  int calls = 0;
  Responder responder() {
    return [this](Response r) {
      ++calls;
      if (!response) response = std::move(r);
    };
  }
};

Request make_request(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = request.path;
  return request;
}

Handler answer(std::string name) {
  return [name](Request&& request, Responder respond) {
    boost::json::object body{{"handler", name}};
    for (const auto& [key, value] : request.path_params) body[key] = value;
    body["route"] = request.route;
    respond(json_response(200, body));
  };
}

boost::json::object dispatch(const Router& router, std::string method, std::string path,
                             int expected_status, std::string_view* route = nullptr) {
  Captured captured;
  const std::string_view label =
      router.dispatch(make_request(std::move(method), std::move(path)), captured.responder());
  if (route) *route = label;
  REQUIRE(captured.response);
  CHECK(captured.calls == 1);
  CHECK(captured.response->status == expected_status);
  return boost::json::parse(captured.response->body).as_object();
}

TEST_CASE("routes match by method and pattern and extract parameters", "[http][router]") {
  Router router;
  router.add("POST", "/v1/orders", answer("create"));
  router.add("GET", "/v1/orders/{id}", answer("get"));
  router.add("DELETE", "/v1/orders/{id}", answer("cancel"));
  router.add("POST", "/v1/accounts/{user_id}/deposits", answer("deposit"));

  std::string_view route;
  auto body = dispatch(router, "GET", "/v1/orders/42", 200, &route);
  CHECK(body.at("handler").as_string() == "get");
  CHECK(body.at("id").as_string() == "42");
  CHECK(body.at("route").as_string() == "/v1/orders/{id}");
  CHECK(route == "/v1/orders/{id}");

  body = dispatch(router, "DELETE", "/v1/orders/42", 200);
  CHECK(body.at("handler").as_string() == "cancel");
  body = dispatch(router, "POST", "/v1/accounts/alice/deposits", 200);
  CHECK(body.at("user_id").as_string() == "alice");
  body = dispatch(router, "POST", "/v1/orders", 200);
  CHECK(body.at("handler").as_string() == "create");
}

TEST_CASE("path parameters are percent-decoded", "[http][router]") {
  Router router;
  router.add("GET", "/v1/accounts/{user_id}", answer("get"));
  const auto body = dispatch(router, "GET", "/v1/accounts/al%20ice%2Fx", 200);
  CHECK(body.at("user_id").as_string() == "al ice/x");
}

TEST_CASE("a literal segment wins over a parameter", "[http][router]") {
  Router router;
  router.add("GET", "/v1/orders/{id}", answer("get"));
  router.add("GET", "/v1/orders/stream", answer("stream"));
  router.add("DELETE", "/v1/orders/{id}", answer("cancel"));
  CHECK(dispatch(router, "GET", "/v1/orders/stream", 200).at("handler").as_string() == "stream");
  CHECK(dispatch(router, "GET", "/v1/orders/7", 200).at("handler").as_string() == "get");
  // No DELETE on the literal: the parameter route takes it.
  CHECK(dispatch(router, "DELETE", "/v1/orders/stream", 200).at("handler").as_string() == "cancel");
}

TEST_CASE("an unknown path is a 404 problem with the shared route label", "[http][router]") {
  Router router;
  router.add("GET", "/v1/orders/{id}", answer("get"));
  for (const char* path :
       {"/nope", "/v1/orders", "/v1/orders/", "/v1/orders/1/x", "/", "", "/v1/orders/%zz"}) {
    INFO(path);
    std::string_view route;
    const auto body = dispatch(router, "GET", path, 404, &route);
    CHECK(body.at("type").as_string() == "https://bourse.dev/problems/not-found");
    CHECK(route == kUnmatchedRoute);
  }
}

TEST_CASE("a known path with another method is a 405 problem with Allow", "[http][router]") {
  Router router;
  router.add("GET", "/v1/orders/{id}", answer("get"));
  router.add("DELETE", "/v1/orders/{id}", answer("cancel"));
  Captured captured;
  const auto route = router.dispatch(make_request("PUT", "/v1/orders/1"), captured.responder());
  REQUIRE(captured.response);
  CHECK(captured.response->status == 405);
  CHECK(captured.response->content_type == "application/problem+json");
  CHECK(captured.response->headers.get("Allow") == "DELETE, GET");
  CHECK(route == "/v1/orders/{id}");
  const auto body = boost::json::parse(captured.response->body).as_object();
  CHECK(body.at("type").as_string() == "https://bourse.dev/problems/method-not-allowed");
}

TEST_CASE("a throwing handler answers 500 once", "[http][router]") {
  Router router;
  router.add("GET", "/boom",
             [](Request&&, Responder) { throw std::runtime_error("secret detail"); });
  router.add("GET", "/answer-then-boom", [](Request&&, Responder respond) {
    respond(empty_response(204));
    throw std::runtime_error("late");
  });
  Captured captured;
  router.dispatch(make_request("GET", "/boom"), captured.responder());
  REQUIRE(captured.response);
  CHECK(captured.response->status == 500);
  CHECK(captured.response->body.find("secret") == std::string::npos);

  // The real Responder ignores calls after the first; the capture records both.
  Captured second;
  router.dispatch(make_request("GET", "/answer-then-boom"), second.responder());
  CHECK(second.response->status == 204);
}

TEST_CASE("query parameters and headers are looked up by name", "[http][router]") {
  Request request;
  request.query = {{"limit", "10"}, {"symbol", "ACME"}, {"limit", "20"}};
  request.headers.add("Idempotency-Key", "k1");
  CHECK(request.query_param("limit") == "10");
  CHECK_FALSE(request.query_param("missing"));
  CHECK(request.header("idempotency-key") == "k1");
  CHECK(request.header("IDEMPOTENCY-KEY") == "k1");
  CHECK_FALSE(request.header("Idempotency"));
}

}  // namespace
}  // namespace bourse::http
