// Goal: the cash a buy order holds is exact: limit x quantity, and for a market buy
// quantity x reference x (1 + band) rounded UP to 0.0001, with overflow reported.
#include "bourse/account/reservation_amount.h"

#include <catch2/catch.hpp>

using bourse::Amount;
using bourse::ErrorCode;
using bourse::Quantity;
using bourse::account::limit_buy_cash;
using bourse::account::market_buy_cash_cap;

namespace {
Amount amount(const char* text) { return Amount::parse(text).value(); }
}  // namespace

TEST_CASE("a limit buy holds exactly limit price times quantity", "[account][unit]") {
  auto cash = limit_buy_cash(amount("152.25"), Quantity::of(10));
  REQUIRE(cash.ok());
  CHECK(cash->to_string() == "1522.5");
  CHECK(limit_buy_cash(amount("0.0001"), Quantity::of(3))->units() == 3);
}

TEST_CASE("a limit buy rejects non-positive inputs and overflow", "[account][unit]") {
  CHECK(limit_buy_cash(amount("0"), Quantity::of(1)).error().code == ErrorCode::kInvalidArgument);
  CHECK(limit_buy_cash(amount("1"), Quantity::of(0)).error().code == ErrorCode::kInvalidArgument);
  auto huge = limit_buy_cash(amount("100000000000"), Quantity::of(2));
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().code == ErrorCode::kOutOfRange);
}

TEST_CASE("a market buy cap applies the band in basis points", "[account][unit]") {
  // 10 x 100 x 1.05 = 1050
  CHECK(market_buy_cash_cap(amount("100"), Quantity::of(10), 500)->to_string() == "1050");
  // Zero band: exactly the reference notional.
  CHECK(market_buy_cash_cap(amount("70500"), Quantity::of(2), 0)->to_string() == "141000");
  // Full band: twice the notional.
  CHECK(market_buy_cash_cap(amount("1.5"), Quantity::of(4), 10'000)->to_string() == "12");
}

TEST_CASE("a market buy cap rounds up to the next 0.0001 unit", "[account][unit]") {
  // 0.0001 x 1 x 1.0001 = 0.00010001 -> 0.0002
  CHECK(market_buy_cash_cap(amount("0.0001"), Quantity::of(1), 1)->units() == 2);
  // 0.0003 x 1 x 1.5 = 0.00045 -> 0.0005
  CHECK(market_buy_cash_cap(amount("0.0003"), Quantity::of(1), 5'000)->units() == 5);
  // Exact products are not rounded: 0.0002 x 1 x 1.5 = 0.0003.
  CHECK(market_buy_cash_cap(amount("0.0002"), Quantity::of(1), 5'000)->units() == 3);
  // 33.3333 x 3 x 1.0333 = 103.32989667 -> 103.3299
  CHECK(market_buy_cash_cap(amount("33.3333"), Quantity::of(3), 333)->units() == 1'033'299);
}

TEST_CASE("a market buy cap reports overflow instead of wrapping", "[account][unit]") {
  // 10^11 x 10^12 overflows int64 in plain arithmetic; here it is kOutOfRange.
  auto cap = market_buy_cash_cap(amount("100000000000"), Quantity::of(1'000'000'000'000), 100);
  REQUIRE_FALSE(cap.ok());
  CHECK(cap.error().code == ErrorCode::kOutOfRange);
  // Exactly at the limit with a zero band fits; one basis point more does not.
  CHECK(market_buy_cash_cap(amount("100000000000"), Quantity::of(1), 0).ok());
  CHECK(market_buy_cash_cap(amount("100000000000"), Quantity::of(1), 1).error().code ==
        ErrorCode::kOutOfRange);
}

TEST_CASE("a market buy cap rejects invalid bands and inputs", "[account][unit]") {
  CHECK(market_buy_cash_cap(amount("1"), Quantity::of(1), -1).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(market_buy_cash_cap(amount("1"), Quantity::of(1), 10'001).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(market_buy_cash_cap(amount("0"), Quantity::of(1), 10).error().code ==
        ErrorCode::kInvalidArgument);
  CHECK(market_buy_cash_cap(amount("1"), Quantity::of(0), 10).error().code ==
        ErrorCode::kInvalidArgument);
}
