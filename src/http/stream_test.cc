// Goal: prove streaming responses (stream_channel.h) over real loopback sockets: chunks
// arrive in push order with heartbeats in between; a client that stops reading is cut off
// once its queue overflows (memory stays bounded) while the server goes on; a client that
// goes away ends the channel; shutdown ends every stream with the final chunk.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/server.h"
#include "http/stream_channel.h"
#include "sse_client.h"

namespace bourse::http {
namespace {

using namespace std::chrono_literals;
using testing::SseClient;

StreamOptions test_options(std::size_t queue) {
  StreamOptions options;
  options.max_queued_chunks = queue;
  options.heartbeat = 50ms;
  options.write_timeout = 2s;
  options.stall_timeout = 300ms;
  return options;
}

struct StreamServer {
  explicit StreamServer(std::size_t queue = 16) : StreamServer(test_options(queue), {}) {}
  StreamServer(StreamOptions options, ServerConfig config) {
    router.add("GET", "/v1/stream", [this, options](Request&&, Responder respond) {
      auto channel = std::make_shared<StreamChannel>(options);
      {
        std::lock_guard lock(mutex);
        channels.push_back(channel);
      }
      Response response;
      response.content_type = "text/event-stream";
      response.stream = channel;
      respond(std::move(response));
    });
    config.bind_address = "127.0.0.1";
    config.port = 0;
    server = std::make_unique<Server>(config, router, registry);
    REQUIRE(server->start().ok());
  }

  std::shared_ptr<StreamChannel> channel(std::size_t index) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mutex);
        if (channels.size() > index) return channels[index];
      }
      std::this_thread::sleep_for(10ms);
    }
    FAIL("no stream was opened");
    return nullptr;
  }

  metrics::Registry registry;
  Router router;
  std::mutex mutex;
  std::vector<std::shared_ptr<StreamChannel>> channels;
  std::unique_ptr<Server> server;
};

std::string event(int i) { return "id: " + std::to_string(i) + "\nevent: n\ndata: {}\n\n"; }

bool wait_for_end(const StreamChannel& channel, StreamChannel::End end) {
  for (int i = 0; i < 1'000 && channel.end() != end; ++i) std::this_thread::sleep_for(10ms);
  return channel.end() == end;
}

}  // namespace

TEST_CASE("a stream delivers chunks in order, with heartbeats", "[http][stream]") {
  StreamServer fixture(128);  // the 100 pushes may all queue before the first write
  SseClient client(fixture.server->port(), "/v1/stream");
  REQUIRE(client.status() == 200);
  CHECK(client.head().find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(client.head().find("Content-Type: text/event-stream") != std::string::npos);
  auto channel = fixture.channel(0);
  for (int i = 0; i < 100; ++i) REQUIRE(channel->push(event(i)));
  for (int i = 0; i < 100; ++i) {
    auto received = client.next(5s);
    REQUIRE(received);
    CHECK(received->id == std::to_string(i));
  }
  while (client.heartbeats() == 0 && !client.ended()) (void)client.next(100ms);
  CHECK(client.heartbeats() > 0);
  channel->finish();
  CHECK(client.read_to_end(5s));
  CHECK(client.clean_end());
}

TEST_CASE("a client that stops reading is cut off; the others go on", "[http][stream]") {
  StreamServer fixture(8);
  SseClient stalled(fixture.server->port(), "/v1/stream", {}, 5s, 1024);
  REQUIRE(stalled.status() == 200);
  auto stalled_channel = fixture.channel(0);
  SseClient reader(fixture.server->port(), "/v1/stream");
  auto reader_channel = fixture.channel(1);

  const std::string big(1'000, 'x');
  int pushed = 0;
  // Bounded: the kernel buffers of the stalled connection hold a few dozen of these.
  for (; pushed < 100'000 && stalled_channel->push("data: " + big + "\n\n"); ++pushed) {
    REQUIRE(reader_channel->push(event(pushed)));
    auto received = reader.next(5s);
    REQUIRE(received);
    CHECK(received->id == std::to_string(pushed));
  }
  CHECK(stalled_channel->end() == StreamChannel::End::kDropped);
  CHECK(pushed < 100'000);
  int events = 0;
  CHECK(stalled.read_to_end(10s, &events));
  CHECK_FALSE(stalled.clean_end());
  CHECK(events <= pushed);
  REQUIRE(reader_channel->push(event(-1)));
  auto last = reader.next(5s);
  REQUIRE(last);
  CHECK(last->id == "-1");
}

TEST_CASE("a stream outlives the request's read and idle timeouts", "[http][stream]") {
  ServerConfig config;
  config.read_timeout = 200ms;
  config.idle_timeout = 200ms;
  StreamServer fixture(test_options(16), config);
  SseClient client(fixture.server->port(), "/v1/stream");
  REQUIRE(client.status() == 200);
  auto channel = fixture.channel(0);
  const auto until = std::chrono::steady_clock::now() + 1s;  // 5x both timeouts
  while (std::chrono::steady_clock::now() < until && !client.ended()) (void)client.next(50ms);
  CHECK(channel->is_open());
  REQUIRE(channel->push(event(1)));
  auto received = client.next(5s);
  REQUIRE(received);
  CHECK(received->id == "1");
}

TEST_CASE("a write that does not complete within write_timeout drops the subscriber",
          "[http][stream]") {
  // A queue and stall timeout so large that only the write timeout can drop it.
  StreamOptions options = test_options(1'000'000);
  options.stall_timeout = 10min;
  options.write_timeout = 300ms;
  StreamServer fixture(options, {});
  SseClient stalled(fixture.server->port(), "/v1/stream", {}, 5s, 1024);
  REQUIRE(stalled.status() == 200);
  auto channel = fixture.channel(0);
  const std::string big(1'000, 'x');
  // Far more than the kernel buffers of the connection hold (~kStreamSendBufferBytes
  // plus the client's 1 KiB): a write is then left waiting.
  for (int i = 0; i < 1'000 && channel->push("data: " + big + "\n\n"); ++i) {
  }
  CHECK(wait_for_end(*channel, StreamChannel::End::kDropped));
  int events = 0;
  CHECK(stalled.read_to_end(10s, &events));
  CHECK_FALSE(stalled.clean_end());
}

TEST_CASE("a burst far beyond the queue reaches a client that keeps reading",
          "[http][stream]") {
  // The producer hands over 8 queues' worth at once, faster than the connection writes:
  // the subscriber is reading, so it is not dropped (only a stalled one is).
  constexpr std::size_t kQueue = 16;
  StreamServer fixture(kQueue);
  SseClient client(fixture.server->port(), "/v1/stream");
  REQUIRE(client.status() == 200);
  auto channel = fixture.channel(0);
  const int burst = static_cast<int>(kQueue * 8);
  for (int i = 0; i < burst; ++i) REQUIRE(channel->push(event(i)));
  for (int i = 0; i < burst; ++i) {
    auto received = client.next(5s);
    REQUIRE(received);
    CHECK(received->id == std::to_string(i));
  }
  CHECK(channel->is_open());
}

TEST_CASE("a channel drops a stalled subscriber at its queue and any at the burst ceiling",
          "[http][stream]") {
  StreamOptions options;
  options.max_queued_chunks = 4;
  options.stall_timeout = 50ms;
  SECTION("full and stalled: dropped at the next push") {
    StreamChannel channel(options);
    for (int i = 0; i < 4; ++i) REQUIRE(channel.push(event(i)));
    std::this_thread::sleep_for(60ms);  // nothing taken for longer than stall_timeout
    CHECK_FALSE(channel.push(event(4)));
    CHECK(channel.end() == StreamChannel::End::kDropped);
    StreamChannel::End ended{};
    CHECK(channel.take(ended).empty());  // the queue is released at once
    CHECK(ended == StreamChannel::End::kDropped);
  }
  SECTION("full but taken from recently: queued up to the burst ceiling, then dropped") {
    options.stall_timeout = 10min;
    StreamChannel channel(options);
    const std::size_t ceiling = options.max_queued_chunks * kStreamBurstFactor;
    for (std::size_t i = 0; i < ceiling; ++i) REQUIRE(channel.push(event(static_cast<int>(i))));
    CHECK_FALSE(channel.push(event(-1)));
    CHECK(channel.end() == StreamChannel::End::kDropped);
  }
  SECTION("a take resets the stall clock") {
    StreamChannel channel(options);
    for (int i = 0; i < 4; ++i) REQUIRE(channel.push(event(i)));
    std::this_thread::sleep_for(60ms);
    StreamChannel::End ended{};
    CHECK(channel.take(ended).size() == 4);
    for (int i = 0; i < 5; ++i) REQUIRE(channel.push(event(i)));  // over the queue, not stalled
    CHECK(channel.is_open());
  }
}

TEST_CASE("a client that goes away ends its channel", "[http][stream]") {
  StreamServer fixture;
  auto client = std::make_unique<SseClient>(fixture.server->port(), "/v1/stream");
  auto channel = fixture.channel(0);
  client.reset();
  CHECK(wait_for_end(*channel, StreamChannel::End::kDisconnected));
  CHECK_FALSE(channel->push(event(1)));
}

TEST_CASE("shutdown ends every stream cleanly", "[http][stream]") {
  StreamServer fixture;
  SseClient first(fixture.server->port(), "/v1/stream");
  SseClient second(fixture.server->port(), "/v1/stream");
  REQUIRE(fixture.channel(1));
  REQUIRE(fixture.channel(0)->push(event(7)));
  fixture.server->stop_accepting();
  CHECK(fixture.server->shutdown(std::chrono::steady_clock::now() + 5s));
  auto received = first.next(5s);
  REQUIRE(received);
  CHECK(received->id == "7");
  CHECK(first.read_to_end(5s));
  CHECK(first.clean_end());
  CHECK(second.read_to_end(5s));
  CHECK(second.clean_end());
}

}  // namespace bourse::http
