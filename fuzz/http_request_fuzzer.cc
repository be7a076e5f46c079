// libFuzzer target: bytes as they arrive on one connection -> the HTTP server's request
// path -> the router -> handlers that parse what the real routes parse.
//
// Mirrors src/http/server.cc (Session::read_header / handle_request) step for step, with
// no sockets: a Beast request_parser<string_body> with the server's header and body
// limits (configured_server()), the bytes fed as a pipelined stream (up to
// kMaxRequestsPerInput requests, stopping after one without keep-alive or after an
// error, as the server closes there), the Request built the same way (headers, body,
// boost::urls::parse_origin_form, percent-decoded query), then Router::dispatch. The
// routes are the real patterns; POST /v1/orders parses an order exactly like
// routes/order_routes.cc (http::parse_json_object + order::parse_order_request against
// the configured symbol table) and the id routes use routes/id_param.h.
//
// Oracles (each broken one aborts): every dispatch answers exactly once, synchronously,
// with a status in 200..599 that is never 5xx (nothing here can fail but a bug); an
// error answer is a problem+json whose body is a JSON object with `type` and `status`
// equal to the HTTP status.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bourse/order/order_request.h"
#include "fuzz_instruments.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "http/router.h"
#include "routes/id_param.h"

namespace {

namespace bhttp = boost::beast::http;
using bourse::fuzz::require;
using namespace bourse;

constexpr int kMaxRequestsPerInput = 8;

http::Response order_answer(const http::Request& request) {
  auto body = http::parse_json_object(request);
  if (!body) return http::problem_from_error(body.error(), request.path);
  auto order_request = order::parse_order_request(*body, fuzz::configured_instruments());
  if (!order_request) return http::problem_from_error(order_request.error(), request.path);
  return http::json_response(202, boost::json::object{{"status", "PENDING"}});
}

http::Response id_answer(const http::Request& request) {
  if (!routes::parse_positive_id(request.path_param("id"))) {
    return http::problem_from_error(
        Error{ErrorCode::kNotFound, "order not found", "order_not_found"}, request.path);
  }
  return http::json_response(200, boost::json::object{});
}

http::Handler sync(http::Response (*answer)(const http::Request&)) {
  return [answer](http::Request&& request, http::Responder respond) {
    respond(answer(request));
  };
}

const http::Router& router() {
  static const http::Router built = [] {
    http::Router r;
    const auto ok = +[](const http::Request&) { return http::json_response(200, {}); };
    r.add("POST", "/v1/orders", sync(&order_answer));
    r.add("GET", "/v1/orders", sync(ok));
    r.add("GET", "/v1/orders/{id}", sync(&id_answer));
    r.add("DELETE", "/v1/orders/{id}", sync(&id_answer));
    r.add("POST", "/v1/accounts", sync(ok));
    r.add("GET", "/v1/accounts/{user_id}", sync(ok));
    r.add("POST", "/v1/accounts/{user_id}/deposits", sync(ok));
    r.add("GET", "/v1/trades", sync(ok));
    r.add("GET", "/v1/market/{symbol}", sync(ok));
    r.add("GET", "/v1/market/{symbol}/book", sync(ok));
    r.add("GET", "/v1/symbols", sync(ok));
    r.add("GET", "/livez", sync(ok));
    r.add("GET", "/readyz", sync(ok));
    r.add("GET", "/metrics", sync(ok));
    return r;
  }();
  return built;
}

void check_answer(const http::Response& response) {
  require(response.status >= 200 && response.status <= 599, "status in 200..599");
  require(response.status < 500, "a request can never cause a 5xx here");
  if (response.status < 400) return;
  require(response.content_type == http::kProblemContentType, "errors are problem+json");
  boost::system::error_code ec;
  const auto body = boost::json::parse(response.body, ec);
  require(!ec && body.is_object(), "a problem body is a JSON object");
  const auto* type = body.as_object().if_contains("type");
  const auto* status = body.as_object().if_contains("status");
  require(type != nullptr && type->is_string(), "a problem has a type");
  require(status != nullptr && status->is_int64() && status->as_int64() == response.status,
          "a problem's status is the HTTP status");
}

// What Session::handle_request does with a complete message; false: the connection closes.
bool handle(bhttp::request<bhttp::string_body>&& message) {
  const bool keep_alive = message.keep_alive();
  http::Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  const auto url = boost::urls::parse_origin_form(request.target);
  if (!url) return false;  // the server answers 400 and closes
  request.path = std::string(url->encoded_path());
  for (const auto& param : url->params()) {
    request.query.emplace_back(std::string(param.key),
                               param.has_value ? std::string(param.value) : std::string());
  }
  int calls = 0;
  http::Response answer;
  router().dispatch(std::move(request), [&](http::Response response) {
    ++calls;
    answer = std::move(response);
  });
  require(calls == 1, "a dispatch answers exactly once");
  check_answer(answer);
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const http::ServerConfig& config = fuzz::configured_server();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < kMaxRequestsPerInput && !rest.empty(); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done() && !rest.empty()) {
      const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        if (used == 0) break;  // the rest is an incomplete message: the server would wait
        continue;
      }
      if (ec) break;
    }
    if (ec || !parser.is_done()) return 0;  // 400/413/431 and close, or waiting for more
    if (!handle(parser.release())) return 0;
  }
  return 0;
}
