// Goal: instrument reference data is validated and its price band is exact and
// rounded inward to the tick.
#include "bourse/common/instrument.h"

#include <catch2/catch.hpp>

using bourse::Amount;
using bourse::Instrument;

namespace {
Instrument sample() {
  Instrument instrument;
  instrument.symbol = "AAPL";
  instrument.tick_size = *Amount::parse("0.01");
  instrument.lot_size = 1;
  instrument.max_order_quantity = 1'000'000;
  instrument.reference_price = *Amount::parse("150.00");
  instrument.price_band_bps = 1'000;
  return instrument;
}
}  // namespace

TEST_CASE("a valid instrument has an exact band", "[instrument]") {
  auto instrument = sample();
  REQUIRE(bourse::validate_instrument(instrument).ok());
  CHECK(instrument.band_low().to_string() == "135");
  CHECK(instrument.band_high().to_string() == "165");
}

TEST_CASE("band bounds round inward to the tick", "[instrument]") {
  auto instrument = sample();
  instrument.reference_price = *Amount::parse("100.01");
  instrument.price_band_bps = 333;  // 3.33%: 96.679667 .. 103.340333
  CHECK(instrument.band_low().to_string() == "96.68");
  CHECK(instrument.band_high().to_string() == "103.34");
}

TEST_CASE("invalid instruments are refused", "[instrument]") {
  auto bad_tick = sample();
  bad_tick.tick_size = Amount{};
  CHECK_FALSE(bourse::validate_instrument(bad_tick).ok());
  auto off_tick_reference = sample();
  off_tick_reference.reference_price = *Amount::parse("150.005");
  CHECK_FALSE(bourse::validate_instrument(off_tick_reference).ok());
  auto bad_lot = sample();
  bad_lot.lot_size = 100;
  bad_lot.max_order_quantity = 150;
  CHECK_FALSE(bourse::validate_instrument(bad_lot).ok());
  auto bad_band = sample();
  bad_band.price_band_bps = 0;
  CHECK_FALSE(bourse::validate_instrument(bad_band).ok());
  auto bad_symbol = sample();
  bad_symbol.symbol = "aapl";
  CHECK_FALSE(bourse::validate_instrument(bad_symbol).ok());
}
