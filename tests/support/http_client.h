// A tiny synchronous HTTP/1.1 client for tests (header-only, Boost.Beast).
//
//   bourse::testing::HttpClient client("127.0.0.1", port);
//   auto r = client.request("POST", "/v1/orders", body, {{"Idempotency-Key", "k"}});
//   CHECK(r.status == 202); r.body; r.header("Location");
//
// The connection is kept alive and reused; it is reopened when the server closed it
// (Connection: close) or when a reused connection turns out to be closed before any byte
// of the answer arrived. Every call is bounded by the client's timeout; a failure (refused,
// reset, timeout) throws std::runtime_error. RawConnection sends arbitrary bytes for tests
// of malformed or slow clients. Not thread-safe: one client per thread.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bourse::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = false;

  // The first value of a header (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (boost::beast::iequals(key, name)) return value;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (boost::beast::iequals(key, name)) return true;
    }
    return false;
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

namespace detail {

// Runs `ioc` until the started operations finish or `timeout` passes; on timeout the
// stream is closed (operations complete with an error) and the loop drained.
inline void run_with_timeout(boost::asio::io_context& ioc, boost::beast::tcp_stream& stream,
                             std::chrono::milliseconds timeout) {
  ioc.restart();
  ioc.run_for(timeout);
  if (!ioc.stopped()) {
    stream.close();
    ioc.run();
  }
}

}  // namespace detail

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000))
      : host_(std::move(host)), port_(port), timeout_(timeout) {}
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse request(std::string_view method, std::string_view target, std::string body = {},
                       const HeaderList& headers = {}) {
    const bool reused = stream_.has_value();
    if (!reused) connect();
    std::string error;
    bool got_bytes = false;
    if (auto response = try_request(method, target, body, headers, error, got_bytes))
      return *response;
    // A kept-alive connection the server closed meanwhile: retry once on a new one.
    if (reused && !got_bytes) {
      close();
      connect();
      if (auto response = try_request(method, target, body, headers, error, got_bytes))
        return *response;
    }
    close();
    throw std::runtime_error("http " + std::string(method) + " " + std::string(target) + ": " +
                             error);
  }

  HttpResponse get(std::string_view target, const HeaderList& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResponse post(std::string_view target, std::string body, const HeaderList& headers = {}) {
    return request("POST", target, std::move(body), headers);
  }

  bool connected() const { return stream_.has_value(); }
  void close() {
    if (stream_) {
      boost::beast::error_code ignored;
      stream_->socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      stream_->close();
      stream_.reset();
    }
  }
  ~HttpClient() { close(); }

 private:
  void connect() {
    namespace net = boost::asio;
    stream_.emplace(ioc_);
    boost::beast::error_code result = net::error::timed_out;
    net::ip::tcp::resolver resolver(ioc_);
    boost::beast::error_code ec;
    const auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) throw std::runtime_error("http resolve " + host_ + ": " + ec.message());
    stream_->async_connect(
        endpoints, [&](boost::beast::error_code connect_ec, const auto&) { result = connect_ec; });
    detail::run_with_timeout(ioc_, *stream_, timeout_);
    if (result) {
      stream_.reset();
      throw std::runtime_error("http connect " + host_ + ":" + std::to_string(port_) + ": " +
                               result.message());
    }
  }

  std::optional<HttpResponse> try_request(std::string_view method, std::string_view target,
                                          const std::string& body, const HeaderList& headers,
                                          std::string& error, bool& got_bytes) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, host_ + ":" + std::to_string(port_));
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      if (boost::beast::iequals(name, "Content-Type")) has_content_type = true;
      request.insert(name, value);
    }
    if (!body.empty() && !has_content_type)
      request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    boost::beast::error_code write_ec = boost::asio::error::timed_out;
    boost::beast::error_code read_ec = boost::asio::error::timed_out;
    http::async_write(*stream_, request, [&](boost::beast::error_code ec, std::size_t) {
      write_ec = ec;
      if (ec) return;
      http::async_read(*stream_, buffer, parser,
                       [&](boost::beast::error_code rec, std::size_t) { read_ec = rec; });
    });
    detail::run_with_timeout(ioc_, *stream_, timeout_);
    got_bytes = parser.got_some();
    if (write_ec || read_ec) {
      error = write_ec ? "write: " + write_ec.message() : "read: " + read_ec.message();
      return std::nullopt;
    }
    HttpResponse response;
    auto message = parser.release();
    response.status = static_cast<int>(message.result_int());
    response.keep_alive = message.keep_alive();
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    if (!response.keep_alive) close();
    return response;
  }

  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
};

// One request on a fresh connection.
inline HttpResponse http_get_once(
    const std::string& host, std::uint16_t port, std::string_view target,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000)) {
  HttpClient client(host, port, timeout);
  return client.get(target);
}

// Raw bytes over one connection, for malformed, slow or oversized clients.
class RawConnection {
 public:
  RawConnection(const std::string& host, std::uint16_t port,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000))
      : stream_(ioc_), timeout_(timeout) {
    boost::asio::ip::tcp::resolver resolver(ioc_);
    const auto endpoints = resolver.resolve(host, std::to_string(port));
    boost::beast::error_code result = boost::asio::error::timed_out;
    stream_.async_connect(endpoints,
                          [&](boost::beast::error_code ec, const auto&) { result = ec; });
    detail::run_with_timeout(ioc_, stream_, timeout_);
    if (result) throw std::runtime_error("raw connect: " + result.message());
  }

  // Sends everything; false if the peer closed or reset (or the timeout passed).
  bool send(std::string_view bytes) {
    boost::beast::error_code result = boost::asio::error::timed_out;
    boost::asio::async_write(stream_, boost::asio::buffer(bytes.data(), bytes.size()),
                             [&](boost::beast::error_code ec, std::size_t) { result = ec; });
    detail::run_with_timeout(ioc_, stream_, timeout_);
    return !result;
  }

  // Reads until the peer closes the connection or `timeout` passes. `closed` tells which.
  std::string read_until_close(bool& closed, std::chrono::milliseconds timeout) {
    std::string data;
    closed = false;
    char chunk[4096];
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return data;
      boost::beast::error_code result = boost::asio::error::timed_out;
      std::size_t got = 0;
      stream_.socket().async_read_some(boost::asio::buffer(chunk),
                                       [&](boost::beast::error_code ec, std::size_t n) {
                                         result = ec;
                                         got = n;
                                       });
      ioc_.restart();
      ioc_.run_for(left);
      if (!ioc_.stopped()) {
        stream_.socket().cancel();
        ioc_.run();
        data.append(chunk, got);
        return data;  // timed out, still open
      }
      data.append(chunk, got);
      if (result) {
        closed = result != boost::asio::error::operation_aborted;
        return data;
      }
    }
  }

  // Reads one HTTP response (status and headers and body); nullopt on close or timeout.
  std::optional<HttpResponse> read_response() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    boost::beast::error_code result = boost::asio::error::timed_out;
    http::async_read(stream_, buffer_, parser,
                     [&](boost::beast::error_code ec, std::size_t) { result = ec; });
    detail::run_with_timeout(ioc_, stream_, timeout_);
    if (result) return std::nullopt;
    HttpResponse response;
    auto message = parser.release();
    response.status = static_cast<int>(message.result_int());
    response.keep_alive = message.keep_alive();
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    return response;
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

}  // namespace bourse::testing
