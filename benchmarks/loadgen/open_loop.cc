#include "open_loop.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <utility>

namespace bourse::bench {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// The largest answer body read (an order's 202 is a few hundred bytes).
constexpr std::uint64_t kMaxAnswerBytes = 1 << 20;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& io, net::ip::tcp::endpoint endpoint, std::string host_header,
             ConnectionHooks hooks, std::chrono::milliseconds timeout)
      : io_(io),
        endpoint_(endpoint),
        host_header_(std::move(host_header)),
        hooks_(std::move(hooks)),
        timeout_(timeout),
        timer_(io) {}

  void start() { advance(); }

 private:
  // The next slot with a request, waited for until due; nothing when the slots are over.
  void advance() {
    for (;;) {
      std::optional<Slot> slot = hooks_.next(next_k_++);
      if (!slot) {
        close();
        return;
      }
      if (!slot->request) continue;
      slot_ = std::move(*slot);
      break;
    }
    if (slot_.due <= Clock::now()) {
      send();
      return;
    }
    timer_.expires_at(slot_.due);
    timer_.async_wait([self = shared_from_this()](error_code) { self->send(); });
  }

  void send() {
    if (stream_) {
      write();
      return;
    }
    stream_.emplace(io_);
    stream_->expires_after(timeout_);
    stream_->async_connect(endpoint_, [self = shared_from_this()](error_code ec) {
      if (ec) return self->fail();
      self->stream_->socket().set_option(net::ip::tcp::no_delay(true));
      self->write();
    });
  }

  void write() {
    request_ = {};
    request_.method_string(slot_.request->method);
    request_.target(slot_.request->target);
    request_.version(11);
    request_.set(http::field::host, host_header_);
    if (!slot_.request->body.empty()) {
      request_.set(http::field::content_type, "application/json");
      request_.body() = std::move(slot_.request->body);
    }
    request_.prepare_payload();
    stream_->expires_after(timeout_);
    http::async_write(*stream_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxAnswerBytes);
    http::async_read(*stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (ec) return self->fail();
                       self->answered();
                     });
  }

  void answered() {
    const auto now = Clock::now();
    http::response<http::string_body> response = parser_->release();
    parser_.reset();
    hooks_.done(slot_, static_cast<int>(response.result_int()), response.body(), now);
    if (!response.keep_alive()) close();
    advance();
  }

  void fail() {
    const auto now = Clock::now();
    close();
    hooks_.done(slot_, 0, {}, now);
    advance();
  }

  void close() {
    if (!stream_) return;
    error_code ignored;
    stream_->socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_->close();
    stream_.reset();
    buffer_.clear();
    parser_.reset();
  }

  net::io_context& io_;
  const net::ip::tcp::endpoint endpoint_;
  const std::string host_header_;
  ConnectionHooks hooks_;
  const std::chrono::milliseconds timeout_;
  net::steady_timer timer_;
  std::optional<boost::beast::tcp_stream> stream_;  // open while connected
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Slot slot_;  // the slot in flight
  long long next_k_ = 0;
};

}  // namespace

void run_open_loop(const std::vector<OpenLoopTarget>& targets, std::vector<ConnectionHooks> hooks,
                   std::chrono::milliseconds timeout) {
  net::io_context io(1);
  net::ip::tcp::resolver resolver(io);
  std::vector<net::ip::tcp::endpoint> endpoints;
  for (const OpenLoopTarget& target : targets) {
    endpoints.push_back(*resolver.resolve(target.host, std::to_string(target.port)).begin());
  }
  for (std::size_t c = 0; c < hooks.size(); ++c) {
    const OpenLoopTarget& target = targets[c % targets.size()];
    std::make_shared<Connection>(io, endpoints[c % targets.size()],
                                 target.host + ":" + std::to_string(target.port),
                                 std::move(hooks[c]), timeout)
        ->start();
  }
  io.run();
}

}  // namespace bourse::bench
