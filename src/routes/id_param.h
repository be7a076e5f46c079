// Path and query parameters that carry a numeric id (order ids, trade ids, cursors).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bourse::routes {

// A positive decimal int64 with nothing else around it ("42"; not "+42", "042" is fine).
inline std::optional<std::int64_t> parse_positive_id(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace bourse::routes
