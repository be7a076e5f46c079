// Where order entry reads a symbol's CURRENT reference price: the centre of its price
// band (limit prices must lie within it) and the base of a market BUY's cash cap
// (quantity x reference x (1 + band)).
//
// The symbol table (instrument.h) holds the configured reference price; a live source
// (market_data::ReferencePrices, refreshed from the price generator's table) replaces it
// while the process runs. Order entry sees only this interface, never how the price is
// obtained, so it depends on no database polling and is unit-testable with a fixed source.
//
// Thread-safety: implementations are safe to call from any thread and never block for
// long (an in-memory lookup): order validation runs on HTTP I/O threads.
#pragma once

#include "bourse/common/instrument.h"
#include "bourse/common/money.h"

namespace bourse {

class ReferencePriceSource {
 public:
  virtual ~ReferencePriceSource() = default;
  // The current reference price of `instrument` (an entry of the validated symbol table).
  // ENSURES: > 0 and a multiple of instrument.tick_size.
  virtual Amount reference_price(const Instrument& instrument) const = 0;
};

// The configured reference price, fixed for the life of the process (stateless).
class ConfiguredReferencePrices final : public ReferencePriceSource {
 public:
  Amount reference_price(const Instrument& instrument) const override {
    return instrument.reference_price;
  }
  static const ConfiguredReferencePrices& instance();
};

// `instrument` with reference_price replaced by `source`'s current value, so that its
// band_low() / band_high() follow the live reference. Asserts the source's contract
// (positive, on tick): a broken reference would let orders through at any price.
Instrument with_live_reference(const Instrument& instrument, const ReferencePriceSource& source);

}  // namespace bourse
