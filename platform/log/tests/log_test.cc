// Goal: every log line is one valid JSON object with escaped values.
#include "bourse/log/log.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

TEST_CASE("a log line is a JSON object with its fields", "[log]") {
  std::string line = bourse::log::format_line(
      bourse::log::Level::kWarn, "said \"hi\"\n",
      {{"order_id", 42}, {"ok", true}, {"who", "a\\b"}, {"ctl", std::string("\x01")}},
      1'700'000'000'123);
  auto parsed = boost::json::parse(line).as_object();
  CHECK(parsed.at("ts").as_string() == "2023-11-14T22:13:20.123Z");
  CHECK(parsed.at("level").as_string() == "warn");
  CHECK(parsed.at("msg").as_string() == "said \"hi\"\n");
  CHECK(parsed.at("order_id").as_int64() == 42);
  CHECK(parsed.at("ok").as_bool());
  CHECK(parsed.at("who").as_string() == "a\\b");
  CHECK(parsed.at("ctl").as_string() == "\x01");
}

TEST_CASE("levels parse by name", "[log]") {
  bourse::log::Level level{};
  CHECK(bourse::log::parse_level("debug", level));
  CHECK(level == bourse::log::Level::kDebug);
  CHECK_FALSE(bourse::log::parse_level("loud", level));
}
