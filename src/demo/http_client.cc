#include "demo/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace bourse::demo {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::beast::error_code;

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<boost::beast::tcp_stream> stream;
  std::string host;
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{0};

  // Runs the started operations until they finish or the timeout passes (then the stream
  // is closed and the operations complete with an error).
  void run() {
    ioc.restart();
    ioc.run_for(timeout);
    if (!ioc.stopped()) {
      stream->close();
      ioc.run();
    }
  }

  void close() {
    if (stream) {
      error_code ignored;
      stream->socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
      stream->close();
      stream.reset();
    }
  }

  bool connect(std::string& error) {
    error_code ec;
    net::ip::tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) {
      error = "resolve " + host + ": " + ec.message();
      return false;
    }
    stream.emplace(ioc);
    error_code result = net::error::timed_out;
    stream->async_connect(endpoints,
                          [&](error_code connect_ec, const auto&) { result = connect_ec; });
    run();
    if (result) {
      stream.reset();
      error = "connect " + host + ":" + std::to_string(port) + ": " + result.message();
      return false;
    }
    return true;
  }

  std::optional<HttpResponse> attempt(std::string_view method, std::string_view target,
                                      const std::string& body, const HeaderList& headers,
                                      std::string& error, bool& got_bytes) {
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, host + ":" + std::to_string(port));
    for (const auto& [name, value] : headers) request.insert(name, value);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBodyBytes);
    error_code write_ec = net::error::timed_out;
    error_code read_ec = net::error::timed_out;
    http::async_write(*stream, request, [&](error_code ec, std::size_t) {
      write_ec = ec;
      if (ec) return;
      http::async_read(*stream, buffer, parser,
                       [&](error_code rec, std::size_t) { read_ec = rec; });
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
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() { impl_->close(); }

Result<HttpResponse> HttpClient::request(std::string_view method, std::string_view target,
                                         const std::string& body, const HeaderList& headers) {
  const bool reused = impl_->stream.has_value();
  std::string error;
  if (!reused && !impl_->connect(error)) return Error::unavailable(error);
  bool got_bytes = false;
  if (auto response = impl_->attempt(method, target, body, headers, error, got_bytes)) {
    return std::move(*response);
  }
  if (reused && !got_bytes) {  // a kept-alive connection the server closed meanwhile
    impl_->close();
    if (!impl_->connect(error)) return Error::unavailable(error);
    if (auto response = impl_->attempt(method, target, body, headers, error, got_bytes)) {
      return std::move(*response);
    }
  }
  impl_->close();
  return Error::unavailable(std::string(method) + " " + std::string(target) + ": " + error);
}

}  // namespace bourse::demo
