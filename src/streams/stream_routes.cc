#include "streams/stream_routes.h"

#include "bourse/common/ids.h"
#include "http/problem.h"

namespace bourse::streams {
namespace {

// The Last-Event-ID of the request, if any; an Error when it is not a stream position.
Result<std::optional<StreamPosition>> last_event_id(const http::Request& request) {
  const auto header = request.header("Last-Event-ID");
  if (!header || header->empty()) return std::optional<StreamPosition>();
  auto position = decode_position(*header);
  if (!position) return position.error();
  return std::optional<StreamPosition>(std::move(*position));
}

http::Response streaming(Result<std::shared_ptr<http::StreamChannel>> channel,
                         const http::Request& request) {
  if (!channel) return http::problem_from_error(channel.error(), request.path);
  http::Response response;
  response.status = 200;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.set("Cache-Control", "no-cache");
  response.headers.set("X-Accel-Buffering", "no");  // proxies must not buffer a stream
  response.stream = std::move(*channel);
  return response;
}

}  // namespace

void add_stream_routes(http::Router& router, StreamHub& hub,
                       const std::map<std::string, Instrument>& symbols) {
  router.add_blocking("GET", "/v1/orders/stream", [&hub](const http::Request& request) {
    const auto user_id = request.query_param("user_id");
    if (!user_id) {
      return http::problem_from_error(
          Error{ErrorCode::kMalformed, "the user_id query parameter is required",
                "invalid_user_id"},
          request.path);
    }
    if (Status valid = validate_user_id(*user_id); !valid) {
      return http::problem_from_error(
          Error{ErrorCode::kMalformed, valid.error().message, "invalid_user_id"}, request.path);
    }
    auto last = last_event_id(request);
    if (!last) return http::problem_from_error(last.error(), request.path);
    return streaming(hub.subscribe_orders(std::string(*user_id), *last), request);
  });
  router.add_blocking(
      "GET", "/v1/market/{symbol}/stream", [&hub, &symbols](const http::Request& request) {
        const std::string symbol(request.path_param("symbol"));
        if (symbols.find(symbol) == symbols.end()) {
          return http::problem_from_error(
              Error{ErrorCode::kNotFound, "unknown symbol " + symbol, "unknown_symbol"},
              request.path);
        }
        auto last = last_event_id(request);
        if (!last) return http::problem_from_error(last.error(), request.path);
        return streaming(hub.subscribe_market(symbol, *last), request);
      });
}

}  // namespace bourse::streams
