// Helpers shared by the single-file benchmarks (parse_cost_bench, handoff_cost_bench,
// outbox_cost_bench): "--flag N" arguments and the median of repeated runs.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace bourse::bench {

// One integer flag: its name ("--rounds") and where its value goes.
struct IntFlag {
  std::string_view name;
  int* value;
};

// Reads argv[1..] as "--flag N" pairs into `flags`. Returns false, after printing why to
// stderr, on an unknown flag, a flag without a value or a value that is not an integer;
// the caller checks the ranges.
inline bool parse_int_flags(std::string_view program, int argc, char** argv,
                            std::initializer_list<IntFlag> flags) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view name = argv[i];
    const auto flag = std::find_if(flags.begin(), flags.end(), [&](const IntFlag& candidate) {
      return candidate.name == name;
    });
    if (flag == flags.end() || i + 1 >= argc) {
      std::fprintf(stderr, "%.*s: unknown flag or missing value: %.*s\n",
                   static_cast<int>(program.size()), program.data(),
                   static_cast<int>(name.size()), name.data());
      return false;
    }
    const std::string_view text = argv[i + 1];
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *flag->value);
    if (error != std::errc{} || end != text.data() + text.size()) {
      std::fprintf(stderr, "%.*s: %.*s needs an integer, not %.*s\n",
                   static_cast<int>(program.size()), program.data(),
                   static_cast<int>(name.size()), name.data(), static_cast<int>(text.size()),
                   text.data());
      return false;
    }
  }
  return true;
}

// The median of `values` (the upper middle one of an even count). REQUIRES: !values.empty().
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace bourse::bench
