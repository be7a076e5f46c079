// RFC 3339 timestamps as the API and the events show them. Pure; thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace bourse {

// UTC with microseconds: "2026-11-24T17:05:39.123456Z".
std::string format_rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace bourse
