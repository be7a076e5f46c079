#include "bourse/common/timestamp.h"

#include <cstdio>

namespace bourse {

std::string format_rfc3339_utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto micros = floor<microseconds>(time);
  const auto day = floor<days>(micros);
  const year_month_day date(day);
  const hh_mm_ss clock(micros - day);
  // "YYYY-MM-DDTHH:MM:SS.ffffffZ" is 27 characters; sized for the widest value of each field.
  char text[96];
  const int length = std::snprintf(
      text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()),
      static_cast<long long>(clock.subseconds().count()));
  return std::string(text, static_cast<std::size_t>(length));
}

}  // namespace bourse
