// Structured logs: one JSON object per line on stderr.
//
//   log::info("order accepted", {{"order_id", 42}, {"symbol", "AAPL"}});
//   -> {"ts":"2026-11-24T17:05:39.123Z","level":"info","msg":"order accepted","order_id":42,"symbol":"AAPL"}
//
// Thread-safe: each line is formatted privately and written with one call. Values are
// JSON-escaped. Secrets must never be passed as fields (config is logged redacted).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace bourse::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct Field {
  using Value = std::variant<std::int64_t, bool, std::string_view, std::string>;
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  std::string_view key;
  Value value;
};

void set_level(Level level);
Level level();
// Parses "debug", "info", "warn", "error".
bool parse_level(std::string_view text, Level& out);

// Formats one line (without the trailing newline); exposed for tests.
std::string format_line(Level level, std::string_view message, std::initializer_list<Field> fields,
                        std::int64_t unix_ms);

void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kDebug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::kError, m, f); }

// Appends `text` to `out` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view text);

}  // namespace bourse::log
