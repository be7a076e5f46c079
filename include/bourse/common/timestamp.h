// Timestamps as they leave the process: API fields (created_at, updated_at) and event
// envelopes (occurred_at) share one text form.
#pragma once

#include <chrono>
#include <string>

namespace bourse {

// RFC 3339 in UTC with exactly six fractional digits: "2026-11-24T17:05:39.123456Z".
// Sub-microsecond precision is truncated toward the past (also before 1970), so the text
// never names a later instant than `time`. Pure and thread-safe.
std::string format_rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace bourse
