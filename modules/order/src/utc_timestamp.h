// Parsing the RFC 3339 UTC timestamps that events carry ("2026-11-24T17:05:39.123456Z",
// as bourse::format_rfc3339_utc writes them). Pure and thread-safe.
#pragma once

#include <chrono>
#include <string_view>

#include "bourse/common/error.h"

namespace bourse::order {

using Microseconds = std::chrono::sys_time<std::chrono::microseconds>;

// "YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z" (upper-case T and Z, years 1970..9999) as an instant.
// Errors: kMalformed "invalid_timestamp" for anything else, including impossible dates
// (2026-02-30) and offsets other than Z.
Result<Microseconds> parse_rfc3339_utc(std::string_view text);

}  // namespace bourse::order
