// Goal: the latency histogram's percentiles are within its stated precision (1/64) of the
// exact ones, never below them, and merging equals recording into one.
#include "histogram.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <vector>

using bourse::bench::LatencyHistogram;

TEST_CASE("percentiles are exact-or-above within 1/64", "[loadgen]") {
  std::mt19937_64 random(5);
  std::lognormal_distribution<double> distribution(8.0, 1.5);  // ~3 ms median, long tail
  std::vector<std::int64_t> values;
  LatencyHistogram histogram;
  for (int i = 0; i < 100'000; ++i) {
    const auto value = static_cast<std::int64_t>(distribution(random));
    values.push_back(value);
    histogram.record_us(value);
  }
  std::sort(values.begin(), values.end());
  for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1));
    const double exact_ms = static_cast<double>(values[index]) / 1000.0;
    const double reported = histogram.percentile_ms(p);
    INFO("p" << p << " exact " << exact_ms << " reported " << reported);
    CHECK(reported >= exact_ms);
    CHECK(reported <= exact_ms * (1.0 + 1.0 / 64) + 0.001);
  }
  CHECK(histogram.max_ms() == static_cast<double>(values.back()) / 1000.0);
  CHECK(histogram.count() == values.size());
}

TEST_CASE("merging two histograms equals recording into one", "[loadgen]") {
  LatencyHistogram a, b, both;
  for (std::int64_t v = 0; v < 5'000'000; v += 977) {
    (v % 2 == 0 ? a : b).record_us(v);
    both.record_us(v);
  }
  a.merge(b);
  for (double p : {1.0, 50.0, 99.0}) CHECK(a.percentile_ms(p) == both.percentile_ms(p));
  CHECK(a.count() == both.count());
  LatencyHistogram empty;
  CHECK(empty.percentile_ms(99) == 0.0);
  empty.record_us(-5);  // clock skew: counted as 0
  CHECK(empty.percentile_ms(50) == 0.0);
}
