// Goal: event timestamps parse to the exact instant format_rfc3339_utc wrote, and
// anything else is refused.
#include "utc_timestamp.h"

#include <catch2/catch.hpp>

#include "bourse/common/timestamp.h"

namespace bourse::order {

TEST_CASE("RFC 3339 UTC timestamps round-trip to the microsecond", "[order][unit]") {
  const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
  auto parsed = parse_rfc3339_utc(format_rfc3339_utc(now));
  REQUIRE(parsed.ok());
  CHECK(*parsed == now);
  auto epoch = parse_rfc3339_utc("1970-01-01T00:00:01.5Z");
  REQUIRE(epoch.ok());
  CHECK(epoch->time_since_epoch().count() == 1'500'000);
  auto whole = parse_rfc3339_utc("2026-11-24T17:05:39Z");
  REQUIRE(whole.ok());
  CHECK(format_rfc3339_utc(std::chrono::system_clock::time_point(*whole)) ==
        "2026-11-24T17:05:39.000000Z");
}

TEST_CASE("malformed timestamps are refused", "[order][unit]") {
  for (const char* bad :
       {"", "2026-11-24", "2026-11-24 17:05:39Z", "2026-11-24T17:05:39", "2026-11-24T17:05:39+01:00",
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-24T24:00:00Z",
        "2026-11-24T17:05:39.1234567Z", "2026-11-24T17:05:39.Z", "2026-11-24T17:05:39,5Z",
        "1969-12-31T23:59:59Z", "2026-1a-24T17:05:39Z"}) {
    INFO(bad);
    auto parsed = parse_rfc3339_utc(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().reason == "invalid_timestamp");
  }
}

}  // namespace bourse::order
