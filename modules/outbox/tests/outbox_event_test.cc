// Goal: event ids are well-formed random UUIDs and the envelope has the documented shape.
#include "bourse/outbox/outbox_event.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <regex>
#include <set>

TEST_CASE("event ids are distinct version-4 UUIDs", "[outbox]") {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    std::string id = bourse::outbox::new_event_id();
    REQUIRE(std::regex_match(id, uuid));
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
