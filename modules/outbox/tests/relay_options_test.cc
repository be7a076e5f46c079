// Goal: relay options outside their named limits are rejected as values, an idle relay's
// wait grows as documented, and lease names stay within MySQL's 64 characters while
// naming both the table and the database.
#include "bourse/outbox/relay_options.h"

#include <catch2/catch.hpp>

#include "relay_lease.h"

namespace bourse::outbox {
namespace {

RelayOptions valid_options() {
  RelayOptions options;
  options.table = "order_outbox";
  options.instance_id = "test-1";
  return options;
}

TEST_CASE("default relay options are valid", "[outbox][relay]") {
  CHECK(validate(valid_options()).ok());
}

TEST_CASE("relay options outside their limits are invalid arguments", "[outbox][relay]") {
  auto expect_invalid = [](const RelayOptions& options) {
    Status status = validate(options);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidArgument);
  };
  RelayOptions options = valid_options();
  options.table = "orders";
  expect_invalid(options);
  options = valid_options();
  options.instance_id = "";
  expect_invalid(options);
  options = valid_options();
  options.batch_size = 0;
  expect_invalid(options);
  options.batch_size = kMaxRelayBatchSize + 1;
  expect_invalid(options);
  options = valid_options();
  options.poll_interval = std::chrono::milliseconds(0);
  expect_invalid(options);
  options = valid_options();
  options.lease_retry_interval = std::chrono::minutes(2);
  expect_invalid(options);
  options = valid_options();
  options.retention = std::chrono::hours(0);
  expect_invalid(options);
  options = valid_options();
  options.cleanup_interval = std::chrono::seconds(0);
  expect_invalid(options);
  options = valid_options();
  options.delivery_timeout = std::chrono::milliseconds(10);
  expect_invalid(options);
  options = valid_options();
  options.idle_poll_max = std::chrono::milliseconds(0);
  expect_invalid(options);
  options.idle_poll_max = kMaxRelayPollInterval + std::chrono::milliseconds(1);
  expect_invalid(options);
}

TEST_CASE("an idle relay's wait doubles from poll_interval up to idle_poll_max",
          "[outbox][relay]") {
  using std::chrono::milliseconds;
  RelayOptions options = valid_options();
  options.poll_interval = milliseconds(20);
  options.idle_poll_max = milliseconds(160);
  REQUIRE(validate(options).ok());
  CHECK(idle_poll_wait(options, 0) == milliseconds(20));  // the last fetch found rows
  CHECK(idle_poll_wait(options, 1) == milliseconds(20));
  CHECK(idle_poll_wait(options, 2) == milliseconds(40));
  CHECK(idle_poll_wait(options, 3) == milliseconds(80));
  CHECK(idle_poll_wait(options, 4) == milliseconds(160));
  CHECK(idle_poll_wait(options, 5) == milliseconds(160));
  CHECK(idle_poll_wait(options, ~std::uint64_t{0}) == milliseconds(160));
  options.idle_poll_max = milliseconds(100);  // not a power-of-two step: capped
  CHECK(idle_poll_wait(options, 3) == milliseconds(80));
  CHECK(idle_poll_wait(options, 4) == milliseconds(100));
  // At or below poll_interval: no back-off.
  options.idle_poll_max = milliseconds(5);
  REQUIRE(validate(options).ok());
  CHECK(idle_poll_wait(options, 1) == milliseconds(20));
  CHECK(idle_poll_wait(options, 50) == milliseconds(20));
  options.poll_interval = kMaxRelayPollInterval;
  options.idle_poll_max = kMaxRelayPollInterval;
  CHECK(idle_poll_wait(options, 1000) == kMaxRelayPollInterval);
}

TEST_CASE("lease names are scoped by database and fit MySQL's limit", "[outbox][relay]") {
  CHECK(relay_lease_name("bourse", "order_outbox") == "bourse_relay_order_outbox@bourse");
  CHECK(relay_lease_name("a", "order_outbox") != relay_lease_name("b", "order_outbox"));
  const std::string long_database(64, 'd');
  const std::string name = relay_lease_name(long_database, "matching_outbox");
  CHECK(name.size() <= 64);
  CHECK(name.rfind("bourse_relay_matching_outbox@", 0) == 0);
  CHECK(name != relay_lease_name(long_database + "x", "matching_outbox"));
}

}  // namespace
}  // namespace bourse::outbox
