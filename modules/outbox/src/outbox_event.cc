#include "bourse/outbox/outbox_event.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>
#include <random>

namespace bourse::outbox {

std::string new_event_id() {
  // One generator per thread, seeded from the OS: no lock, no shared state.
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }()};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;    // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFull);
}

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     micros % 1'000'000);
}

std::string serialize_envelope(const OutboxEvent& event, const std::string& event_id,
                               std::chrono::system_clock::time_point occurred_at) {
  boost::json::object envelope{{"event_id", event_id},
                               {"event_type", event.event_type},
                               {"version", kEnvelopeVersion},
                               {"occurred_at", format_timestamp(occurred_at)},
                               {"aggregate_type", event.aggregate_type},
                               {"aggregate_id", event.aggregate_id},
                               {"data", event.data}};
  return boost::json::serialize(envelope);
}

}  // namespace bourse::outbox
