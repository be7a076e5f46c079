// Goal: timestamps are RFC 3339 UTC with exactly six fractional digits, truncated (never
// rounded up), on both sides of the epoch.
#include "bourse/common/timestamp.h"

#include <catch2/catch.hpp>

namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(seconds since_epoch, microseconds micros = microseconds(0)) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(since_epoch) +
                                  std::chrono::duration_cast<system_clock::duration>(micros));
}

}  // namespace

TEST_CASE("timestamps are RFC 3339 UTC with microseconds", "[timestamp]") {
  CHECK(bourse::format_rfc3339_utc(at(seconds(0))) == "1970-01-01T00:00:00.000000Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(1'795'539'939), microseconds(123'456))) ==
        "2026-11-24T17:05:39.123456Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(1'709'251'199), microseconds(999'999))) ==
        "2024-02-29T23:59:59.999999Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(946'598'400 + 86'400), microseconds(1))) ==
        "2000-01-01T00:00:00.000001Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(1'700'000'000), microseconds(123'000))) ==
        "2023-11-14T22:13:20.123000Z");
}

TEST_CASE("sub-microsecond time is truncated toward the past", "[timestamp]") {
  const auto base = at(seconds(1'795'539'939), microseconds(123'456));
  CHECK(bourse::format_rfc3339_utc(base + nanoseconds(999)) == "2026-11-24T17:05:39.123456Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(0)) - microseconds(1)) ==
        "1969-12-31T23:59:59.999999Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(0)) - nanoseconds(1)) ==
        "1969-12-31T23:59:59.999999Z");
  CHECK(bourse::format_rfc3339_utc(at(seconds(-86'400))) == "1969-12-31T00:00:00.000000Z");
}

TEST_CASE("now formats to 27 characters", "[timestamp]") {
  const std::string now = bourse::format_rfc3339_utc(system_clock::now());
  CHECK(now.size() == 27);
  CHECK(now[10] == 'T');
  CHECK(now.back() == 'Z');
}
