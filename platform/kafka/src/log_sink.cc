#include "bourse/kafka/log_sink.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace bourse::kafka {
namespace {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xf]);
        } else {
          out.push_back(c);  // UTF-8 passes through unchanged
        }
    }
  }
  out.push_back('"');
}

void append_utc_timestamp(std::string& out, std::int64_t unix_time_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_time_ms / 1000);
  const int millis = static_cast<int>(unix_time_ms % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const int n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, millis < 0 ? 0 : millis);
  out.append(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace

LogLevel log_level_from_syslog(int syslog_level) noexcept {
  if (syslog_level <= 3) return LogLevel::kError;
  if (syslog_level == 4) return LogLevel::kWarning;
  if (syslog_level <= 6) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warn";  // the spelling platform/log uses
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

std::string format_json_line(const LogRecord& record, std::int64_t unix_time_ms) {
  std::string line;
  line.reserve(96 + record.message.size());
  line += "{\"ts\":\"";
  append_utc_timestamp(line, unix_time_ms);
  line += "\",\"level\":\"";
  line += to_string(record.level);
  line += "\",\"logger\":\"kafka\",\"client\":";
  append_json_string(line, record.client_id);
  line += ",\"facility\":";
  append_json_string(line, record.facility);
  line += ",\"msg\":";
  append_json_string(line, record.message);
  line += '}';
  return line;
}

LogSink stderr_json_sink() {
  return [](const LogRecord& record) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    std::string line = format_json_line(
        record, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    line.push_back('\n');
    // One write(2) per record: lines from concurrent threads never interleave. A short
    // write to stderr is not worth retrying for a log line.
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
  };
}

}  // namespace bourse::kafka
