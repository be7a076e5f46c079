#include "http/server.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "http/problem.h"
#include "http/stream_channel.h"

namespace bourse::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

Status validate(const ServerConfig& config) {
  if (config.io_threads < 1 || config.io_threads > limits::kMaxHttpIoThreads) {
    return Error::invalid(
        fmt::format("http io_threads must be in 1..{}", limits::kMaxHttpIoThreads));
  }
  if (config.max_body_bytes < 1 || config.max_body_bytes > limits::kMaxHttpBodyBytes * 16) {
    return Error::invalid(
        fmt::format("http max_body_bytes must be in 1..{}", limits::kMaxHttpBodyBytes * 16));
  }
  if (config.max_header_bytes < 1024 || config.max_header_bytes > limits::kMaxHttpHeaderBytes * 4) {
    return Error::invalid(
        fmt::format("http max_header_bytes must be in 1024..{}", limits::kMaxHttpHeaderBytes * 4));
  }
  if (config.read_timeout <= std::chrono::milliseconds::zero() ||
      config.read_timeout > std::chrono::minutes(5)) {
    return Error::invalid("http read_timeout must be in (0, 5 min]");
  }
  if (config.idle_timeout <= std::chrono::milliseconds::zero() ||
      config.idle_timeout > std::chrono::hours(1)) {
    return Error::invalid("http idle_timeout must be in (0, 1 h]");
  }
  if (config.max_connections < 1 || config.max_connections > limits::kMaxHttpConnections) {
    return Error::invalid(
        fmt::format("http max_connections must be in 1..{}", limits::kMaxHttpConnections));
  }
  return Status::success();
}

namespace detail {

class Session;

// State shared by the Server, its sessions and outstanding Responders. Handlers queued
// in `ioc` refer to it by raw pointer (the io_context is a member, so they cannot outlive
// it); Responders hold a shared_ptr so that a late Responder never posts into a
// destroyed io_context. Member order matters: `ioc` is destroyed before the members
// above it (sessions destroyed with it unregister themselves), the acceptor before `ioc`.
//
// The metrics live in the caller's Registry, which may be gone once shutdown() has
// returned while a Responder still holds a Session (and this core). So every gauge update
// that can happen off the I/O threads is made under `mutex` and skipped once
// `metrics_detached` is set; shutdown() sets it and settles the gauges in one step.
struct ServerCore : std::enable_shared_from_this<ServerCore> {
  ServerCore(ServerConfig config_in, const Router& router_in, metrics::Registry& registry)
      : config(std::move(config_in)),
        router(router_in),
        requests_total(registry.counter("bourse_http_requests_total", "HTTP requests answered",
                                        {"route", "method", "status"})),
        request_duration(registry.histogram(
            "bourse_http_request_duration_seconds",
            "Time from the end of the request headers to the response", {"route", "method"})),
        connections_gauge(
            registry.gauge("bourse_http_connections", "Open HTTP connections").with({})),
        in_flight_gauge(
            registry
                .gauge("bourse_http_in_flight_requests", "HTTP requests read and not yet answered")
                .with({})),
        rejected_connections(registry
                                 .counter("bourse_http_rejected_connections_total",
                                          "Connections refused because max_connections was reached")
                                 .with({})),
        io_thread_errors(registry
                             .counter("bourse_http_io_thread_exceptions_total",
                                      "Exceptions that escaped a handler on an HTTP I/O thread")
                             .with({})),
        request_id_nonce(std::random_device{}()),
        ioc(config.io_threads) {}

  void add_connection() {
    std::lock_guard lock(mutex);
    BOURSE_ASSERT(!metrics_detached, "a connection opened after shutdown");
    open_connections.fetch_add(1);
    connections_gauge.inc();
  }
  // REQUIRES: `mutex` held.
  void remove_connection_locked() {
    BOURSE_ASSERT(open_connections.load() > 0, "open connection count underflow");
    open_connections.fetch_sub(1);
    if (!metrics_detached) connections_gauge.dec();
  }
  void add_in_flight() {
    std::lock_guard lock(mutex);
    BOURSE_ASSERT(!metrics_detached, "a request dispatched after shutdown");
    ++in_flight;
    in_flight_gauge.inc();
  }
  // REQUIRES: `mutex` held. The caller notifies `changed` once it has unlocked.
  void remove_in_flight_locked() {
    BOURSE_ASSERT(in_flight > 0, "in-flight request count underflow");
    --in_flight;
    if (!metrics_detached) in_flight_gauge.dec();
  }
  void remove_in_flight() {
    {
      std::lock_guard lock(mutex);
      remove_in_flight_locked();
    }
    changed.notify_all();
  }
  // Takes what is still counted out of the gauges and stops touching the Registry.
  void detach_metrics() {
    std::lock_guard lock(mutex);
    if (metrics_detached) return;
    metrics_detached = true;
    connections_gauge.dec(static_cast<double>(open_connections.load()));
    in_flight_gauge.dec(static_cast<double>(in_flight));
  }

  const ServerConfig config;
  const Router& router;
  metrics::CounterFamily& requests_total;
  metrics::HistogramFamily& request_duration;
  metrics::Gauge& connections_gauge;
  metrics::Gauge& in_flight_gauge;
  metrics::Counter& rejected_connections;
  metrics::Counter& io_thread_errors;
  const std::uint32_t request_id_nonce;
  std::atomic<std::uint64_t> next_request_id{1};

  std::atomic<std::uint16_t> port{0};
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open_connections{0};  // written under mutex, read without

  mutable std::mutex mutex;
  std::condition_variable changed;                      // in_flight or running_threads changed
  std::size_t in_flight = 0;                            // guarded by mutex
  std::size_t open_streams = 0;                         // guarded by mutex: streaming sessions
  int running_threads = 0;                              // guarded by mutex
  std::map<Session*, std::weak_ptr<Session>> sessions;  // guarded by mutex
  bool metrics_detached = false;                        // guarded by mutex

  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;  // lives on its own strand
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_guard;
};

namespace {

// Bytes asked of the socket per read while a request header arrives.
constexpr std::size_t kHeaderReadBytes = 4096;

const char* method_label(std::string_view method) {
  static constexpr const char* kKnown[] = {"GET",    "HEAD",  "POST",   "PUT",
                                           "DELETE", "PATCH", "OPTIONS"};
  for (const char* known : kKnown) {
    if (method == known) return known;
  }
  return "OTHER";
}

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Headers the server owns: a handler cannot set them.
bool is_reserved_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection") || iequals(name, "Content-Type") ||
         iequals(name, "X-Request-Id");
}

// Answers a connection past max_connections with 503 and closes it.
void reject_connection(tcp::socket socket, ServerCore& core) {
  core.rejected_connections.inc();
  Response response = problem_response(503, problem_kind::kOverloaded, "Server overloaded",
                                       "Too many open connections; retry later.");
  auto message =
      std::make_shared<bhttp::response<bhttp::string_body>>(bhttp::status::service_unavailable, 11);
  message->set(bhttp::field::content_type, response.content_type);
  message->set(bhttp::field::retry_after, std::to_string(kDefaultRetryAfter.count()));
  message->keep_alive(false);
  message->body() = std::move(response.body);
  message->prepare_payload();
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  stream->expires_after(kRejectWriteTimeout);
  bhttp::async_write(*stream, *message, [stream, message](beast::error_code, std::size_t) {
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream->close();
  });
}

}  // namespace

// One connection: reads a request, dispatches it, waits for its Responder, writes the
// response, repeats while keep-alive. Every member is touched only on `strand_`.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerCore& core, tcp::socket&& socket)
      : core_(core), strand_(socket.get_executor()), stream_(std::move(socket)) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_address_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    core_.add_connection();
  }

  // May run on any thread, after shutdown() and after the Registry is gone (the last
  // reference can be a Responder's): touches only `core_`, which outlives it.
  ~Session() {
    {
      std::lock_guard lock(core_.mutex);
      core_.sessions.erase(this);
      if (awaiting_response_) core_.remove_in_flight_locked();
      if (stream_counted_) --core_.open_streams;
      core_.remove_connection_locked();
    }
    if (awaiting_response_ || stream_counted_) core_.changed.notify_all();
  }

  const net::any_io_executor& strand() const { return strand_; }

  void run() {
    {
      std::lock_guard lock(core_.mutex);
      core_.sessions.emplace(this, weak_from_this());
    }
    net::dispatch(strand_, [self = shared_from_this()] { self->wait_for_request(); });
  }

  // Shutdown has begun: close unless a request is being answered (that one finishes
  // and then closes, see on_write).
  void drain() {
    if (state_ == State::kIdle || state_ == State::kReading) close();
    if (state_ == State::kStreaming) {
      stream_ending_ = true;  // what is queued, then the final chunk, then close
      pump_stream();
    }
  }

  // Closes the socket; pending operations complete with an error and end the session.
  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    end_stream();
    stream_.close();
  }

  // The response of the current request, on the strand (posted by the Responder).
  void deliver(Response response);

 private:
  enum class State { kIdle, kReading, kProcessing, kWriting, kLingering, kStreaming, kClosed };

  void wait_for_request();
  void read_header();
  void on_header(beast::error_code ec);
  // Feeds what is buffered to the parser; reads more until the header is complete.
  void parse_header();
  void read_body();
  void on_body(beast::error_code ec);
  void handle_request();
  void answer_error_and_close(int status, std::string_view kind, std::string_view title,
                              std::string_view detail);
  void on_read_error(beast::error_code ec);
  void write(Response response, std::string_view method);
  void on_write(beast::error_code ec);
  void linger();
  Responder make_responder();
  // Streaming responses (stream_channel.h).
  void start_stream(Response response);
  void pump_stream();
  void write_stream_out();
  void arm_heartbeat();
  void watch_disconnect();
  void end_stream();

  ServerCore& core_;
  const net::any_io_executor strand_;  // the connection's strand
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_response_;
  std::string remote_address_;
  State state_ = State::kIdle;
  bool first_request_ = true;
  std::size_t header_bytes_ = 0;  // of the request being read, consumed by the parser
  bool keep_alive_ = false;
  bool linger_after_write_ = false;
  bool awaiting_response_ = false;  // counted in core_.in_flight
  SteadyClock::time_point read_deadline_;
  SteadyClock::time_point request_start_;
  SteadyClock::time_point dispatch_start_;
  std::string route_label_;
  std::string method_;
  std::string request_id_;
  std::string path_;
  unsigned version_ = 11;
  std::array<char, 4096> linger_buffer_{};
  std::size_t linger_bytes_ = 0;
  // Streaming state (kStreaming).
  std::shared_ptr<StreamChannel> channel_;
  std::optional<net::steady_timer> heartbeat_;
  std::string stream_out_;        // the bytes being written
  bool stream_chunked_ = true;    // HTTP/1.1: chunked framing; 1.0: raw, close-delimited
  bool stream_writing_ = false;
  bool stream_ending_ = false;    // shutdown: write what is queued, the final chunk, close
  bool stream_final_ = false;     // stream_out_ holds the last bytes of the stream
  bool stream_counted_ = false;   // counted in core_.open_streams
};

namespace {

// The shared state behind one request's Responder: the first call posts the response to
// the session's strand; later calls are ignored; destruction without a call answers 500.
class ResponderState {
 public:
  ResponderState(std::shared_ptr<ServerCore> core, std::shared_ptr<Session> session,
                 std::string instance)
      : core_(std::move(core)), session_(std::move(session)), instance_(std::move(instance)) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  ~ResponderState() {
    if (!called_.load()) {
      post(problem_from_error(Error::internal("handler dropped its Responder"), instance_));
    }
  }

  void respond(Response response) {
    bool expected = false;
    if (!called_.compare_exchange_strong(expected, true)) return;
    post(std::move(response));
  }

 private:
  void post(Response response) {
    // If the server has stopped, the handler is queued in a stopped io_context and is
    // destroyed with it; core_ keeps that io_context alive until then.
    net::post(session_->strand(), [session = session_, response = std::move(response)]() mutable {
      session->deliver(std::move(response));
    });
  }

  // Declared first, destroyed last: the session's socket must die before the io_context.
  std::shared_ptr<ServerCore> core_;
  std::shared_ptr<Session> session_;
  std::string instance_;
  std::atomic<bool> called_{false};
};

}  // namespace

Responder Session::make_responder() {
  auto state =
      std::make_shared<ResponderState>(core_.shared_from_this(), shared_from_this(), path_);
  return [state](Response response) { state->respond(std::move(response)); };
}

void Session::wait_for_request() {
  if (state_ == State::kClosed) return;
  if (core_.draining.load()) return close();
  state_ = State::kIdle;
  if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
  // Until the first byte: the idle timeout between keep-alive requests; a new connection
  // must send its first request within the read timeout.
  stream_.expires_after(first_request_ ? core_.config.read_timeout : core_.config.idle_timeout);
  stream_.async_read_some(buffer_.prepare(kHeaderReadBytes),
                          [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                            if (ec) return self->on_read_error(ec);
                            self->buffer_.commit(bytes);
                            self->read_header();
                          });
}

void Session::read_header() {
  if (state_ == State::kClosed) return;
  state_ = State::kReading;
  first_request_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(core_.config.max_header_bytes));
  parser_->body_limit(core_.config.max_body_bytes);
  read_deadline_ = SteadyClock::now() + core_.config.read_timeout;
  request_start_ = SteadyClock::now();  // until the headers are in: errors are timed from here
  method_.clear();
  version_ = 11;
  stream_.expires_at(read_deadline_);
  header_bytes_ = 0;
  parse_header();
}

// The header is read here rather than with async_read_header: Beast checks header_limit
// against the bytes of each parse step, and a step consumes the start line and the
// complete fields, so a header of many small fields split by TCP passed at ~1.8x the
// limit. Counting what the parser consumed holds the limit for the whole header.
void Session::parse_header() {
  if (state_ == State::kClosed) return;
  if (buffer_.size() > 0) {
    beast::error_code ec;
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    header_bytes_ += used;
    if (ec && ec != bhttp::error::need_more) return on_read_error(ec);
    if (parser_->is_header_done()) return on_header({});
  }
  // Everything buffered now belongs to the unfinished header.
  if (header_bytes_ + buffer_.size() > core_.config.max_header_bytes) {
    return on_read_error(bhttp::error::header_limit);
  }
  stream_.async_read_some(buffer_.prepare(kHeaderReadBytes),
                          [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                            if (ec == net::error::eof) {
                              ec = self->parser_->got_some() ? bhttp::error::partial_message
                                                             : bhttp::error::end_of_stream;
                            }
                            if (ec) return self->on_read_error(ec);
                            self->buffer_.commit(bytes);
                            self->parse_header();
                          });
}

void Session::on_header(beast::error_code ec) {
  if (ec) return on_read_error(ec);
  request_start_ = SteadyClock::now();
  const auto& message = parser_->get();
  version_ = message.version();
  method_ = std::string(message.method_string());
  if (parser_->is_done()) return handle_request();
  if (beast::iequals(message[bhttp::field::expect], "100-continue")) {
    continue_response_.emplace(bhttp::status::continue_, version_);
    stream_.expires_at(read_deadline_);
    bhttp::async_write(stream_, *continue_response_,
                       [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                         if (write_ec) return self->close();
                         self->read_body();
                       });
    return;
  }
  read_body();
}

void Session::read_body() {
  if (state_ == State::kClosed) return;
  stream_.expires_at(read_deadline_);
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
  if (ec) return on_read_error(ec);
  handle_request();
}

void Session::on_read_error(beast::error_code ec) {
  if (state_ == State::kClosed) return;
  if (ec == bhttp::error::body_limit) {
    return answer_error_and_close(
        413, problem_kind::kPayloadTooLarge, "Payload too large",
        fmt::format("The request body exceeds {} bytes.", core_.config.max_body_bytes));
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return answer_error_and_close(
        431, problem_kind::kHeaderTooLarge, "Request header fields too large",
        fmt::format("The request header exceeds {} bytes.", core_.config.max_header_bytes));
  }
  const bool parse_error =
      ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  if (parse_error) {
    return answer_error_and_close(400, problem_kind::kBadRequest, "Bad request",
                                  "The request is not valid HTTP/1.1.");
  }
  // A client that closed, reset or went silent (timeout) gets no answer.
  close();
}

void Session::answer_error_and_close(int status, std::string_view kind, std::string_view title,
                                     std::string_view detail) {
  keep_alive_ = false;
  linger_after_write_ = true;
  route_label_ = std::string(kUnmatchedRoute);
  path_.clear();
  request_id_ =
      fmt::format("{:08x}-{:x}", core_.request_id_nonce, core_.next_request_id.fetch_add(1));
  write(problem_response(status, kind, title, detail), method_);
}

void Session::handle_request() {
  auto message = parser_->release();
  parser_.reset();
  keep_alive_ = message.keep_alive();
  linger_after_write_ = false;

  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.remote_address = remote_address_;
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  const auto client_id = request.headers.get("X-Request-Id");
  request_id_ =
      client_id && is_sane_request_id(*client_id)
          ? std::string(*client_id)
          : fmt::format("{:08x}-{:x}", core_.request_id_nonce, core_.next_request_id.fetch_add(1));
  request.request_id = request_id_;

  const auto url = boost::urls::parse_origin_form(request.target);
  if (!url) {
    keep_alive_ = false;
    route_label_ = std::string(kUnmatchedRoute);
    path_.clear();
    return write(problem_response(400, problem_kind::kBadRequest, "Bad request",
                                  "The request target is not a valid origin-form URI."),
                 method_);
  }
  request.path = std::string(url->encoded_path());
  for (const auto& param : url->params()) {
    request.query.emplace_back(std::string(param.key),
                               param.has_value ? std::string(param.value) : std::string());
  }
  path_ = request.path;

  state_ = State::kProcessing;
  awaiting_response_ = true;
  core_.add_in_flight();
  dispatch_start_ = SteadyClock::now();
  Responder responder = make_responder();
  route_label_ = std::string(core_.router.dispatch(std::move(request), std::move(responder)));
}

void Session::deliver(Response response) {
  if (state_ != State::kProcessing) {
    // Closed meanwhile: the destructor settles in_flight; a stream's producer is told.
    if (response.stream) response.stream->disconnected();
    return;
  }
  awaiting_response_ = false;
  core_.remove_in_flight();
  if (response.stream) {
    if (response.status == 200 && method_ != "HEAD") return start_stream(std::move(response));
    response.stream->disconnected();
    response.stream.reset();
  }
  write(std::move(response), method_);
}

namespace {

void append_stream_bytes(std::string& out, std::string_view data, bool chunked) {
  if (data.empty()) return;
  if (chunked) {
    out += fmt::format("{:x}\r\n", data.size());
    out += data;
    out += "\r\n";
  } else {
    out += data;
  }
}

}  // namespace

void Session::start_stream(Response response) {
  const auto now = SteadyClock::now();
  const std::string_view method_name = method_label(method_);
  core_.requests_total.with({route_label_, method_name, "200"}).inc();
  core_.request_duration.with({route_label_, method_name})
      .observe(std::chrono::duration<double>(now - request_start_).count());
  channel_ = std::move(response.stream);
  stream_chunked_ = version_ >= 11;

  std::string head = fmt::format("HTTP/1.{} 200 OK\r\nServer: bourse\r\n", version_ >= 11 ? 1 : 0);
  for (const auto& [name, value] : response.headers) {
    if (is_reserved_header(name)) continue;
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;  // never let a handler's header break the framing
    }
    head += name + ": " + value + "\r\n";
  }
  head += "Content-Type: " +
          (response.content_type.empty() ? std::string("text/event-stream")
                                         : response.content_type) +
          "\r\n";
  head += "X-Request-Id: " + request_id_ + "\r\n";
  head += stream_chunked_ ? "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                          : "Connection: close\r\n";
  head += "\r\n";

  state_ = State::kStreaming;
  {
    std::lock_guard lock(core_.mutex);
    ++core_.open_streams;
    stream_counted_ = true;
  }
  beast::error_code ignored;
  stream_.socket().set_option(net::socket_base::send_buffer_size(kStreamSendBufferBytes), ignored);
  if (core_.draining.load()) stream_ending_ = true;

  std::weak_ptr<Session> weak = weak_from_this();
  channel_->attach([weak, core = core_.shared_from_this()] {
    if (auto session = weak.lock()) {
      net::post(session->strand(), [session] { session->pump_stream(); });
    }
  });
  heartbeat_.emplace(strand_);
  arm_heartbeat();
  // The request's read deadline is still set on the stream: cleared here (no operation is
  // pending), or the read below would close the stream when that deadline passed.
  stream_.expires_never();
  watch_disconnect();
  stream_out_ = std::move(head);
  write_stream_out();
}

void Session::pump_stream() {
  if (state_ != State::kStreaming || stream_writing_) return;
  StreamChannel::End ended = StreamChannel::End::kOpen;
  std::vector<std::string> chunks = channel_->take(ended);
  if (ended == StreamChannel::End::kDropped || ended == StreamChannel::End::kDisconnected) {
    return close();  // a subscriber that does not keep up is dropped, never buffered
  }
  std::string out;
  for (const std::string& chunk : chunks) append_stream_bytes(out, chunk, stream_chunked_);
  if (ended == StreamChannel::End::kFinished || stream_ending_) {
    stream_final_ = true;
    if (stream_chunked_) out += "0\r\n\r\n";
  }
  if (out.empty()) {
    if (!stream_final_) return;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return close();
  }
  stream_out_ = std::move(out);
  write_stream_out();
}

void Session::write_stream_out() {
  stream_writing_ = true;
  stream_.expires_after(channel_->options().write_timeout);
  net::async_write(stream_, net::buffer(stream_out_),
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     self->stream_writing_ = false;
                     self->stream_out_.clear();
                     if (ec == beast::error::timeout) self->channel_->write_timed_out();
                     if (ec || self->state_ != State::kStreaming) return self->close();
                     self->stream_.expires_never();
                     if (self->stream_final_) {
                       beast::error_code ignored;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                       return self->close();
                     }
                     self->pump_stream();
                   });
}

void Session::arm_heartbeat() {
  heartbeat_->expires_after(channel_->options().heartbeat);
  heartbeat_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->state_ != State::kStreaming) return;
    if (!self->stream_writing_ && !self->stream_final_) {
      append_stream_bytes(self->stream_out_, self->channel_->options().heartbeat_chunk,
                          self->stream_chunked_);
      self->write_stream_out();
    }
    self->arm_heartbeat();
  });
}

void Session::watch_disconnect() {
  // The client sends nothing more on a stream: a read completes only when it closes or
  // resets, or when the socket is closed under it. A write that timed out closes the
  // socket (aborting this read): the write's own completion, which marks the subscriber
  // dropped, then closes the session.
  stream_.async_read_some(net::buffer(linger_buffer_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec == net::error::operation_aborted && self->stream_writing_) return;
                            if (ec || self->state_ != State::kStreaming) return self->close();
                            self->watch_disconnect();
                          });
}

void Session::end_stream() {
  if (channel_) channel_->disconnected();
  if (heartbeat_) heartbeat_->cancel();
  if (stream_counted_) {
    {
      std::lock_guard lock(core_.mutex);
      --core_.open_streams;
      stream_counted_ = false;
    }
    core_.changed.notify_all();
  }
}

void Session::write(Response response, std::string_view method) {
  const auto now = SteadyClock::now();
  if (response.status < 200 || response.status > 599) {
    response = problem_from_error(Error::internal("handler answered an invalid status"), path_);
  }
  if (core_.draining.load()) keep_alive_ = false;

  const std::string_view method_name = method_label(method);
  core_.requests_total.with({route_label_, method_name, std::to_string(response.status)}).inc();
  core_.request_duration.with({route_label_, method_name})
      .observe(std::chrono::duration<double>(now - request_start_).count());

  try {
    auto& message = response_.emplace(static_cast<bhttp::status>(response.status), version_);
    message.set(bhttp::field::server, "bourse");
    for (const auto& [name, value] : response.headers) {
      if (!is_reserved_header(name)) message.insert(name, value);
    }
    if (!response.content_type.empty())
      message.set(bhttp::field::content_type, response.content_type);
    message.set("X-Request-Id", request_id_);
    if (state_ == State::kProcessing) {
      message.set(
          "Server-Timing",
          fmt::format("app;dur={:.3f}",
                      std::chrono::duration<double, std::milli>(now - dispatch_start_).count()));
    }
    const bool no_body = response.status == 204 || response.status == 304;
    if (!no_body) message.body() = std::move(response.body);
    message.keep_alive(keep_alive_);
    message.prepare_payload();
  } catch (const std::exception&) {
    // Only a handler's invalid header can get here: answer a bare 500.
    auto& message = response_.emplace(bhttp::status::internal_server_error, version_);
    message.keep_alive(keep_alive_);
    message.prepare_payload();
  }

  state_ = State::kWriting;
  // A client that does not read its answer is as slow as one that does not send.
  stream_.expires_after(core_.config.read_timeout);
  bhttp::async_write(
      stream_, *response_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void Session::on_write(beast::error_code ec) {
  response_.reset();
  if (ec || state_ == State::kClosed) return close();
  if (linger_after_write_) return linger();
  if (!keep_alive_) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return close();
  }
  wait_for_request();
}

void Session::linger() {
  if (state_ != State::kLingering) {
    state_ = State::kLingering;
    linger_bytes_ = 0;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
  }
  stream_.async_read_some(
      net::buffer(linger_buffer_),
      [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
        self->linger_bytes_ += bytes;
        if (ec || self->state_ != State::kLingering || self->linger_bytes_ > kMaxLingerBytes)
          return self->close();
        self->linger();
      });
}

}  // namespace detail

// --- Server ---------------------------------------------------------------------------

namespace {

void accept_next(detail::ServerCore* core);

void on_accept(detail::ServerCore* core, beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !core->acceptor || !core->acceptor->is_open()) return;
  if (ec) {
    // E.g. EMFILE: back off briefly instead of spinning on a failing accept.
    auto timer = std::make_shared<net::steady_timer>(core->acceptor->get_executor(),
                                                     std::chrono::milliseconds(50));
    timer->async_wait([core, timer](beast::error_code) { accept_next(core); });
    return;
  }
  if (core->draining.load()) return;
  if (core->open_connections.load() >= core->config.max_connections) {
    detail::reject_connection(std::move(socket), *core);
  } else {
    std::make_shared<detail::Session>(*core, std::move(socket))->run();
  }
  accept_next(core);
}

void accept_next(detail::ServerCore* core) {
  if (!core->acceptor || !core->acceptor->is_open()) return;
  core->acceptor->async_accept(
      net::make_strand(core->ioc),
      [core](beast::error_code ec, tcp::socket socket) { on_accept(core, ec, std::move(socket)); });
}

}  // namespace

Server::Server(ServerConfig config, const Router& router, metrics::Registry& registry) {
  BOURSE_ASSERT(validate(config).ok(), "invalid ServerConfig");
  core_ = std::make_shared<detail::ServerCore>(std::move(config), router, registry);
}

Server::~Server() {
  if (started_ && !shut_down_) (void)shutdown(SteadyClock::now());
}

Status Server::start() {
  BOURSE_ASSERT(!started_, "Server::start() called twice");
  detail::ServerCore& core = *core_;
  beast::error_code ec;
  const auto address = net::ip::make_address(core.config.bind_address, ec);
  if (ec) return Error::invalid("invalid http bind address '" + core.config.bind_address + "'");
  const tcp::endpoint endpoint(address, core.config.port);

  auto& acceptor = core.acceptor.emplace(net::make_strand(core.ioc));
  const auto fail = [&](std::string_view what) -> Status {
    const std::string message = fmt::format("http {} {}:{}: {}", what, core.config.bind_address,
                                            core.config.port, ec.message());
    acceptor.close(ec);
    return Error::unavailable(message);
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set_option");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  core.port.store(acceptor.local_endpoint().port());

  started_ = true;
  core.work_guard.emplace(core.ioc.get_executor());
  net::dispatch(acceptor.get_executor(), [raw = core_.get()] { accept_next(raw); });
  {
    std::lock_guard lock(core.mutex);
    core.running_threads = core.config.io_threads;
  }
  for (int i = 0; i < core.config.io_threads; ++i) {
    threads_.emplace_back([raw = core_.get(), i] {
      set_current_thread_name("http-io-" + std::to_string(i));
      for (;;) {
        try {
          raw->ioc.run();
          break;
        } catch (const std::exception&) {
          raw->io_thread_errors.inc();  // never let a stray exception kill the server
        }
      }
      {
        std::lock_guard lock(raw->mutex);
        --raw->running_threads;
      }
      raw->changed.notify_all();
    });
  }
  return Status::success();
}

std::uint16_t Server::port() const { return core_->port.load(); }

void Server::stop_accepting() {
  if (!started_ || shut_down_) return;
  detail::ServerCore* core = core_.get();
  std::promise<void> closed;
  auto done = closed.get_future();
  net::post(core->acceptor->get_executor(), [core, &closed] {
    beast::error_code ignored;
    core->acceptor->close(ignored);
    closed.set_value();
  });
  // The I/O threads run until shutdown() returns, so the close is executed promptly.
  done.wait();
}

bool Server::shutdown(SteadyClock::time_point deadline) {
  if (shut_down_) return true;
  shut_down_ = true;
  if (!started_) return true;
  detail::ServerCore& core = *core_;

  // 1. No new connections; idle and half-read connections close; answers in progress
  //    finish and then close.
  {
    std::promise<void> closed;
    auto done = closed.get_future();
    net::post(core.acceptor->get_executor(), [&core, &closed] {
      beast::error_code ignored;
      core.acceptor->close(ignored);
      closed.set_value();
    });
    done.wait();
  }
  core.draining.store(true);
  const auto each_session = [&core](auto&& action) {
    std::vector<std::shared_ptr<detail::Session>> sessions;
    {
      std::lock_guard lock(core.mutex);
      for (const auto& [raw, weak] : core.sessions) {
        if (auto session = weak.lock()) sessions.push_back(std::move(session));
      }
    }
    for (auto& session : sessions) action(session);
    // The copies die here, outside the lock: a last reference unregisters under it.
  };
  each_session([](const std::shared_ptr<detail::Session>& session) {
    net::post(session->strand(), [session] { session->drain(); });
  });

  // 2. Wait for every request already read to be answered.
  bool clean = false;
  {
    std::unique_lock lock(core.mutex);
    // Streams end cleanly too: their final chunk is written before the connection closes.
    clean = core.changed.wait_until(
        lock, deadline, [&core] { return core.in_flight == 0 && core.open_streams == 0; });
  }

  // 3. Close everything; the I/O threads return once no operation is pending.
  each_session([](const std::shared_ptr<detail::Session>& session) {
    net::post(session->strand(), [session] { session->close(); });
  });
  core.work_guard.reset();
  {
    std::unique_lock lock(core.mutex);
    const auto grace = SteadyClock::now() + kLingerTimeout + kRejectWriteTimeout;
    if (!core.changed.wait_until(lock, grace, [&core] { return core.running_threads == 0; })) {
      lock.unlock();
      core.ioc.stop();  // something did not finish: stop the loop, handlers die with it
    }
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();

  // 4. No thread runs the io_context now: sessions still waiting for a Responder are
  //    closed directly (their Responders post into the stopped io_context, harmlessly).
  each_session([](const std::shared_ptr<detail::Session>& session) { session->close(); });

  // 5. The Registry may die after this returns, before the last Responder: the sessions
  //    those still hold leave the gauges now, and nothing touches the Registry again.
  core.detach_metrics();
  return clean;
}

std::size_t Server::in_flight() const {
  std::lock_guard lock(core_->mutex);
  return core_->in_flight;
}

std::size_t Server::open_connections() const { return core_->open_connections.load(); }

}  // namespace bourse::http
