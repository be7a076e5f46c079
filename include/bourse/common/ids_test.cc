// Goal: user ids and symbols are validated by one rule everywhere.
#include "bourse/common/ids.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("user ids accept a safe alphabet and bounded length", "[ids]") {
  CHECK(bourse::validate_user_id("alice").ok());
  CHECK(bourse::validate_user_id("user_1.a-b").ok());
  CHECK_FALSE(bourse::validate_user_id("").ok());
  CHECK_FALSE(bourse::validate_user_id("a b").ok());
  CHECK_FALSE(bourse::validate_user_id("a/b").ok());
  CHECK_FALSE(bourse::validate_user_id(std::string(65, 'a')).ok());
  CHECK(bourse::validate_user_id(std::string(64, 'a')).ok());
}

TEST_CASE("symbols are upper-case tickers", "[ids]") {
  CHECK(bourse::validate_symbol("AAPL").ok());
  CHECK(bourse::validate_symbol("BRK.B").ok());
  CHECK_FALSE(bourse::validate_symbol("aapl").ok());
  CHECK_FALSE(bourse::validate_symbol("1ABC").ok());
  CHECK_FALSE(bourse::validate_symbol("").ok());
  CHECK_FALSE(bourse::validate_symbol(std::string(17, 'A')).ok());
}

TEST_CASE("numeric ids of different kinds are distinct types", "[ids]") {
  bourse::OrderId order{42};
  CHECK(order.valid());
  CHECK_FALSE(bourse::OrderId{}.valid());
  STATIC_REQUIRE_FALSE(std::is_convertible_v<bourse::OrderId, bourse::TradeId>);
}
