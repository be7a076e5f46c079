#include "utc_timestamp.h"

#include <string>

namespace bourse::order {
namespace {

Error invalid(std::string_view text) {
  return Error{ErrorCode::kMalformed,
               "not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]Z): " +
                   std::string(text.substr(0, 64)),
               "invalid_timestamp"};
}

// `count` decimal digits at `position`, or -1.
int digits(std::string_view text, std::size_t position, std::size_t count) {
  if (position + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = position; i < position + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

Result<Microseconds> parse_rfc3339_utc(std::string_view text) {
  // Fixed part: "YYYY-MM-DDTHH:MM:SS" (19 characters), then an optional fraction, then Z.
  if (text.size() < 20 || text.size() > 27 || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':' || text.back() != 'Z') {
    return invalid(text);
  }
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (year < 1970 || month < 1 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59) {
    return invalid(text);
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return invalid(text);
  long long micros = 0;
  const std::size_t fraction_end = text.size() - 1;  // the Z
  if (fraction_end > 19) {
    const std::size_t fraction_digits = fraction_end - 20;
    if (text[19] != '.' || fraction_digits < 1 || fraction_digits > 6) return invalid(text);
    const int fraction = digits(text, 20, fraction_digits);
    if (fraction < 0) return invalid(text);
    micros = fraction;
    for (std::size_t i = fraction_digits; i < 6; ++i) micros *= 10;
  }
  return Microseconds(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) +
         std::chrono::microseconds(micros);
}

}  // namespace bourse::order
