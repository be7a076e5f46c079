// Goal: the open loop sends every slot's request, never before it is due, in slot order per
// connection, skips slots without a request, reports each answer with its status and body,
// and survives a dropped connection (status 0, then a fresh connection for the next slot).
// A tiny synchronous Beast server on loopback answers; no bourse, no database.
#include "open_loop.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using bourse::bench::ConnectionHooks;
using bourse::bench::PlannedRequest;
using bourse::bench::Slot;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Answers every request with 202 and the target as body; a request for /drop closes the
// connection without an answer. Records when each target arrived.
class EchoServer {
 public:
  EchoServer() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    accepter_ = std::thread([this] {
      for (;;) {
        net::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        std::lock_guard lock(mutex_);
        connections_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
      }
    });
  }
  ~EchoServer() {
    // A blocking accept is not woken by closing the acceptor: connect once to wake it.
    stopping_ = true;
    {
      net::ip::tcp::socket wake(io_);
      boost::system::error_code ignored;
      wake.connect(acceptor_.local_endpoint(), ignored);
    }
    accepter_.join();
    for (std::thread& connection : connections_) connection.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::map<std::string, Clock::time_point> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  int accepted() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(connections_.size());
  }

 private:
  void serve(net::ip::tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      boost::system::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      const std::string target(request.target());
      {
        std::lock_guard lock(mutex_);
        arrivals_[target + " " + request.body()] = Clock::now();
      }
      if (target == "/drop") return;  // closes without an answer
      http::response<http::string_body> response{http::status::accepted, 11};
      response.body() = target;
      response.keep_alive(true);
      response.prepare_payload();
      http::write(socket, response, ec);
      if (ec) return;
    }
  }

  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::map<std::string, Clock::time_point> arrivals_;
  std::vector<std::thread> connections_;
  std::thread accepter_;
};

struct Answer {
  std::string target;
  int status;
  std::string body;
  Clock::time_point due;
  Clock::time_point answered;
};

}  // namespace

TEST_CASE("every slot is sent at or after its due time, in order, and answered", "[loadgen]") {
  EchoServer server;
  const auto start = Clock::now() + 50ms;
  std::vector<std::vector<Answer>> answers(2);
  std::vector<ConnectionHooks> hooks;
  for (int c = 0; c < 2; ++c) {
    ConnectionHooks hook;
    hook.next = [&, c](long long k) -> std::optional<Slot> {
      if (k == 5) return std::nullopt;
      const auto due = start + std::chrono::milliseconds(10 * k + c);
      if (c == 0 && k == 2) return Slot{due, std::nullopt};  // skipped
      return Slot{due, PlannedRequest{"POST", "/c" + std::to_string(c) + "k" + std::to_string(k),
                                      R"({"k":)" + std::to_string(k) + "}"}};
    };
    hook.done = [&, c](const Slot& slot, int status, std::string_view body, Clock::time_point at) {
      answers[static_cast<std::size_t>(c)].push_back(
          {slot.request->target, status, std::string(body), slot.due, at});
    };
    hooks.push_back(std::move(hook));
  }
  bourse::bench::run_open_loop({{"127.0.0.1", server.port()}}, std::move(hooks), 2'000ms);

  REQUIRE(answers[0].size() == 4);
  REQUIRE(answers[1].size() == 5);
  const auto arrivals = server.arrivals();
  for (int c = 0; c < 2; ++c) {
    Clock::time_point previous{};
    for (const Answer& answer : answers[static_cast<std::size_t>(c)]) {
      CHECK(answer.status == 202);
      CHECK(answer.body == answer.target);
      CHECK(answer.answered >= answer.due);
      CHECK(answer.answered >= previous);
      previous = answer.answered;
      const std::string k = answer.target.substr(answer.target.find('k') + 1);
      const auto arrival = arrivals.find(answer.target + R"( {"k":)" + k + "}");
      REQUIRE(arrival != arrivals.end());
      CHECK(arrival->second >= answer.due);  // never sent early
    }
  }
  CHECK(arrivals.count("/c0k2 {\"k\":2}") == 0);
  CHECK(server.accepted() == 2);  // one keep-alive connection each
}

TEST_CASE("a dropped connection reports status 0 and the next slot reconnects", "[loadgen]") {
  EchoServer server;
  std::vector<Answer> answers;
  ConnectionHooks hook;
  hook.next = [&](long long k) -> std::optional<Slot> {
    if (k == 3) return std::nullopt;
    return Slot{Clock::now(), PlannedRequest{"GET", k == 1 ? "/drop" : "/ok" + std::to_string(k), {}}};
  };
  hook.done = [&](const Slot& slot, int status, std::string_view body, Clock::time_point at) {
    answers.push_back({slot.request->target, status, std::string(body), slot.due, at});
  };
  std::vector<ConnectionHooks> hooks;
  hooks.push_back(std::move(hook));
  bourse::bench::run_open_loop({{"127.0.0.1", server.port()}}, std::move(hooks), 2'000ms);

  REQUIRE(answers.size() == 3);
  CHECK(answers[0].status == 202);
  CHECK(answers[1].target == "/drop");
  CHECK(answers[1].status == 0);
  CHECK(answers[2].status == 202);
  CHECK(answers[2].body == "/ok2");
  CHECK(server.accepted() == 2);
}
