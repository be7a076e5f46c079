#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace bourse::testing {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::beast::error_code;

// Runs `ioc` until the started operations finish or `timeout` passes; on timeout the
// stream is closed (operations complete with an error) and the loop drained.
void run_with_timeout(net::io_context& ioc, boost::beast::tcp_stream& stream,
                      std::chrono::milliseconds timeout) {
  ioc.restart();
  ioc.run_for(timeout);
  if (!ioc.stopped()) {
    stream.close();
    ioc.run();
  }
}

HttpResponse to_response(http::response<http::string_body>&& message) {
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.keep_alive = message.keep_alive();
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

void connect_stream(net::io_context& ioc, boost::beast::tcp_stream& stream,
                    const std::string& host, std::uint16_t port,
                    std::chrono::milliseconds timeout) {
  net::ip::tcp::resolver resolver(ioc);
  error_code ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) throw std::runtime_error("http resolve " + host + ": " + ec.message());
  error_code result = net::error::timed_out;
  stream.async_connect(endpoints,
                       [&](error_code connect_ec, const auto&) { result = connect_ec; });
  run_with_timeout(ioc, stream, timeout);
  if (result) {
    throw std::runtime_error("http connect " + host + ":" + std::to_string(port) + ": " +
                             result.message());
  }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return boost::beast::iequals(a, b);
}

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<boost::beast::tcp_stream> stream;
  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;

  void connect() {
    stream.emplace(ioc);
    try {
      connect_stream(ioc, *stream, host, port, timeout);
    } catch (...) {
      stream.reset();
      throw;
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

  std::optional<HttpResponse> try_request(std::string_view method, std::string_view target,
                                          const std::string& body, const HeaderList& headers,
                                          std::string& error, bool& got_bytes) {
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, host + ":" + std::to_string(port));
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      if (iequals(name, "Content-Type")) has_content_type = true;
      request.insert(name, value);
    }
    if (!body.empty() && !has_content_type)
      request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    error_code write_ec = net::error::timed_out;
    error_code read_ec = net::error::timed_out;
    http::async_write(*stream, request, [&](error_code ec, std::size_t) {
      write_ec = ec;
      if (ec) return;
      http::async_read(*stream, buffer, parser,
                       [&](error_code rec, std::size_t) { read_ec = rec; });
    });
    run_with_timeout(ioc, *stream, timeout);
    got_bytes = parser.got_some();
    if (write_ec || read_ec) {
      error = write_ec ? "write: " + write_ec.message() : "read: " + read_ec.message();
      return std::nullopt;
    }
    HttpResponse response = to_response(parser.release());
    if (!response.keep_alive) close();
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

bool HttpClient::connected() const { return impl_->stream.has_value(); }

void HttpClient::close() { impl_->close(); }

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 std::string body, const HeaderList& headers) {
  const bool reused = impl_->stream.has_value();
  if (!reused) impl_->connect();
  std::string error;
  bool got_bytes = false;
  if (auto response = impl_->try_request(method, target, body, headers, error, got_bytes))
    return *response;
  // A kept-alive connection the server closed meanwhile: retry once on a new one.
  if (reused && !got_bytes) {
    impl_->close();
    impl_->connect();
    if (auto response = impl_->try_request(method, target, body, headers, error, got_bytes))
      return *response;
  }
  impl_->close();
  throw std::runtime_error("http " + std::string(method) + " " + std::string(target) + ": " +
                           error);
}

HttpResponse http_get_once(const std::string& host, std::uint16_t port, std::string_view target,
                           std::chrono::milliseconds timeout) {
  HttpClient client(host, port, timeout);
  return client.get(target);
}

struct RawConnection::Impl {
  explicit Impl(std::chrono::milliseconds t) : stream(ioc), timeout(t) {}
  net::io_context ioc;
  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
};

RawConnection::RawConnection(const std::string& host, std::uint16_t port,
                             std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(timeout)) {
  connect_stream(impl_->ioc, impl_->stream, host, port, timeout);
}

RawConnection::~RawConnection() = default;

bool RawConnection::send(std::string_view bytes) {
  error_code result = net::error::timed_out;
  net::async_write(impl_->stream, net::buffer(bytes.data(), bytes.size()),
                   [&](error_code ec, std::size_t) { result = ec; });
  run_with_timeout(impl_->ioc, impl_->stream, impl_->timeout);
  return !result;
}

std::string RawConnection::read_until_close(bool& closed, std::chrono::milliseconds timeout) {
  std::string data;
  closed = false;
  char chunk[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto& socket = impl_->stream.socket();
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return data;
    error_code result = net::error::timed_out;
    std::size_t got = 0;
    socket.async_read_some(net::buffer(chunk), [&](error_code ec, std::size_t n) {
      result = ec;
      got = n;
    });
    impl_->ioc.restart();
    impl_->ioc.run_for(left);
    if (!impl_->ioc.stopped()) {
      socket.cancel();
      impl_->ioc.run();
      data.append(chunk, got);
      return data;  // timed out, still open
    }
    data.append(chunk, got);
    if (result) {
      closed = result != net::error::operation_aborted;
      return data;
    }
  }
}

std::optional<HttpResponse> RawConnection::read_response() {
  http::response_parser<http::string_body> parser;
  error_code result = net::error::timed_out;
  http::async_read(impl_->stream, impl_->buffer, parser,
                   [&](error_code ec, std::size_t) { result = ec; });
  run_with_timeout(impl_->ioc, impl_->stream, impl_->timeout);
  if (result) return std::nullopt;
  return to_response(parser.release());
}

}  // namespace bourse::testing
