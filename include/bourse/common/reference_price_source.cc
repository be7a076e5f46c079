#include "bourse/common/reference_price_source.h"

#include "bourse/common/assert.h"

namespace bourse {

const ConfiguredReferencePrices& ConfiguredReferencePrices::instance() {
  static const ConfiguredReferencePrices configured;
  return configured;
}

Instrument with_live_reference(const Instrument& instrument, const ReferencePriceSource& source) {
  Instrument live = instrument;
  live.reference_price = source.reference_price(instrument);
  BOURSE_ASSERT(live.reference_price.units() > 0 &&
                    live.reference_price.units() % instrument.tick_size.units() == 0,
                "a reference price is positive and on the instrument's tick");
  return live;
}

}  // namespace bourse
