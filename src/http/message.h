// The HTTP request and response values handed to and returned by route handlers.
//
// Plain values with no I/O: the server (server.h) fills a Request from the wire and
// writes a Response back. They are movable and copyable, so a handler may hand them to
// another thread (see router.h for the threading of handlers).
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bourse::http {

class StreamChannel;

// Header fields in arrival order with case-insensitive lookup. Few fields per message
// (bounded by the header size limit), so a linear scan is the fastest lookup.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // Appends a field (a repeated name keeps every value).
  void add(std::string name, std::string value);
  // Replaces every field of this name with one field.
  void set(std::string name, std::string value);
  void erase(std::string_view name);
  // The first value of this name, if any.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }
  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

bool iequals(std::string_view a, std::string_view b) noexcept;

struct Request {
  std::string method;  // as sent, e.g. "GET" (HTTP methods are case-sensitive)
  std::string target;  // the raw request-target, e.g. "/v1/orders?limit=10"
  std::string path;    // the path of the target, still percent-encoded
  // Query parameters, percent-decoded ('+' decodes to a space), in order.
  std::vector<std::pair<std::string, std::string>> query;
  // Path parameters of the matched route, percent-decoded, e.g. {"id", "42"}.
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string route;  // the matched route pattern, e.g. "/v1/orders/{id}"
  Headers headers;
  std::string body;
  std::string remote_address;  // "ip:port" of the peer
  std::string request_id;      // X-Request-Id echoed in the response

  // The value of a path parameter of the matched route; empty if the route has none of
  // that name (a programming error that a route test catches).
  std::string_view path_param(std::string_view name) const;
  // The first value of a query parameter, if present.
  std::optional<std::string_view> query_param(std::string_view name) const;
  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  Headers headers;  // extra fields; Content-Type/Length and Connection are set by the server
  std::string body;
  // A streaming response (status 200 only; see stream_channel.h): the server writes the
  // headers, then every chunk pushed into the channel until it ends. `body` is ignored.
  std::shared_ptr<StreamChannel> stream;
};

// `status` with `body` serialized as application/json.
Response json_response(int status, const boost::json::value& body);
Response text_response(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
// A response with no body (e.g. 204).
Response empty_response(int status);

}  // namespace bourse::http
