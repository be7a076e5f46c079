// Goal: a typed event becomes exactly the outbox row its contract describes, and only
// names shaped like an outbox table ever reach SQL text.
#include "bourse/outbox/outbox_writer.h"

#include <catch2/catch.hpp>

namespace {

struct Sample {
  static constexpr std::string_view kType = "SampleHappened";
  static constexpr std::int64_t kVersion = 3;
  static constexpr std::string_view kAggregateType = "sample";
  std::int64_t id = 0;
  std::string symbol;
  std::string partition_key() const { return symbol; }
  std::string aggregate_id() const { return std::to_string(id); }
  boost::json::object to_json() const { return {{"id", id}, {"symbol", symbol}}; }
  static bourse::Result<Sample> parse(const boost::json::object&, std::int64_t) {
    return bourse::Error::internal("not needed here");
  }
};

TEST_CASE("a typed event becomes its outbox row", "[outbox]") {
  auto row = bourse::outbox::outbox_event(Sample{42, "AAPL"}, "bourse.sample-events");
  CHECK(row.event_type == "SampleHappened");
  CHECK(row.version == 3);
  CHECK(row.topic == "bourse.sample-events");
  CHECK(row.key == "AAPL");
  CHECK(row.aggregate_type == "sample");
  CHECK(row.aggregate_id == "42");
  CHECK(row.data == boost::json::object{{"id", 42}, {"symbol", "AAPL"}});
}

TEST_CASE("only outbox-shaped table names are accepted", "[outbox]") {
  using bourse::outbox::is_outbox_table_name;
  CHECK(is_outbox_table_name("order_outbox"));
  CHECK(is_outbox_table_name("account_outbox"));
  CHECK(is_outbox_table_name("m2_outbox"));
  CHECK_FALSE(is_outbox_table_name("_outbox"));
  CHECK_FALSE(is_outbox_table_name("outbox"));
  CHECK_FALSE(is_outbox_table_name("orders"));
  CHECK_FALSE(is_outbox_table_name("Order_outbox"));
  CHECK_FALSE(is_outbox_table_name("1_outbox"));
  CHECK_FALSE(is_outbox_table_name("order_outbox; DROP TABLE orders"));
  CHECK_FALSE(is_outbox_table_name("order-outbox"));
  CHECK_FALSE(is_outbox_table_name(std::string(58, 'a') + "_outbox"));  // 65 characters
  CHECK(is_outbox_table_name(std::string(57, 'a') + "_outbox"));        // 64 characters
}

}  // namespace
