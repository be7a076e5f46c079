#include "bourse/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "bourse/common/assert.h"

namespace bourse::metrics {
namespace {

bool is_valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

// Truncates to kMaxLabelValueBytes without splitting a UTF-8 sequence.
std::string_view bounded_label_value(std::string_view value) {
  if (value.size() <= kMaxLabelValueBytes) return value;
  std::size_t end = kMaxLabelValueBytes;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return value.substr(0, end);
}

// `{a="x",b="y"}` plus an optional extra label (used for `le`); empty when no labels.
std::string format_labels(const std::vector<std::string>& names,
                          const std::vector<std::string>& values, std::string_view extra_name = {},
                          std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view value) {
  out += name;
  out += suffix;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

// Inserts `le="..."` into an already formatted label set.
std::string with_le(const std::string& labels, std::string_view le) {
  std::string le_pair = "le=\"" + std::string(le) + "\"";
  if (labels.empty()) return "{" + le_pair + "}";
  return labels.substr(0, labels.size() - 1) + "," + le_pair + "}";
}

const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  BOURSE_ASSERT(result.ec == std::errc{}, "to_chars of a double cannot overflow 64 bytes");
  return std::string(buffer, result.ptr);
}

// --- Histogram ---------------------------------------------------------------------

Histogram::Histogram(std::span<const double> upper_bounds)
    : upper_bounds_(upper_bounds.begin(), upper_bounds.end()),
      bucket_counts_(new std::atomic<std::uint64_t>[upper_bounds.size() + 1]) {
  BOURSE_ASSERT(upper_bounds_.size() <= kMaxHistogramBuckets, "too many histogram buckets");
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    BOURSE_ASSERT(std::isfinite(upper_bounds_[i]), "histogram bounds must be finite");
    BOURSE_ASSERT(i == 0 || upper_bounds_[i - 1] < upper_bounds_[i],
                  "histogram bounds must be strictly increasing");
  }
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void Histogram::observe(double value) noexcept {
  // Buckets are few (<= 32): a linear scan beats a binary search on branch prediction.
  std::size_t index = 0;
  while (index < upper_bounds_.size() && value > upper_bounds_[index]) ++index;
  bucket_counts_[index].fetch_add(1, std::memory_order_relaxed);
  if (!std::isnan(value)) sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative_counts.resize(upper_bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts[i] = running;
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

// --- FamilyBase --------------------------------------------------------------------

FamilyBase::FamilyBase(MetricType type, std::string name, std::string help,
                       std::vector<std::string> label_names)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {
  BOURSE_ASSERT(is_valid_metric_name(name_), "invalid Prometheus metric name");
  BOURSE_ASSERT(label_names_.size() <= kMaxLabelNames, "too many label names");
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    BOURSE_ASSERT(is_valid_label_name(label_names_[i]), "invalid Prometheus label name");
    BOURSE_ASSERT(!(type_ == MetricType::kHistogram && label_names_[i] == "le"),
                  "`le` is reserved in histograms");
    for (std::size_t j = 0; j < i; ++j) {
      BOURSE_ASSERT(label_names_[i] != label_names_[j], "duplicate label name");
    }
  }
}

std::size_t FamilyBase::size() const {
  std::lock_guard lock(mutex_);
  return children_.size();
}

void* FamilyBase::find_or_create(std::span<const std::string_view> values) {
  BOURSE_ASSERT(values.size() == label_names_.size(), "wrong number of label values");
  std::vector<std::string> key;
  key.reserve(values.size());
  for (const std::string_view value : values) key.emplace_back(bounded_label_value(value));

  std::lock_guard lock(mutex_);
  if (auto it = children_.find(key); it != children_.end()) return it->second.get();
  // The overflow child is the last slot: with one slot left, only it may take it.
  if (children_.size() + 1 >= kMaxLabelSetsPerFamily && !label_names_.empty()) {
    std::vector<std::string> overflow(label_names_.size(), std::string(kOverflowLabelValue));
    auto& child = children_[std::move(overflow)];
    if (!child) child = make_child();
    return child.get();
  }
  auto& child = children_[std::move(key)];
  child = make_child();
  BOURSE_ASSERT(children_.size() <= kMaxLabelSetsPerFamily, "label set limit exceeded");
  return child.get();
}

void FamilyBase::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
  // Copy the child pointers under the lock, render outside it: updates never wait for a
  // scrape, and a scrape never holds the lock while formatting.
  std::vector<std::pair<std::vector<std::string>, std::shared_ptr<void>>> children;
  {
    std::lock_guard lock(mutex_);
    children.assign(children_.begin(), children_.end());
  }
  for (const auto& [values, child] : children) {
    render_child(out, format_labels(label_names_, values), child.get());
  }
}

// --- Concrete families ----------------------------------------------------------------

std::shared_ptr<void> CounterFamily::make_child() const { return std::make_shared<Counter>(); }

void CounterFamily::render_child(std::string& out, const std::string& labels,
                                 const void* child) const {
  const auto& counter = *static_cast<const Counter*>(child);
  append_sample(out, name(), {}, labels, std::to_string(counter.value()));
}

std::shared_ptr<void> GaugeFamily::make_child() const { return std::make_shared<Gauge>(); }

void GaugeFamily::render_child(std::string& out, const std::string& labels,
                               const void* child) const {
  const auto& gauge = *static_cast<const Gauge*>(child);
  append_sample(out, name(), {}, labels, format_value(gauge.value()));
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds)
    : FamilyBase(MetricType::kHistogram, std::move(name), std::move(help), std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  Histogram validate(upper_bounds_);  // asserts on invalid bounds at registration
}

std::shared_ptr<void> HistogramFamily::make_child() const {
  return std::make_shared<Histogram>(upper_bounds_);
}

void HistogramFamily::render_child(std::string& out, const std::string& labels,
                                   const void* child) const {
  const auto snapshot = static_cast<const Histogram*>(child)->snapshot();
  for (std::size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
    append_sample(out, name(), "_bucket", with_le(labels, format_value(snapshot.upper_bounds[i])),
                  std::to_string(snapshot.cumulative_counts[i]));
  }
  append_sample(out, name(), "_bucket", with_le(labels, "+Inf"), std::to_string(snapshot.count));
  append_sample(out, name(), "_sum", labels, format_value(snapshot.sum));
  append_sample(out, name(), "_count", labels, std::to_string(snapshot.count));
}

// --- Registry ----------------------------------------------------------------------------

FamilyBase& Registry::find_or_add(std::string_view name, std::unique_ptr<FamilyBase> candidate) {
  std::lock_guard lock(mutex_);
  if (auto it = families_.find(name); it != families_.end()) {
    FamilyBase& existing = *it->second;
    BOURSE_ASSERT(existing.type() == candidate->type(),
                  "metric registered twice with another type");
    BOURSE_ASSERT(existing.label_names() == candidate->label_names(),
                  "metric registered twice with other labels");
    if (existing.type() == MetricType::kHistogram) {
      BOURSE_ASSERT(static_cast<HistogramFamily&>(existing).upper_bounds() ==
                        static_cast<HistogramFamily&>(*candidate).upper_bounds(),
                    "histogram registered twice with other buckets");
    }
    return existing;
  }
  auto& slot = families_[std::string(name)];
  slot = std::move(candidate);
  return *slot;
}

CounterFamily& Registry::counter(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names) {
  return static_cast<CounterFamily&>(
      find_or_add(name, std::make_unique<CounterFamily>(std::string(name), std::string(help),
                                                        std::move(label_names))));
}

GaugeFamily& Registry::gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names) {
  return static_cast<GaugeFamily&>(find_or_add(
      name,
      std::make_unique<GaugeFamily>(std::string(name), std::string(help), std::move(label_names))));
}

HistogramFamily& Registry::histogram(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> upper_bounds) {
  return static_cast<HistogramFamily&>(find_or_add(
      name, std::make_unique<HistogramFamily>(std::string(name), std::string(help),
                                              std::move(label_names), std::move(upper_bounds))));
}

std::string Registry::render_prometheus() const {
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lock(mutex_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  // Families are never removed, so the pointers outlive the lock.
  std::string out;
  for (const FamilyBase* family : families) family->render(out);
  return out;
}

}  // namespace bourse::metrics
