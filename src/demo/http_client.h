// A small synchronous HTTP/1.1 client over one kept-alive connection (Boost.Beast), for
// `bourse demo`, which drives a server only through its public HTTP API.
//
//   demo::HttpClient client("127.0.0.1", 8080, std::chrono::milliseconds(2'000));
//   Result<demo::HttpResponse> r = client.request("POST", "/v1/orders", body);
//
// The connection is reopened when the server closed it (Connection: close) or when a
// reused connection turns out to be closed before any byte of the answer arrived. Every
// call is bounded by the client's timeout. Transport failures (refused, reset, timeout)
// are kUnavailable errors; any HTTP status is a response.
// Thread-safety: none; one client per thread.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bourse/common/error.h"

namespace bourse::demo {

// Largest response body accepted (a book or a trade page is a few KiB).
inline constexpr std::size_t kMaxResponseBodyBytes = 4 * 1024 * 1024;

struct HttpResponse {
  int status = 0;
  std::string body;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
      : host_(std::move(host)), port_(port), timeout_(timeout) {}
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient() { close(); }

  Result<HttpResponse> request(std::string_view method, std::string_view target,
                               const std::string& body = {}, const HeaderList& headers = {}) {
    const bool reused = stream_.has_value();
    std::string error;
    if (!reused && !connect(error)) return Error::unavailable(error);
    bool got_bytes = false;
    if (auto response = attempt(method, target, body, headers, error, got_bytes)) {
      return std::move(*response);
    }
    if (reused && !got_bytes) {  // a kept-alive connection the server closed meanwhile
      close();
      if (!connect(error)) return Error::unavailable(error);
      if (auto response = attempt(method, target, body, headers, error, got_bytes)) {
        return std::move(*response);
      }
    }
    close();
    return Error::unavailable(std::string(method) + " " + std::string(target) + ": " + error);
  }

  void close() {
    if (stream_) {
      boost::beast::error_code ignored;
      stream_->socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      stream_->close();
      stream_.reset();
    }
  }

 private:
  // Runs the started operations until they finish or the timeout passes (then the stream
  // is closed and the operations complete with an error).
  void run() {
    ioc_.restart();
    ioc_.run_for(timeout_);
    if (!ioc_.stopped()) {
      stream_->close();
      ioc_.run();
    }
  }

  bool connect(std::string& error) {
    namespace net = boost::asio;
    boost::beast::error_code ec;
    net::ip::tcp::resolver resolver(ioc_);
    const auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) {
      error = "resolve " + host_ + ": " + ec.message();
      return false;
    }
    stream_.emplace(ioc_);
    boost::beast::error_code result = net::error::timed_out;
    stream_->async_connect(endpoints,
                           [&](boost::beast::error_code connect_ec, const auto&) { result = connect_ec; });
    run();
    if (result) {
      stream_.reset();
      error = "connect " + host_ + ":" + std::to_string(port_) + ": " + result.message();
      return false;
    }
    return true;
  }

  std::optional<HttpResponse> attempt(std::string_view method, std::string_view target,
                                      const std::string& body, const HeaderList& headers,
                                      std::string& error, bool& got_bytes) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, host_ + ":" + std::to_string(port_));
    for (const auto& [name, value] : headers) request.insert(name, value);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBodyBytes);
    boost::beast::error_code write_ec = boost::asio::error::timed_out;
    boost::beast::error_code read_ec = boost::asio::error::timed_out;
    http::async_write(*stream_, request, [&](boost::beast::error_code ec, std::size_t) {
      write_ec = ec;
      if (ec) return;
      http::async_read(*stream_, buffer, parser,
                       [&](boost::beast::error_code rec, std::size_t) { read_ec = rec; });
    });
    run();
    got_bytes = parser.got_some();
    if (write_ec || read_ec) {
      error = write_ec ? "write: " + write_ec.message() : "read: " + read_ec.message();
      return std::nullopt;
    }
    auto message = parser.release();
    HttpResponse response{static_cast<int>(message.result_int()), std::move(message.body())};
    if (!message.keep_alive()) close();
    return response;
  }

  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
};

}  // namespace bourse::demo
