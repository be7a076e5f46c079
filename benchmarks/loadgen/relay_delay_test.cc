// Goal: loadgen reads the relays' delay histogram as the servers render it, sums it over
// instances, takes the run's share as the difference of two readings, and reports bucket
// bounds as quantiles; lines it cannot use are skipped, never misread.
#include "relay_delay.h"

#include <catch2/catch.hpp>
#include <limits>
#include <vector>

#include "bourse/metrics/registry.h"

using bourse::bench::add_relay_delays;
using bourse::bench::bucket_quantile;
using bourse::bench::DelayBuckets;
using bourse::bench::delays_between;
using bourse::bench::RelayDelays;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The relay's buckets (bourse::outbox::relay_delay_buckets_seconds(), relay.h), restated:
// this test does not link the relay.
const std::vector<double> kRelayBuckets{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                        0.2,   0.5,   1,     2,    5,    10,   30};

bourse::metrics::HistogramFamily& relay_delays(bourse::metrics::Registry& registry) {
  return registry.histogram("bourse_outbox_relay_delay_seconds", "relay delay", {"outbox"},
                            kRelayBuckets);
}

void observe(bourse::metrics::Registry& registry, std::string_view outbox, double seconds,
             int times) {
  for (int i = 0; i < times; ++i) relay_delays(registry).with({outbox}).observe(seconds);
}

}  // namespace

TEST_CASE("relay delays are read from the registry's rendering and summed over instances",
          "[loadgen]") {
  bourse::metrics::Registry first, second;
  observe(first, "order_outbox", 0.0015, 3);
  observe(first, "matching_outbox", 0.04, 1);
  observe(second, "order_outbox", 0.003, 2);
  // Other series of the same outbox are not buckets.
  first.gauge("bourse_outbox_pending_rows", "pending", {"outbox"}).with({"order_outbox"}).set(7);
  RelayDelays delays;
  add_relay_delays(first.render_prometheus(), delays);
  add_relay_delays(second.render_prometheus(), delays);
  REQUIRE(delays.size() == 2);
  const DelayBuckets& orders = delays.at("order_outbox");
  CHECK(orders.size() == kRelayBuckets.size() + 1);  // +Inf
  CHECK(orders.at(0.001) == 0);
  CHECK(orders.at(0.002) == 3);
  CHECK(orders.at(0.005) == 5);
  CHECK(orders.at(30) == 5);
  CHECK(orders.at(kInf) == 5);
  CHECK(delays.at("matching_outbox").at(0.02) == 0);
  CHECK(delays.at("matching_outbox").at(0.05) == 1);
}

TEST_CASE("the run's quantiles are bucket bounds of the difference of two readings",
          "[loadgen]") {
  bourse::metrics::Registry registry;
  observe(registry, "order_outbox", 0.003, 5);  // before the load (the warm-up)
  RelayDelays at_start;
  add_relay_delays(registry.render_prometheus(), at_start);
  observe(registry, "order_outbox", 0.0015, 50);
  observe(registry, "order_outbox", 0.015, 49);
  observe(registry, "order_outbox", 0.3, 1);
  RelayDelays at_end;
  add_relay_delays(registry.render_prometheus(), at_end);

  const RelayDelays run = delays_between(at_start, at_end);
  const DelayBuckets& orders = run.at("order_outbox");
  CHECK(orders.at(kInf) == 100);
  CHECK(bucket_quantile(orders, 0.50) == 0.002);
  CHECK(bucket_quantile(orders, 0.99) == 0.02);
  CHECK(bucket_quantile(orders, 1.0) == 0.5);
  // Without the start's reading the warm-up's rows would move the median.
  CHECK(bucket_quantile(at_end.at("order_outbox"), 0.50) == 0.005);
}

TEST_CASE("a reading that went down counts nothing, a new outbox counts whole", "[loadgen]") {
  const RelayDelays earlier{{"order_outbox", {{0.01, 8}, {kInf, 9}}}};
  const RelayDelays later{{"order_outbox", {{0.01, 2}, {kInf, 12}}},
                          {"account_outbox", {{0.01, 4}, {kInf, 4}}}};
  const RelayDelays between = delays_between(earlier, later);
  CHECK(between.at("order_outbox") == DelayBuckets{{0.01, 0}, {kInf, 3}});
  CHECK(between.at("account_outbox") == DelayBuckets{{0.01, 4}, {kInf, 4}});
}

TEST_CASE("relay delay lines are parsed tolerantly, and unusable ones are skipped",
          "[loadgen]") {
  const std::string page =
      "# HELP bourse_outbox_relay_delay_seconds the relay's delay\n"
      "# TYPE bourse_outbox_relay_delay_seconds histogram\n"
      // labels in another order, a timestamp, another label, spaces and a trailing comma
      "bourse_outbox_relay_delay_seconds_bucket{le=\"0.01\",outbox=\"order_outbox\"} 7 "
      "1700000000000\n"
      "bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\",instance=\"b\","
      "le=\"0.01\"} 1\n"
      "bourse_outbox_relay_delay_seconds_bucket { outbox = \"order_outbox\" , le = \"+Inf\" , } "
      "9\r\n"
      // an escaped quote in a label value
      "bourse_outbox_relay_delay_seconds_bucket{outbox=\"odd\\\"_outbox\",le=\"1\"} 2\n"
      // skipped: no le, no outbox, an unterminated label set, a count that is no number,
      // a bound that is no number, not a bucket
      "bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\"} 4\n"
      "bourse_outbox_relay_delay_seconds_bucket{le=\"0.01\"} 4\n"
      "bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\",le=\"0.02\" 4\n"
      "bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\",le=\"0.02\"} many\n"
      "bourse_outbox_relay_delay_seconds_bucket{outbox=\"order_outbox\",le=\"soon\"} 4\n"
      "bourse_outbox_relay_delay_seconds_count{outbox=\"order_outbox\"} 9\n"
      "\n";
  RelayDelays delays;
  add_relay_delays(page, delays);
  REQUIRE(delays.size() == 2);
  CHECK(delays.at("order_outbox") == DelayBuckets{{0.01, 8}, {kInf, 9}});
  CHECK(delays.at("odd\"_outbox") == DelayBuckets{{1, 2}});
}

TEST_CASE("no observation has no quantile; beyond the last bound it is +Inf", "[loadgen]") {
  CHECK_FALSE(bucket_quantile(DelayBuckets{}, 0.5).has_value());
  CHECK_FALSE(bucket_quantile(DelayBuckets{{0.001, 0}, {kInf, 0}}, 0.5).has_value());
  CHECK(bucket_quantile(DelayBuckets{{0.001, 0}, {30, 0}, {kInf, 2}}, 0.5) == kInf);
  CHECK(bucket_quantile(DelayBuckets{{0.001, 1}, {30, 2}, {kInf, 2}}, 0.5) == 0.001);
}
