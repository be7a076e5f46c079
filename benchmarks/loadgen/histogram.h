// A latency histogram in the spirit of HdrHistogram: log-linear buckets with a fixed
// relative precision (1/kSubBuckets ~ 1.6 %) from 1 microsecond to 2^38 us (~76 hours), constant
// memory, O(1) record, mergeable. Values above the range are counted in the top bucket
// (and max() still reports them exactly).
//
// Thread-safety: none; keep one per thread and merge().
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace bourse::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 6;                   // 64 sub-buckets per power of 2
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kMagnitudes = 33;                     // up to 2^32 us + the linear range
  static constexpr int kBuckets = kMagnitudes * kSubBuckets;

  void record_us(std::int64_t micros) {
    const std::uint64_t value = micros < 0 ? 0 : static_cast<std::uint64_t>(micros);
    ++counts_[static_cast<std::size_t>(index_of(value))];
    ++count_;
    max_ = std::max(max_, value);
    sum_ += value;
  }

  void merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
  }

  std::uint64_t count() const { return count_; }
  double max_ms() const { return static_cast<double>(max_) / 1000.0; }
  double mean_ms() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_) / 1000.0;
  }

  // The value at percentile p (0..100) in milliseconds: the upper edge of the bucket that
  // holds it (never under-reports), capped at the exact max.
  double percentile_ms(double p) const {
    if (count_ == 0) return 0.0;
    const auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[static_cast<std::size_t>(i)];
      if (seen >= rank) {
        return static_cast<double>(std::min(upper_edge(i), max_)) / 1000.0;
      }
    }
    return max_ms();
  }

 private:
  // Values below kSubBuckets map one to one; magnitude m >= 1 holds [2^(m+5), 2^(m+6)) in
  // 64 equal steps of 2^(m-1), so a bucket's width is at most 1/64 of its values.
  static int index_of(std::uint64_t value) {
    if (value < static_cast<std::uint64_t>(kSubBuckets)) return static_cast<int>(value);
    const int magnitude = std::bit_width(value) - kSubBucketBits;  // >= 1
    if (magnitude >= kMagnitudes) return kBuckets - 1;
    const auto sub = static_cast<int>(value >> (magnitude - 1)) - kSubBuckets;  // 0..63
    return magnitude * kSubBuckets + sub;
  }
  static std::uint64_t upper_edge(int index) {
    const int magnitude = index / kSubBuckets;
    const int sub = index % kSubBuckets;
    if (magnitude == 0) return static_cast<std::uint64_t>(sub);
    return (static_cast<std::uint64_t>(kSubBuckets + sub + 1) << (magnitude - 1)) - 1;
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace bourse::bench
