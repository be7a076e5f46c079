// The relay hops of loadgen, from the relays' own histogram: for every row it publishes, a
// relay observes the time from the row's insert (created_at, the database's clock) to the
// broker's acknowledgement in bourse_outbox_relay_delay_seconds{outbox="<table>"}
// (modules/outbox/README.md). Outbox rows keep no publication time of their own, so this
// is the only place the hop can be read from. loadgen reads the buckets of every instance
// when the load starts and when everything is final; their difference is what the run's
// rows took. Its quantiles are bucket upper bounds: a p99 of 20 ms says "at most 20 ms",
// nothing finer than the relay's buckets (1 ms to 30 s).
//
// Pure: no I/O (tested in relay_delay_test.cc).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bourse::bench {

// The histogram's bucket samples in the Prometheus text format.
inline constexpr std::string_view kRelayDelayBucketSample =
    "bourse_outbox_relay_delay_seconds_bucket";

// One histogram: bucket upper bound in seconds (+Inf included, it sorts last) -> cumulative
// count of the observations at or below it.
using DelayBuckets = std::map<double, double>;
// Outbox table -> its histogram.
using RelayDelays = std::map<std::string, DelayBuckets, std::less<>>;

// One sample line of the Prometheus text format: `name{label="value",...} value [timestamp]`.
struct PrometheusSample {
  std::string name;
  std::map<std::string, std::string, std::less<>> labels;
  double value = 0;
};

// A number as the text format writes it ("12", "0.005", "1e3", "+Inf", "NaN"); nullopt
// for anything else.
inline std::optional<double> parse_sample_value(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

// Parses one line; nullopt for a comment, a blank line or anything malformed. Tolerant of
// what the format allows and the registry does not write: spaces around the label set and
// its separators, a trailing comma, escapes in label values, a timestamp after the value.
inline std::optional<PrometheusSample> parse_sample(std::string_view line) {
  const auto skip_blanks = [&line] {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  };
  skip_blanks();
  if (line.empty() || line.front() == '#') return std::nullopt;
  PrometheusSample sample;
  const std::size_t name_end = std::min(line.find_first_of("{ \t"), line.size());
  if (name_end == 0) return std::nullopt;
  sample.name = std::string(line.substr(0, name_end));
  line.remove_prefix(name_end);
  skip_blanks();
  if (!line.empty() && line.front() == '{') {
    line.remove_prefix(1);
    for (;;) {
      skip_blanks();
      if (line.empty()) return std::nullopt;
      if (line.front() == '}') {
        line.remove_prefix(1);
        break;
      }
      const std::size_t equals = line.find('=');
      if (equals == std::string_view::npos) return std::nullopt;
      std::string_view label = line.substr(0, equals);
      while (!label.empty() && (label.back() == ' ' || label.back() == '\t')) {
        label.remove_suffix(1);
      }
      if (label.empty()) return std::nullopt;
      line.remove_prefix(equals + 1);
      skip_blanks();
      if (line.empty() || line.front() != '"') return std::nullopt;
      line.remove_prefix(1);
      std::string value;
      for (;;) {
        if (line.empty()) return std::nullopt;  // unterminated value
        const char c = line.front();
        line.remove_prefix(1);
        if (c == '"') break;
        if (c == '\\') {
          if (line.empty()) return std::nullopt;
          value += line.front() == 'n' ? '\n' : line.front();
          line.remove_prefix(1);
        } else {
          value += c;
        }
      }
      sample.labels[std::string(label)] = std::move(value);
      skip_blanks();
      if (!line.empty() && line.front() == ',') line.remove_prefix(1);
    }
    skip_blanks();
  }
  const std::size_t value_end = std::min(line.find_first_of(" \t\r"), line.size());
  const auto value = parse_sample_value(line.substr(0, value_end));
  if (!value) return std::nullopt;
  sample.value = *value;
  return sample;
}

// Calls `use(sample)` for every sample line of a /metrics page that parses (parse_sample),
// in order; comments, blank and malformed lines are skipped.
template <typename Use>
void for_each_sample(std::string_view page, Use use) {
  while (!page.empty()) {
    const std::size_t end = std::min(page.find('\n'), page.size());
    const auto sample = parse_sample(page.substr(0, end));
    page.remove_prefix(std::min(end + 1, page.size()));
    if (sample) use(*sample);
  }
}

// Adds the relay delay buckets of one /metrics page to `into`, summed per outbox and bound,
// so that the pages of several instances add up. Other lines are ignored, and so are
// bucket samples without an `outbox` or a numeric `le` label, and NaN counts.
inline void add_relay_delays(std::string_view page, RelayDelays& into) {
  for_each_sample(page, [&into](const PrometheusSample& sample) {
    if (sample.name != kRelayDelayBucketSample) return;
    const auto outbox = sample.labels.find("outbox");
    const auto le = sample.labels.find("le");
    if (outbox == sample.labels.end() || le == sample.labels.end()) return;
    const auto bound = parse_sample_value(le->second);
    if (!bound || std::isnan(*bound) || std::isnan(sample.value)) return;
    into[outbox->second][*bound] += sample.value;
  });
}

// What was observed between two readings: `later` minus `earlier`, bucket by bucket. A
// bucket that went down (an instance restarted in between) counts 0.
inline RelayDelays delays_between(const RelayDelays& earlier, const RelayDelays& later) {
  RelayDelays between;
  for (const auto& [outbox, buckets] : later) {
    const auto before = earlier.find(outbox);
    DelayBuckets& out = between[outbox];
    for (const auto& [bound, count] : buckets) {
      double was = 0;
      if (before != earlier.end()) {
        const auto bucket = before->second.find(bound);
        if (bucket != before->second.end()) was = bucket->second;
      }
      out[bound] = std::max(0.0, count - was);
    }
  }
  return between;
}

// The upper bound (seconds) of the first bucket whose cumulative count reaches the
// quantile q (0..1] of all observations: +Inf when only the +Inf bucket does; nullopt
// when nothing was observed.
inline std::optional<double> bucket_quantile(const DelayBuckets& buckets, double q) {
  double total = 0;
  for (const auto& [bound, count] : buckets) total = std::max(total, count);
  if (total <= 0) return std::nullopt;
  const double rank = std::max(1.0, std::ceil(q * total));
  for (const auto& [bound, count] : buckets) {
    if (count >= rank) return bound;
  }
  return buckets.rbegin()->first;
}

}  // namespace bourse::bench
