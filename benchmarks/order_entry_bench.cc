// Order-entry throughput of a running bourse: how many POST /v1/orders per second are
// accepted (202: committed with their OrderCreated outbox row) over N keep-alive
// connections, and the latency of each.
//
//   order_entry_bench --port P [--host 127.0.0.1] [--connections 32] [--orders 20000]
//
// benchmarks/run_order_entry_bench starts the stack and a Release server, then this.
// Each connection opens its own account with ample cash and sends LIMIT BUY orders of
// 1 AAPL at prices inside the band, one at a time (closed loop). Prints the figures
// and ends with one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 32;
  int orders = 20'000;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--host") options.host = value;
    else if (flag == "--port") options.port = std::stoi(value);
    else if (flag == "--connections") options.connections = std::stoi(value);
    else if (flag == "--orders") options.orders = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if (options.port <= 0 || options.connections < 1 || options.orders < options.connections) {
    std::fprintf(stderr, "usage: order_entry_bench --port P [--connections N] [--orders M]\n");
    std::exit(2);
  }
  return options;
}

std::int64_t percentile(std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const auto run_id = std::chrono::steady_clock::now().time_since_epoch().count();
  const int per_connection = options.orders / options.connections;

  std::vector<std::vector<std::int64_t>> latencies(options.connections);
  std::atomic<int> accepted{0};
  std::atomic<int> failed{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < options.connections; ++c) {
    threads.emplace_back([&, c] {
      bourse::testing::HttpClient client(options.host, static_cast<std::uint16_t>(options.port),
                                         std::chrono::seconds(30));
      const std::string user = "bench" + std::to_string(run_id % 1'000'000'000) + "c" + std::to_string(c);
      auto opened = client.post("/v1/accounts", R"({"user_id":")" + user + R"(","cash":"100000000"})");
      if (opened.status != 201) {
        std::fprintf(stderr, "cannot open account: %d %s\n", opened.status, opened.body.c_str());
        std::exit(1);
      }
      latencies[c].reserve(per_connection);
      ++ready;
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < per_connection; ++i) {
        // Prices 140.00 .. 149.99: inside AAPL's band, spread so the book has depth.
        const int cents = 14'000 + (i * 37 + c * 11) % 1'000;
        const std::string body = R"({"user_id":")" + user +
                                 R"(","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":1,"price":")" +
                                 std::to_string(cents / 100) + "." +
                                 (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100) + R"("})";
        auto start = std::chrono::steady_clock::now();
        auto response = client.post("/v1/orders", body);
        auto elapsed = std::chrono::steady_clock::now() - start;
        if (response.status == 202) {
          ++accepted;
          latencies[c].push_back(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
        } else {
          ++failed;
        }
      }
    });
  }
  while (ready.load() < options.connections) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto started = std::chrono::steady_clock::now();
  go = true;
  for (auto& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<std::int64_t> all;
  for (auto& per : latencies) all.insert(all.end(), per.begin(), per.end());
  std::sort(all.begin(), all.end());
  const double per_second = accepted.load() / seconds;
  std::printf("order entry: %d accepted, %d failed, %d connections, %.2f s\n", accepted.load(),
              failed.load(), options.connections, seconds);
  std::printf("accepted orders/s: %.0f\n", per_second);
  std::printf("latency us: p50 %lld  p99 %lld  p99.9 %lld  max %lld\n",
              static_cast<long long>(percentile(all, 0.50)), static_cast<long long>(percentile(all, 0.99)),
              static_cast<long long>(percentile(all, 0.999)), static_cast<long long>(all.empty() ? 0 : all.back()));
  std::printf("{\"bench\":\"order_entry\", \"connections\":%d, \"accepted\":%d, \"failed\":%d, "
              "\"orders_per_s\":%.0f, \"p50_us\":%lld, \"p99_us\":%lld, \"p999_us\":%lld}\n",
              options.connections, accepted.load(), failed.load(), per_second,
              static_cast<long long>(percentile(all, 0.50)), static_cast<long long>(percentile(all, 0.99)),
              static_cast<long long>(percentile(all, 0.999)));
  return failed.load() == 0 ? 0 : 1;
}
