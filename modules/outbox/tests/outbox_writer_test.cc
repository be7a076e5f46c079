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

TEST_CASE("an append bumps the outbox's sequence, then numbers its rows up to the new value",
          "[outbox]") {
  using namespace bourse::outbox;
  const bourse::FakeClock clock;
  const std::vector<OutboxEvent> events{outbox_event(Sample{1, "AAPL"}, "t"),
                                        outbox_event(Sample{2, "MSFT"}, "t"),
                                        outbox_event(Sample{3, "AAPL"}, "t")};
  auto prepared = prepare_append("order_outbox", events, clock);
  REQUIRE(prepared.ok());
  REQUIRE(prepared->statements.size() == 2);
  const auto& bump = prepared->statements[0];
  CHECK(bump.text.find("INSERT INTO outbox_sequences") == 0);
  CHECK(bump.text.find("LAST_INSERT_ID(last_id + :m)") != std::string::npos);
  CHECK(bump.values == std::vector<bourse::db::SqlValue>{std::string("order_outbox"), 3LL, 3LL});
  const auto& insert = prepared->statements[1];
  CHECK(insert.text.find("INSERT INTO order_outbox (id, ") == 0);
  // The last row takes the bumped value, the ones before it the ids just below.
  CHECK(insert.text.find("(LAST_INSERT_ID() - 2, :p0_0") != std::string::npos);
  CHECK(insert.text.find("(LAST_INSERT_ID() - 1, :p1_0") != std::string::npos);
  CHECK(insert.text.find("(LAST_INSERT_ID() - 0, :p2_0") != std::string::npos);
  CHECK(insert.values.size() == 15);
  CHECK(insert.expected_rows == 3);
  REQUIRE(prepared->events.size() == 3);
  CHECK(prepared->events[0].event_id != prepared->events[1].event_id);

  // Events gathered from several places number the same way, in the order given.
  const std::vector<const OutboxEvent*> gathered{&events[2], &events[0]};
  auto from_pointers =
      prepare_append("order_outbox", std::span<const OutboxEvent* const>(gathered), clock);
  REQUIRE(from_pointers.ok());
  CHECK(std::get<long long>(from_pointers->statements[0].values[1]) == 2);
  CHECK(from_pointers->statements[1].values[3] == bourse::db::SqlValue(std::string("AAPL")));
}

TEST_CASE("readers select unpublished rows by the outbox's published_up_to", "[outbox]") {
  CHECK(bourse::outbox::unpublished_condition("account_outbox") ==
        "id > COALESCE((SELECT published_up_to FROM outbox_relay_barriers WHERE outbox = "
        "'account_outbox'), 0)");
}
