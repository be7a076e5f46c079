// Goal: every librdkafka log line becomes exactly one valid JSON object.
#include "bourse/kafka/log_sink.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace bourse::kafka {
namespace {

TEST_CASE("a record formats as one JSON line with every field", "[kafka][log]") {
  const LogRecord record{LogLevel::kWarning, "bourse-order", "FAIL", "broker down"};
  const std::string line = format_json_line(record, 1'700'000'000'123);
  CHECK(
      line ==
      R"({"ts":"2023-11-14T22:13:20.123Z","level":"warn","logger":"kafka","client":"bourse-order",)"
      R"("facility":"FAIL","msg":"broker down"})");
}

TEST_CASE("quotes, backslashes and control characters are escaped", "[kafka][log]") {
  const std::string nasty = std::string("a\"b\\c\nd\te\x01") + "\x7f" + "é";
  const LogRecord record{LogLevel::kError, "c", "F", nasty};
  const std::string line = format_json_line(record, 0);
  CHECK(line.find('\n') == std::string::npos);
  const boost::json::value parsed = boost::json::parse(line);
  CHECK(parsed.at("msg").as_string() == nasty);
  CHECK(parsed.at("ts").as_string() == "1970-01-01T00:00:00.000Z");
  CHECK(parsed.at("level").as_string() == "error");
}

TEST_CASE("syslog levels map onto four levels", "[kafka][log]") {
  CHECK(log_level_from_syslog(0) == LogLevel::kError);
  CHECK(log_level_from_syslog(3) == LogLevel::kError);
  CHECK(log_level_from_syslog(4) == LogLevel::kWarning);
  CHECK(log_level_from_syslog(5) == LogLevel::kInfo);
  CHECK(log_level_from_syslog(6) == LogLevel::kInfo);
  CHECK(log_level_from_syslog(7) == LogLevel::kDebug);
}

}  // namespace
}  // namespace bourse::kafka
