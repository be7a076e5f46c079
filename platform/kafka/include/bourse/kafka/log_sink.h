// Where librdkafka's log lines and client errors go: structured records, never raw text.
//
// librdkafka logs from its own internal threads (broker, main, consumer threads) as well
// as from whichever thread serves a handle's queue, so a LogSink is called concurrently
// from many threads and must be thread-safe. It must not block for long and must not call
// back into the Kafka handle that is logging (that can deadlock inside librdkafka).
// The default sink writes one JSON object per line to stderr in the same shape as
// platform/log (ts, level in debug|info|warn|error, msg). The composition root may
// instead route records into bourse::log with a LogSink of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace bourse::kafka {

// Severity, syslog numbering as librdkafka uses it (0 emergency .. 7 debug).
enum class LogLevel { kError, kWarning, kInfo, kDebug };

// Maps a syslog level (0..7) to a LogLevel: 0-3 error, 4 warning, 5-6 info, 7 debug.
LogLevel log_level_from_syslog(int syslog_level) noexcept;
const char* to_string(LogLevel level) noexcept;

struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  std::string client_id;  // KafkaConfig::client_id of the handle that logged
  std::string facility;   // librdkafka's facility ("FAIL", "REQTMOUT", ...) or ours ("ERROR")
  std::string message;
};

using LogSink = std::function<void(const LogRecord&)>;

// One JSON object, no trailing newline:
// {"ts":"2024-05-01T12:00:00.123Z","level":"warn","logger":"kafka","client":"...",
//  "facility":"...","msg":"..."}
// Every string is escaped per RFC 8259, so a record is always exactly one line.
std::string format_json_line(const LogRecord& record, std::int64_t unix_time_ms);

// The default sink: format_json_line(record, now) + '\n' written to stderr with a single
// write so concurrent records do not interleave. Thread-safe.
LogSink stderr_json_sink();

}  // namespace bourse::kafka
