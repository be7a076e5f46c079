// A tiny Server-Sent Events client for tests (header-only, POSIX sockets): opens
// GET <target> with optional Last-Event-ID, checks the response head, then decodes the
// chunked body into SSE events as they arrive. Comments (": hb") are counted, not
// returned. Every wait is bounded by the caller's timeout. Not thread-safe.
//
//   bourse::testing::SseClient client(port, "/v1/orders/stream?user_id=alice");
//   REQUIRE(client.status() == 200);
//   auto event = client.next(5s);  // std::nullopt: timed out or the stream ended
//
// stop_reading_with_small_buffer(): built with a tiny receive buffer for tests of a
// subscriber that stops reading (the server's queue fills instead of the kernel's).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bourse::testing {

struct SseEvent {
  std::string id;     // "" when the event had no id field
  std::string event;  // "message" when the event had no event field
  std::string data;
};

class SseClient {
 public:
  // Connects and sends the request; reads the response head (bounded by `timeout`).
  // `receive_buffer` > 0 sets SO_RCVBUF before connecting (a slow-reader test).
  SseClient(int port, const std::string& target, const std::string& last_event_id = {},
            std::chrono::milliseconds timeout = std::chrono::seconds(10), int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
    request += "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      throw std::runtime_error("send failed");
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (raw_.find("\r\n\r\n") == std::string::npos) {
      if (!fill(deadline)) throw std::runtime_error("no response head; got: " + raw_);
    }
    const std::size_t end = raw_.find("\r\n\r\n");
    head_ = raw_.substr(0, end + 2);
    raw_.erase(0, end + 4);
    status_ = std::stoi(head_.substr(9, 3));
    chunked_ = head_.find("Transfer-Encoding: chunked") != std::string::npos;
    if (!chunked_) {
      // A problem answer: read its Content-Length body.
      const auto at = head_.find("Content-Length: ");
      const std::size_t length = at == std::string::npos ? 0 : std::stoul(head_.substr(at + 16));
      while (raw_.size() < length && fill(deadline)) {
      }
      body_ = raw_.substr(0, length);
    }
  }
  ~SseClient() { close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  int status() const { return status_; }
  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }  // non-stream answers only
  int heartbeats() const { return heartbeats_; }
  bool ended() const { return ended_; }  // the final chunk arrived or the connection closed
  bool clean_end() const { return clean_end_; }  // the final chunk arrived

  // The next event, or std::nullopt when `timeout` passes or the stream ends.
  std::optional<SseEvent> next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      decode_chunks();
      if (auto event = parse_event()) return event;
      if (ended_) return std::nullopt;
      if (!fill(deadline) && !ended_) return std::nullopt;
    }
  }

  // Reads until the stream ends (true) or `timeout` passes (false), counting the events.
  bool read_to_end(std::chrono::milliseconds timeout, int* events = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto event = next(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (event) {
        if (events) ++*events;
        continue;
      }
      if (ended_) return true;
    }
    return ended_;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  // Reads more bytes into raw_; false on timeout or end of connection (ended_ set).
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || ended_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) return false;
    char buffer[16384];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      ended_ = true;
      return false;
    }
    raw_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  void decode_chunks() {
    if (clean_end_) return;
    if (!chunked_) {
      text_ += raw_;
      raw_.clear();
      return;
    }
    for (;;) {
      const std::size_t line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) return;
      const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) return;
      if (size == 0) {
        ended_ = true;
        clean_end_ = true;
        raw_.clear();
        return;
      }
      text_ += raw_.substr(line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
    }
  }

  std::optional<SseEvent> parse_event() {
    for (;;) {
      const std::size_t end = text_.find("\n\n");
      if (end == std::string::npos) return std::nullopt;
      const std::string block = text_.substr(0, end);
      text_.erase(0, end + 2);
      SseEvent event;
      event.event = "message";
      bool any = false;
      std::size_t start = 0;
      while (start <= block.size()) {
        std::size_t stop = block.find('\n', start);
        if (stop == std::string::npos) stop = block.size();
        const std::string_view line(block.data() + start, stop - start);
        start = stop + 1;
        if (line.empty()) continue;
        if (line.front() == ':') {
          ++heartbeats_;
          continue;
        }
        const std::size_t colon = line.find(':');
        std::string_view name = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == "id") event.id = value, any = true;
        if (name == "event") event.event = value, any = true;
        if (name == "data") event.data += value, any = true;
      }
      if (any) return event;
    }
  }

  int fd_ = -1;
  std::string raw_;   // bytes received, not yet de-chunked
  std::string text_;  // de-chunked SSE text, not yet parsed
  std::string head_;
  std::string body_;
  int status_ = 0;
  bool chunked_ = false;
  bool ended_ = false;
  bool clean_end_ = false;
  int heartbeats_ = 0;
};

}  // namespace bourse::testing
