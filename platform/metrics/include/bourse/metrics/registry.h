// A thread-safe Prometheus metrics registry shared by every module.
//
// A Registry owns metric families (counter, gauge, histogram), each with a fixed list of
// label names declared at registration. A family hands out children, one per combination
// of label values; a child is the hot-path object (a few atomics) and its address is
// stable for the life of the Registry, so callers look it up once and keep the reference:
//
//   auto& lag = registry.gauge("bourse_outbox_lag_events", "Unpublished outbox rows",
//                              {"topic"});
//   metrics::Gauge& orders_lag = lag.with({"orders"});   // once, at start-up
//   orders_lag.set(42);                                   // hot path: one atomic store
//
// Bounded memory: a family holds at most kMaxLabelSetsPerFamily children. Past that, every
// new combination shares one overflow child whose label values are all kOverflowLabelValue,
// so a client hitting random URLs cannot grow memory without bound (and the overflow shows
// in the scrape). Label values longer than kMaxLabelValueBytes are truncated. Callers must
// still label with bounded vocabularies (the route pattern, never the raw path).
//
// Thread-safety: everything is safe to call from any thread. Child updates are lock-free
// (relaxed atomics); with() takes the family's mutex; registration takes the registry's
// mutex; render_prometheus() takes each mutex in turn and never blocks updates.
//
// Misuse that is a programming error (invalid metric or label name, the same name
// registered twice with a different type, labels or buckets, the wrong number of label
// values) asserts: it happens at start-up or in tests, never because of client input.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bourse::metrics {

// Children per family. The HTTP request counter is the largest user: ~20 routes x ~5
// methods x ~10 statuses stays well below; anything past this is a labelling bug or an
// attack and lands in the overflow child.
inline constexpr std::size_t kMaxLabelSetsPerFamily = 2'000;
// Longest label value kept; longer values are truncated (they are bounded vocabularies).
inline constexpr std::size_t kMaxLabelValueBytes = 128;
// Label names per family.
inline constexpr std::size_t kMaxLabelNames = 8;
// Finite bucket bounds per histogram (+Inf is implicit).
inline constexpr std::size_t kMaxHistogramBuckets = 32;
// The label value of the shared child that absorbs combinations past the limit.
inline constexpr std::string_view kOverflowLabelValue = "__overflow__";

// Latency buckets in seconds: 0.5 ms .. 10 s.
inline const std::vector<double>& default_latency_buckets_seconds();

// A monotonically increasing integer count (Prometheus `counter`).
class Counter {
 public:
  void inc(std::uint64_t amount = 1) noexcept {
    value_.fetch_add(amount, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (Prometheus `gauge`).
class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) noexcept { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted in fixed buckets (Prometheus `histogram`). Bucket counts are
// stored per bucket and made cumulative at render time; `_count` is the sum of the
// buckets, so a scrape is always self-consistent for `_count` and `+Inf`.
class Histogram {
 public:
  // REQUIRES: bounds strictly increasing, finite, at most kMaxHistogramBuckets.
  explicit Histogram(std::span<const double> upper_bounds);

  void observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> upper_bounds;              // finite bounds, ascending
    std::vector<std::uint64_t> cumulative_counts;  // size upper_bounds.size() + 1 (+Inf last)
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> bucket_counts_;  // upper_bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its label names and its children. Not used directly: see
// CounterFamily, GaugeFamily, HistogramFamily.
class FamilyBase {
 public:
  FamilyBase(MetricType type, std::string name, std::string help,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  MetricType type() const noexcept { return type_; }
  const std::string& name() const noexcept { return name_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  // Children currently held, overflow included.
  std::size_t size() const;

  // Appends HELP, TYPE and one line per sample.
  void render(std::string& out) const;

 protected:
  // Returns the child for these values, creating it (or falling back to the overflow
  // child) as needed. REQUIRES: values.size() == label_names().size().
  void* find_or_create(std::span<const std::string_view> values);
  virtual std::shared_ptr<void> make_child() const = 0;
  virtual void render_child(std::string& out, const std::string& labels,
                            const void* child) const = 0;

 private:
  const MetricType type_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::shared_ptr<void>> children_;  // guarded by mutex_
};

class CounterFamily final : public FamilyBase {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : FamilyBase(MetricType::kCounter, std::move(name), std::move(help), std::move(label_names)) {
  }
  // REQUIRES: one value per label name, in declaration order.
  Counter& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Counter& with(std::span<const std::string_view> values) {
    return *static_cast<Counter*>(find_or_create(values));
  }

 private:
  std::shared_ptr<void> make_child() const override;
  void render_child(std::string& out, const std::string& labels, const void* child) const override;
};

class GaugeFamily final : public FamilyBase {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : FamilyBase(MetricType::kGauge, std::move(name), std::move(help), std::move(label_names)) {}
  Gauge& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Gauge& with(std::span<const std::string_view> values) {
    return *static_cast<Gauge*>(find_or_create(values));
  }

 private:
  std::shared_ptr<void> make_child() const override;
  void render_child(std::string& out, const std::string& labels, const void* child) const override;
};

class HistogramFamily final : public FamilyBase {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> upper_bounds);
  Histogram& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Histogram& with(std::span<const std::string_view> values) {
    return *static_cast<Histogram*>(find_or_create(values));
  }
  const std::vector<double>& upper_bounds() const noexcept { return upper_bounds_; }

 private:
  std::shared_ptr<void> make_child() const override;
  void render_child(std::string& out, const std::string& labels, const void* child) const override;
  const std::vector<double> upper_bounds_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers a family or returns the existing one with the same name. Registering the
  // same name again with another type, other labels or other buckets asserts.
  // REQUIRES: name matches [a-zA-Z_:][a-zA-Z0-9_:]*; label names match
  // [a-zA-Z_][a-zA-Z0-9_]*, do not start with "__", and a histogram has no "le" label.
  CounterFamily& counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names,
                             std::vector<double> upper_bounds = default_latency_buckets_seconds());

  // Prometheus text exposition format 0.0.4 (Content-Type kContentType), families sorted
  // by name, children sorted by label values.
  std::string render_prometheus() const;
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  FamilyBase& find_or_add(std::string_view name, std::unique_ptr<FamilyBase> candidate);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>, std::less<>> families_;  // guarded by mutex_
};

// Text helpers, exposed for tests and for adapters that render their own samples.
// Escapes \, " and newline in a label value.
std::string escape_label_value(std::string_view value);
// Escapes \ and newline in HELP text.
std::string escape_help(std::string_view text);
// A sample value: shortest round-trip decimal, or +Inf, -Inf, NaN.
std::string format_value(double value);

inline const std::vector<double>& default_latency_buckets_seconds() {
  static const std::vector<double> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  return buckets;
}

}  // namespace bourse::metrics
