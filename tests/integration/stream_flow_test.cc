// Goal: the live streams (docs/STREAMS.md) as a client sees them, against real `bourse
// serve` processes, MariaDB and Kafka: a user's order updates arrive in order on
// /v1/orders/stream; a client that disconnects and resumes with Last-Event-ID (on the
// same or another instance) gets exactly what it missed; a subscriber that stops reading
// is dropped while another keeps receiving; a subscriber on one instance sees orders
// processed anywhere; the market stream carries trades and quotes without user data;
// SIGTERM ends every stream with the end of the response; bad requests are problems.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <limits>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bourse_process.h"
#include "sse_client.h"

using bourse::testing::BourseEnvironment;
using bourse::testing::BourseProcess;
using bourse::testing::SseClient;
using bourse::testing::SseEvent;

namespace {

using namespace std::chrono_literals;

// Bounds of waits for asynchronous work (relay -> matching -> relay -> reader): generous,
// a healthy run takes well under a second per step.
constexpr auto kEventTimeout = 60s;

boost::json::object json(const std::string& text) { return boost::json::parse(text).as_object(); }

void open_account(const BourseProcess& process, const std::string& user, const char* cash,
                  const std::string& positions = "{}") {
  auto client = process.client();
  auto response = client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":")" + cash +
                                                  R"(","positions":)" + positions + "}");
  INFO(response.body);
  REQUIRE(response.status == 201);
}

std::int64_t place(const BourseProcess& process, const std::string& user, const char* symbol,
                   const char* side, std::int64_t quantity, const char* price) {
  auto client = process.client();
  const std::string body = R"({"user_id":")" + user + R"(","symbol":")" + symbol +
                           R"(","side":")" + side + R"(","type":"LIMIT","quantity":)" +
                           std::to_string(quantity) + R"(,"price":")" + price +
                           R"(","time_in_force":"GTC"})";
  auto response = client.post("/v1/orders", body);
  // 503 asks to retry (e.g. the shared database dropped a connection): bounded retries.
  for (int attempt = 0; attempt < 20 && response.status == 503; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    response = client.post("/v1/orders", body);
  }
  INFO(body << " -> " << response.body);
  REQUIRE(response.status == 202);
  return json(response.body).at("order_id").as_int64();
}

void cancel(const BourseProcess& process, std::int64_t order_id) {
  auto client = process.client();
  REQUIRE(client.request("DELETE", "/v1/orders/" + std::to_string(order_id)).status == 202);
}

// Opens a stream, retrying while the instance's reader is still starting (503).
std::unique_ptr<SseClient> open_stream(const BourseProcess& process, const std::string& target,
                                       const std::string& last_event_id = {}, int receive_buffer = 0) {
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  for (;;) {
    auto client = std::make_unique<SseClient>(process.port(), target, last_event_id, 10s,
                                              receive_buffer);
    if (client->status() != 503 || std::chrono::steady_clock::now() > deadline) {
      INFO(client->head() << client->body());
      REQUIRE(client->status() == 200);
      return client;
    }
    std::this_thread::sleep_for(200ms);
  }
}

// The next event that is not `start`/`quote`/heartbeat, within kEventTimeout.
SseEvent next_update(SseClient& client, const BourseProcess& process) {
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = client.next(1s);
    if (event && event->event != "start") return *event;
    if (client.ended()) break;
  }
  FAIL("no stream event arrived; server log:\n" << const_cast<BourseProcess&>(process).process().log());
  return {};
}

// What identifies an order-stream event: its kind and order (and trade) id.
std::string key_of(const SseEvent& event) {
  const auto data = json(event.data);
  std::string key = event.event + "#" + std::to_string(data.at("order_id").as_int64());
  if (data.contains("trade_id")) key += "/" + std::to_string(data.at("trade_id").as_int64());
  return key;
}

std::vector<std::string> keys_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> keys;
  for (const auto& event : events) keys.push_back(key_of(event));
  return keys;
}

// The stream's order contract across instances: each order's events in order (an order
// lives in one partition), partitions interleaved in whatever order an instance read
// them. Key "type#order[/trade]" -> order -> that order's keys in stream order.
std::map<std::string, std::vector<std::string>> per_order(const std::vector<SseEvent>& events) {
  std::map<std::string, std::vector<std::string>> orders;
  for (const auto& event : events) {
    const std::string key = key_of(event);
    const auto hash = key.find('#');
    const auto slash = key.find('/', hash);
    orders[key.substr(hash + 1, slash == std::string::npos ? std::string::npos : slash - hash - 1)]
        .push_back(key);
  }
  return orders;
}

// Places the scripted activity of `buyer` (and a seller) across three symbols (so several
// partitions): 6 buys that rest, 2 of them filled by a seller, the 4 others cancelled.
// Returns the number of events the buyer's stream gets: 6 accepted + 2 trades + 4 cancelled.
int script(const BourseProcess& process, const std::string& buyer, const std::string& seller) {
  std::vector<std::int64_t> rest;
  const char* symbols[] = {"AAPL", "MSFT", "TSLA"};
  const char* prices[] = {"150.00", "400.00", "250.00"};
  for (int i = 0; i < 6; ++i) {
    rest.push_back(place(process, buyer, symbols[i % 3], "BUY", 1, prices[i % 3]));
  }
  place(process, seller, "AAPL", "SELL", 1, "150.00");  // fills rest[0]
  place(process, seller, "MSFT", "SELL", 1, "400.00");  // fills rest[1]
  for (int i = 2; i < 6; ++i) cancel(process, rest[static_cast<std::size_t>(i)]);
  return 12;
}

void fund(const BourseProcess& process, const std::string& buyer, const std::string& seller) {
  open_account(process, buyer, "100000");
  open_account(process, seller, "0", R"({"AAPL":100,"MSFT":100,"TSLA":100})");
}

}  // namespace

TEST_CASE("order stream: updates in order, and a resume loses and repeats nothing",
          "[streams][integration]") {
  BourseProcess process({"--set", "stream.heartbeat_ms=200"});
  REQUIRE(process.wait_ready());
  fund(process, "alice", "sam");

  auto reference = open_stream(process, "/v1/orders/stream?user_id=alice");
  auto first = reference->next(kEventTimeout);
  REQUIRE(first);
  CHECK(first->event == "start");
  auto resumer = open_stream(process, "/v1/orders/stream?user_id=alice");

  const int expected = script(process, "alice", "sam");
  std::vector<SseEvent> all;
  for (int i = 0; i < expected; ++i) all.push_back(next_update(*reference, process));

  // In order, per order: accepted, then its fill or its cancel; every id is a position.
  std::map<std::int64_t, std::vector<std::string>> per_order;
  for (const auto& event : all) {
    CHECK(event.id.rfind("v1.", 0) == 0);
    const auto data = json(event.data);
    per_order[data.at("order_id").as_int64()].push_back(event.event);
    CHECK(data.at("symbol").as_string().size() > 0);
  }
  REQUIRE(per_order.size() == 6);
  int trades = 0;
  for (const auto& [order_id, kinds] : per_order) {
    INFO("order " << order_id);
    REQUIRE(kinds.size() == 2);
    CHECK(kinds[0] == "order.accepted");
    CHECK((kinds[1] == "order.trade" || kinds[1] == "order.cancelled"));
    trades += kinds[1] == "order.trade" ? 1 : 0;
  }
  CHECK(trades == 2);
  // Heartbeats keep an idle stream alive.
  while (reference->heartbeats() == 0 && reference->next(2s)) {
  }
  CHECK(reference->heartbeats() > 0);

  // The resumer read 5 updates, went away, and resumes from the last id it saw.
  std::vector<SseEvent> resumed;
  for (int i = 0; i < 5; ++i) resumed.push_back(next_update(*resumer, process));
  resumer.reset();
  auto again = open_stream(process, "/v1/orders/stream?user_id=alice", resumed.back().id);
  for (int i = 5; i < expected; ++i) resumed.push_back(next_update(*again, process));
  CHECK(keys_of(resumed) == keys_of(all));
  // ... and nothing after: no event is repeated (a heartbeat period passes meanwhile).
  auto extra = again->next(1500ms);
  CHECK_FALSE(extra.has_value());

  // Resuming from the very last id: nothing to replay.
  auto caught_up = open_stream(process, "/v1/orders/stream?user_id=alice", all.back().id);
  CHECK_FALSE(caught_up->next(1s).has_value());
  // From before the reader's start (offset 0 everywhere is older only if the ring was
  // trimmed; here an id naming another partition count): a documented reset.
  auto reset = open_stream(process, "/v1/orders/stream?user_id=alice", "v1.0.0.0.0.0");
  auto reset_event = reset->next(kEventTimeout);
  REQUIRE(reset_event);
  CHECK(reset_event->event == "reset");
  CHECK(reset_event->id.rfind("v1.", 0) == 0);
}

TEST_CASE("stream requests are validated", "[streams][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  const auto status_of = [&](const std::string& target, const std::string& last = {}) {
    SseClient client(process.port(), target, last);
    INFO(target << " -> " << client.head() << client.body());
    return client.status();
  };
  CHECK(status_of("/v1/orders/stream") == 400);
  CHECK(status_of("/v1/orders/stream?user_id=") == 400);
  CHECK(status_of("/v1/orders/stream?user_id=bad%20id") == 400);
  CHECK(status_of("/v1/orders/stream?user_id=alice", "garbage") == 400);
  CHECK(status_of("/v1/orders/stream?user_id=alice", "v1.1.-2") == 400);
  CHECK(status_of("/v1/market/NOPE/stream") == 404);
  CHECK(status_of("/v1/market/AAPL/stream", "v1.x") == 400);
  SseClient bad(process.port(), "/v1/orders/stream?user_id=alice", "garbage");
  CHECK(json(bad.body()).at("type").as_string() ==
        "https://bourse.dev/problems/invalid-last-event-id");
}

// Whether the instance's /metrics shows `line`.
bool metrics_show(const BourseProcess& process, const std::string& line) {
  return process.client().get("/metrics").body.find(line) != std::string::npos;
}

// The burst of orders below reaches the instance's reader in batches far larger than the
// queue (hundreds of events handed over at once on a loaded machine): the reading
// subscriber rides them out, because only a subscriber whose connection has taken nothing
// for stream.stall (2 s) while its queue is full is dropped (http/stream_channel.h).
TEST_CASE("a subscriber that stops reading is dropped; another keeps receiving",
          "[streams][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  open_account(process, "bob", "100000000");

  auto stalled = open_stream(process, "/v1/orders/stream?user_id=bob", {}, 1024);
  auto reader = open_stream(process, "/v1/orders/stream?user_id=bob");
  std::atomic<int> target{std::numeric_limits<int>::max()};
  std::vector<SseEvent> received;
  std::thread reading;
  // A failed REQUIRE below must not leave the thread joinable (that would abort).
  struct Joiner {
    std::thread& thread;
    std::atomic<int>& target;
    ~Joiner() {
      if (thread.joinable()) {
        target = 0;
        thread.join();
      }
    }
  } joiner{reading, target};
  reading = std::thread([&] {
    const auto until = std::chrono::steady_clock::now() + 10min;
    while (static_cast<int>(received.size()) < target.load() &&
           std::chrono::steady_clock::now() < until) {
      auto event = reader->next(1s);
      if (!event && reader->ended()) return;
      if (event && event->event != "start") received.push_back(*event);
    }
  });
  // Orders until the stalled subscriber is dropped (its unread events fill the kernel's
  // buffers, then its queue), bounded.
  constexpr int kMaxOrders = 3'000;
  int placed = 0;
  bool dropped = false;
  while (!dropped && placed < kMaxOrders) {
    for (int i = 0; i < 20; ++i, ++placed) place(process, "bob", "AAPL", "BUY", 1, "140.00");
    dropped = metrics_show(process, "bourse_stream_dropped_total 1");
  }
  // The dropped count is noticed between reader polls: give it the time to show.
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (!dropped && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    dropped = metrics_show(process, "bourse_stream_dropped_total 1");
  }
  target = placed;
  reading.join();
  {
    std::string lines;
    const std::string all = process.client().get("/metrics").body;
    std::size_t at = 0;
    while ((at = all.find("\nbourse_stream", at)) != std::string::npos) {
      lines += all.substr(at, all.find('\n', at + 1) - at);
      ++at;
    }
    INFO("stream metrics:" << lines);
    CHECK(dropped);
  }
  INFO("orders placed: " << placed);
  CHECK(static_cast<int>(received.size()) == placed);
  for (const auto& event : received) CHECK(event.event == "order.accepted");
  CHECK(metrics_show(process, "bourse_stream_subscribers 1"));

  // The stalled one was cut off: its connection ends (not cleanly) before all events.
  int events = 0;
  REQUIRE(stalled->read_to_end(kEventTimeout, &events));
  CHECK_FALSE(stalled->clean_end());
  CHECK(events < placed);
}

TEST_CASE("two instances: a subscriber on one sees orders processed by the other, and "
          "resumes on the other",
          "[streams][integration]") {
  BourseEnvironment environment;
  BourseProcess one(environment, {});
  BourseProcess two(environment, {});
  REQUIRE(one.wait_ready());
  REQUIRE(two.wait_ready());
  fund(one, "carol", "sue");

  auto on_two = open_stream(two, "/v1/orders/stream?user_id=carol");
  auto on_one = open_stream(one, "/v1/orders/stream?user_id=carol");
  const int expected = script(one, "carol", "sue");  // entered on instance one
  std::vector<SseEvent> seen_by_two;
  for (int i = 0; i < expected; ++i) seen_by_two.push_back(next_update(*on_two, two));

  // A client of instance one reads 7, then resumes on instance two.
  std::vector<SseEvent> moved;
  for (int i = 0; i < 7; ++i) moved.push_back(next_update(*on_one, one));
  on_one.reset();
  auto resumed = open_stream(two, "/v1/orders/stream?user_id=carol", moved.back().id);
  for (int i = 7; i < expected; ++i) moved.push_back(next_update(*resumed, two));
  // Nothing lost or repeated, every order's events in order; the interleaving of
  // partitions may differ between instances (each reads them at its own pace).
  CHECK(moved.size() == seen_by_two.size());
  CHECK(per_order(moved) == per_order(seen_by_two));
  CHECK_FALSE(resumed->next(1s).has_value());
}

TEST_CASE("market stream: trades without user data, and quotes", "[streams][integration]") {
  BourseProcess process;
  REQUIRE(process.wait_ready());
  fund(process, "dan", "sid");
  auto market = open_stream(process, "/v1/market/AAPL/stream");
  auto initial = market->next(kEventTimeout);
  INFO("ended " << market->ended() << " clean " << market->clean_end());
  REQUIRE(initial);
  CHECK(initial->event == "quote");
  CHECK(json(initial->data).at("best_bid").is_null());

  place(process, "dan", "AAPL", "BUY", 5, "149.00");
  place(process, "sid", "AAPL", "SELL", 2, "149.00");  // trades 2 @ 149; 3 stay bid
  bool saw_trade = false;
  bool saw_bid = false;
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (!(saw_trade && saw_bid) && std::chrono::steady_clock::now() < deadline) {
    auto event = market->next(1s);
    if (!event) continue;
    const auto data = json(event->data);
    if (event->event == "trade") {
      saw_trade = true;
      CHECK(event->id.rfind("v1.", 0) == 0);
      CHECK(data.at("price").as_string() == "149");
      CHECK(data.at("quantity").as_int64() == 2);
      CHECK_FALSE(data.contains("buyer"));
      CHECK(event->data.find("dan") == std::string::npos);
    }
    if (event->event == "quote" && data.at("best_bid").is_object()) {
      saw_bid = data.at("best_bid").as_object().at("quantity").as_int64() == 3;
    }
  }
  CHECK(saw_trade);
  CHECK(saw_bid);
}

TEST_CASE("the subscriber cap answers 503, and SIGTERM ends every stream cleanly",
          "[streams][integration]") {
  BourseProcess process({"--set", "stream.max_subscribers=2"});
  REQUIRE(process.wait_ready());
  auto a = open_stream(process, "/v1/orders/stream?user_id=erin");
  auto b = open_stream(process, "/v1/market/AAPL/stream");
  SseClient refused(process.port(), "/v1/orders/stream?user_id=erin");
  CHECK(refused.status() == 503);
  CHECK(json(refused.body()).at("type").as_string() ==
        "https://bourse.dev/problems/too-many-streams");

  process.process().signal(SIGTERM);
  CHECK(a->read_to_end(30s));
  CHECK(a->clean_end());
  CHECK(b->read_to_end(30s));
  CHECK(b->clean_end());
  CHECK(process.process().wait(30s) == 0);
}
