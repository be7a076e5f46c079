// The market view of one symbol: the top levels of its book and its last trade, as the
// matching service last committed them. A plain value with its JSON form (the
// market_view.levels_json column and the HTTP answers use the same shape).
//
// Levels are aggregated per price and ordered best first (bids descending, asks
// ascending). Invariants (checked by levels_from_json, asserted by levels_to_json): at
// most kMaxStoredDepth levels per side, price > 0, quantity > 0, orders >= 1, strictly
// ordered prices.
// Thread-safety: plain values and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/money.h"

namespace bourse::market_data {

// Levels per side stored in market_view (and the deepest book the read API can serve):
// what a depth-of-book screen shows; deeper books would make every batch's upsert bigger
// (about 60 bytes per level) for levels nobody reads.
inline constexpr std::size_t kMaxStoredDepth = 50;

struct PriceLevel {
  Amount price;
  Quantity quantity;
  std::int64_t orders = 0;
  friend bool operator==(const PriceLevel&, const PriceLevel&) = default;
};

struct MarketView {
  std::string symbol;
  std::vector<PriceLevel> bids;  // best (highest) first
  std::vector<PriceLevel> asks;  // best (lowest) first
  std::optional<Amount> last_trade_price;
  std::optional<Quantity> last_trade_quantity;
  friend bool operator==(const MarketView&, const MarketView&) = default;
};

// {"bids":[{"price":"150.25","quantity":10,"orders":2},...],"asks":[...]}, at most
// `depth` levels per side. REQUIRES: the view's levels satisfy the invariants above.
boost::json::object levels_to_json(const MarketView& view, std::size_t depth = kMaxStoredDepth);
// The levels of that JSON text into `view` (bids and asks replaced). kMalformed if the
// text breaks the shape or an invariant.
Status levels_from_json(std::string_view text, MarketView& view);

}  // namespace bourse::market_data
