// The symbol table shared by the order module's tests.
#pragma once

#include "bourse/order/order_request.h"

namespace bourse::order::testing {

// AAPL: tick 0.01, lot 1, max 1'000'000, reference 150, band +-10% -> [135, 165].
// LOTS: tick 0.5, lot 100, max 10'000, reference 20, band +-5% -> [19, 21].
// CENT: tick 0.01, lot 1, max 1'000'000, reference 100, band +-10% -> [90, 110].
inline InstrumentTable test_instruments() {
  InstrumentTable table;
  Instrument aapl;
  aapl.symbol = "AAPL";
  aapl.tick_size = Amount::parse("0.01").value();
  aapl.lot_size = 1;
  aapl.max_order_quantity = 1'000'000;
  aapl.reference_price = Amount::parse("150").value();
  aapl.price_band_bps = 1'000;
  table.emplace("AAPL", aapl);
  Instrument lots;
  lots.symbol = "LOTS";
  lots.tick_size = Amount::parse("0.5").value();
  lots.lot_size = 100;
  lots.max_order_quantity = 10'000;
  lots.reference_price = Amount::parse("20").value();
  lots.price_band_bps = 500;
  table.emplace("LOTS", lots);
  Instrument cent = aapl;
  cent.symbol = "CENT";
  cent.reference_price = Amount::parse("100").value();
  table.emplace("CENT", cent);
  return table;
}

}  // namespace bourse::order::testing
