// Goal: prove the registry renders valid Prometheus 0.0.4 text, keeps label sets bounded
// and counts correctly under concurrent updates.
#include "bourse/metrics/registry.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace bourse::metrics {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("counter with labels renders HELP, TYPE and one sample per label set", "[metrics]") {
  Registry registry;
  auto& requests =
      registry.counter("bourse_test_requests_total", "Requests served", {"route", "status"});
  requests.with({"/v1/orders", "202"}).inc();
  requests.with({"/v1/orders", "202"}).inc(2);
  requests.with({"/v1/orders/{id}", "404"}).inc();

  const std::string text = registry.render_prometheus();
  CHECK(contains(text, "# HELP bourse_test_requests_total Requests served\n"));
  CHECK(contains(text, "# TYPE bourse_test_requests_total counter\n"));
  CHECK(contains(text, "bourse_test_requests_total{route=\"/v1/orders\",status=\"202\"} 3\n"));
  CHECK(contains(text, "bourse_test_requests_total{route=\"/v1/orders/{id}\",status=\"404\"} 1\n"));
}

TEST_CASE("a child reference is stable and shared between lookups", "[metrics]") {
  Registry registry;
  auto& family = registry.gauge("bourse_test_lag", "Lag", {"topic"});
  Gauge& first = family.with({"orders"});
  for (int i = 0; i < 100; ++i) family.with({std::to_string(i)});
  Gauge& again = family.with({"orders"});
  CHECK(&first == &again);
  first.set(5);
  first.inc(2.5);
  first.dec(0.5);
  CHECK(again.value() == 7.0);
}

TEST_CASE("unlabelled metrics render without braces", "[metrics]") {
  Registry registry;
  registry.gauge("bourse_test_up", "Up").with({}).set(1);
  registry.counter("bourse_test_events_total", "Events").with({}).inc(7);
  const std::string text = registry.render_prometheus();
  CHECK(contains(text, "\nbourse_test_up 1\n"));
  CHECK(contains(text, "\nbourse_test_events_total 7\n"));
}

TEST_CASE("registering the same name twice returns the same family", "[metrics]") {
  Registry registry;
  auto& a = registry.counter("bourse_test_total", "x", {"a"});
  auto& b = registry.counter("bourse_test_total", "x", {"a"});
  CHECK(&a == &b);
}

TEST_CASE("label values and help text are escaped", "[metrics]") {
  Registry registry;
  registry.counter("bourse_test_escape_total", "Back\\slash and\nnewline", {"path"})
      .with({"a\"b\\c\nd"})
      .inc();
  const std::string text = registry.render_prometheus();
  CHECK(contains(text, "# HELP bourse_test_escape_total Back\\\\slash and\\nnewline\n"));
  CHECK(contains(text, "bourse_test_escape_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_CASE("histogram renders cumulative buckets, +Inf, sum and count", "[metrics]") {
  Registry registry;
  auto& latency =
      registry.histogram("bourse_test_duration_seconds", "Latency", {"route"}, {0.1, 0.5, 1.0});
  Histogram& h = latency.with({"/x"});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.3);
  h.observe(2.0);

  const std::string text = registry.render_prometheus();
  CHECK(contains(text, "# TYPE bourse_test_duration_seconds histogram\n"));
  CHECK(contains(text, "bourse_test_duration_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"));
  CHECK(contains(text, "bourse_test_duration_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n"));
  CHECK(contains(text, "bourse_test_duration_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"));
  CHECK(contains(text, "bourse_test_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"));
  CHECK(contains(text, "bourse_test_duration_seconds_sum{route=\"/x\"} 2.45\n"));
  CHECK(contains(text, "bourse_test_duration_seconds_count{route=\"/x\"} 4\n"));
}

TEST_CASE("unlabelled histogram puts le alone in braces", "[metrics]") {
  Registry registry;
  registry.histogram("bourse_test_h", "h", {}, {1.0}).with({}).observe(0.5);
  const std::string text = registry.render_prometheus();
  CHECK(contains(text, "bourse_test_h_bucket{le=\"1\"} 1\n"));
  CHECK(contains(text, "bourse_test_h_bucket{le=\"+Inf\"} 1\n"));
  CHECK(contains(text, "bourse_test_h_count 1\n"));
}

TEST_CASE("label combinations past the limit share one overflow child", "[metrics]") {
  Registry registry;
  auto& family = registry.counter("bourse_test_bounded_total", "Bounded", {"route"});
  for (std::size_t i = 0; i < kMaxLabelSetsPerFamily * 3; ++i) {
    family.with({"/random/" + std::to_string(i)}).inc();
  }
  CHECK(family.size() == kMaxLabelSetsPerFamily);
  const std::string text = registry.render_prometheus();
  const std::string overflow_line = "bourse_test_bounded_total{route=\"__overflow__\"} " +
                                    std::to_string(kMaxLabelSetsPerFamily * 2 + 1) + "\n";
  CHECK(contains(text, overflow_line));
  // Existing children keep counting normally.
  family.with({"/random/0"}).inc();
  CHECK(family.with({"/random/0"}).value() == 2);
}

TEST_CASE("long label values are truncated", "[metrics]") {
  Registry registry;
  auto& family = registry.counter("bourse_test_long_total", "Long", {"v"});
  Counter& a = family.with({std::string(1000, 'a')});
  Counter& b = family.with({std::string(kMaxLabelValueBytes, 'a')});
  CHECK(&a == &b);
}

TEST_CASE("concurrent increments are all counted", "[metrics]") {
  Registry registry;
  auto& family = registry.counter("bourse_test_concurrent_total", "c", {"t"});
  auto& histogram = registry.histogram("bourse_test_concurrent_seconds", "h", {});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        family.with({"same"}).inc();
        histogram.with({}).observe(0.001);
        if (i % 1000 == 0) (void)registry.render_prometheus();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(family.with({"same"}).value() == kThreads * kPerThread);
  CHECK(histogram.with({}).snapshot().count == kThreads * kPerThread);
}

TEST_CASE("values are formatted the Prometheus way", "[metrics]") {
  CHECK(format_value(1.0) == "1");
  CHECK(format_value(0.005) == "0.005");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("families render sorted by name", "[metrics]") {
  Registry registry;
  registry.counter("bourse_b_total", "b").with({}).inc();
  registry.counter("bourse_a_total", "a").with({}).inc();
  const std::string text = registry.render_prometheus();
  CHECK(text.find("bourse_a_total") < text.find("bourse_b_total"));
}

}  // namespace
}  // namespace bourse::metrics
