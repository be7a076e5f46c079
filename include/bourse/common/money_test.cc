// Goal: Amount and Quantity are exact: parsing accepts only plain decimals within the
// scale and limit, printing round-trips, and arithmetic reports overflow as an error.
#include "bourse/common/money.h"

#include <catch2/catch.hpp>
#include <limits>

using bourse::Amount;
using bourse::ErrorCode;
using bourse::Quantity;

TEST_CASE("Amount parses plain decimals exactly", "[money]") {
  CHECK(Amount::parse("0.0001")->units() == 1);
  CHECK(Amount::parse("70500")->units() == 705'000'000);
  CHECK(Amount::parse("152.25")->units() == 1'522'500);
  CHECK(Amount::parse("0")->units() == 0);
  CHECK(Amount::parse("-1")->units() == -10'000);
  CHECK(Amount::parse("007.5")->units() == 75'000);
}

TEST_CASE("Amount rejects what is not a plain decimal", "[money]") {
  for (const char* text : {"", "1e3", "+1", " 1", "1 ", ".5", "5.", "1.2.3", "abc", "-", "0x10",
                           "1,5", "NaN", "inf"}) {
    INFO(text);
    auto parsed = Amount::parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("Amount rejects more decimals than its scale instead of rounding", "[money]") {
  auto parsed = Amount::parse("12.345678");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().reason == "amount_scale");
  CHECK_FALSE(Amount::parse("0.00001").ok());
  CHECK(Amount::parse("12.3456")->units() == 123'456);
}

TEST_CASE("Amount rejects values past the limit", "[money]") {
  CHECK(Amount::parse("100000000000")->units() == Amount::kMaxUnits);  // exactly the limit
  for (const char* text : {"100000000000.0001", "-100000000000.0001", "99999999999999999999",
                           "9223372036854775808", "1000000000000000000000000"}) {
    INFO(text);
    auto parsed = Amount::parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::kOutOfRange);
  }
}

TEST_CASE("parse_positive rejects zero and negatives", "[money]") {
  CHECK_FALSE(Amount::parse_positive("0").ok());
  CHECK_FALSE(Amount::parse_positive("-1").ok());
  CHECK(Amount::parse_positive("0.0001").ok());
}

TEST_CASE("Amount prints canonically and round-trips", "[money]") {
  CHECK(Amount::from_units(705'000'000).to_string() == "70500");
  CHECK(Amount::from_units(1'522'500).to_string() == "152.25");
  CHECK(Amount::from_units(1).to_string() == "0.0001");
  CHECK(Amount::from_units(-35'000).to_string() == "-3.5");
  CHECK(Amount::from_units(0).to_string() == "0");
  CHECK(Amount::from_units(Amount::kMaxUnits).to_string() == "100000000000");
  for (std::int64_t units : {std::int64_t{1}, std::int64_t{9}, std::int64_t{10},
                             std::int64_t{12'345}, std::int64_t{99'999}, -Amount::kMaxUnits}) {
    CHECK(Amount::parse(Amount::from_units(units).to_string())->units() == units);
  }
}

TEST_CASE("Amount x Quantity is overflow-checked", "[money]") {
  auto price = *Amount::parse("152.25");
  CHECK(price.checked_mul(Quantity::of(100))->to_string() == "15225");
  CHECK(price.checked_mul(Quantity::of(0))->is_zero());

  auto big = Amount::from_units(Amount::kMaxUnits);
  auto overflow = big.checked_mul(Quantity::of(2));
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.error().code == ErrorCode::kOutOfRange);
  // A product that overflows int64 itself, not only the limit.
  CHECK_FALSE(big.checked_mul(Quantity::of(Quantity::kMax)).ok());
  CHECK_FALSE(Amount::from_units(-Amount::kMaxUnits).checked_mul(Quantity::of(10)).ok());
  CHECK(Amount::from_units(Amount::kMaxUnits / 10).checked_mul(Quantity::of(10)).ok());
}

TEST_CASE("Amount addition and subtraction are limit-checked", "[money]") {
  auto max = Amount::from_units(Amount::kMaxUnits);
  CHECK_FALSE(max.checked_add(Amount::from_units(1)).ok());
  CHECK(max.checked_sub(Amount::from_units(1))->units() == Amount::kMaxUnits - 1);
  CHECK_FALSE(Amount::from_units(-Amount::kMaxUnits).checked_sub(Amount::from_units(1)).ok());
  CHECK_FALSE(Amount::checked_from_units(std::numeric_limits<std::int64_t>::min()).ok());
}

TEST_CASE("Quantity is limit-checked", "[money]") {
  CHECK(Quantity::checked_of(Quantity::kMax).ok());
  CHECK_FALSE(Quantity::checked_of(Quantity::kMax + 1).ok());
  CHECK_FALSE(Quantity::of(Quantity::kMax).checked_add(Quantity::of(1)).ok());
  CHECK(Quantity::of(5).checked_sub(Quantity::of(7))->value() == -2);
}
