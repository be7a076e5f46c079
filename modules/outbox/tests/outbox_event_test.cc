// Goal: event ids are well-formed random UUIDs and the envelope has the documented shape.
#include "bourse/outbox/outbox_event.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <string_view>

namespace {

// [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}, without <regex>
// (GCC 12's <regex> trips -Wmaybe-uninitialized in sanitizer builds).
bool is_uuid_v4(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return id[14] == '4' && (id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

}  // namespace

TEST_CASE("event ids are distinct version-4 UUIDs", "[outbox]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    std::string id = bourse::outbox::new_event_id();
    REQUIRE(is_uuid_v4(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 10'000);
}

TEST_CASE("the envelope carries id, type, version, time, aggregate and data", "[outbox]") {
  bourse::outbox::OutboxEvent event{"OrderCreated", "bourse.order-events",
                                    "AAPL",         "order",
                                    "42",           boost::json::object{{"quantity", 10}}};
  bourse::FakeClock clock(1'700'000'000'123);
  auto json = boost::json::parse(bourse::outbox::serialize_envelope(event, "id-1", clock.now()))
                  .as_object();
  CHECK(json.at("event_id").as_string() == "id-1");
  CHECK(json.at("event_type").as_string() == "OrderCreated");
  CHECK(json.at("version").as_int64() == 1);
  CHECK(json.at("occurred_at").as_string() == "2023-11-14T22:13:20.123000Z");
  CHECK(json.at("aggregate_type").as_string() == "order");
  CHECK(json.at("aggregate_id").as_string() == "42");
  CHECK(json.at("data").at("quantity").as_int64() == 10);
}
