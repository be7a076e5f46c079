// Goal: Result and Status carry either a value or an Error, never both.
#include "bourse/common/error.h"

#include <catch2/catch.hpp>

TEST_CASE("Result holds a value or an error", "[error]") {
  bourse::Result<int> good = 7;
  REQUIRE(good.ok());
  CHECK(*good == 7);
  bourse::Result<int> bad = bourse::Error::invalid("nope", "why");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == bourse::ErrorCode::kInvalidArgument);
  CHECK(bad.error().reason == "why");
}

TEST_CASE("Status defaults to success", "[error]") {
  bourse::Status ok;
  CHECK(ok.ok());
  bourse::Status failed = bourse::Error::unavailable("db down");
  CHECK_FALSE(failed.ok());
  CHECK(std::string(bourse::to_string(failed.error().code)) == "unavailable");
}
