#include "bourse/market_data/market_view.h"

#include <boost/json.hpp>

#include "bourse/common/assert.h"

namespace bourse::market_data {
namespace {

// True if `later` may follow `earlier` on a side (best first, strictly).
bool ordered(bool bids, const Amount& earlier, const Amount& later) {
  return bids ? later.units() < earlier.units() : later.units() > earlier.units();
}

bool valid_level(const PriceLevel& level) {
  return level.price.units() > 0 && level.quantity.value() > 0 && level.orders >= 1;
}

boost::json::array side_to_json(const std::vector<PriceLevel>& levels, bool bids,
                                std::size_t depth) {
  boost::json::array out;
  const std::size_t count = std::min(depth, levels.size());
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const PriceLevel& level = levels[i];
    BOURSE_ASSERT(valid_level(level), "market view level: price, quantity and orders positive");
    BOURSE_ASSERT(i == 0 || ordered(bids, levels[i - 1].price, level.price),
                  "market view levels strictly ordered best first");
    out.push_back(boost::json::object{{"price", level.price.to_string()},
                                      {"quantity", level.quantity.value()},
                                      {"orders", level.orders}});
  }
  return out;
}

Error malformed(const std::string& what) {
  return Error{ErrorCode::kMalformed, "market view levels: " + what, "malformed_market_view"};
}

Result<std::vector<PriceLevel>> side_from_json(const boost::json::object& object,
                                               std::string_view name, bool bids) {
  const boost::json::value* side = object.if_contains(name);
  if (side == nullptr || !side->is_array()) return malformed(std::string(name) + " missing");
  const boost::json::array& array = side->get_array();
  if (array.size() > kMaxStoredDepth) return malformed(std::string(name) + " too deep");
  std::vector<PriceLevel> levels;
  levels.reserve(array.size());
  for (const boost::json::value& entry : array) {
    const boost::json::object* level = entry.if_object();
    if (level == nullptr) return malformed("a level is not an object");
    const boost::json::value* price = level->if_contains("price");
    const boost::json::value* quantity = level->if_contains("quantity");
    const boost::json::value* orders = level->if_contains("orders");
    if (price == nullptr || !price->is_string() || quantity == nullptr || !quantity->is_int64() ||
        orders == nullptr || !orders->is_int64()) {
      return malformed("a level lacks price, quantity or orders");
    }
    auto parsed_price = Amount::parse(std::string_view(price->get_string()));
    if (!parsed_price) return malformed("bad price");
    auto parsed_quantity = Quantity::checked_of(quantity->get_int64());
    if (!parsed_quantity) return malformed("bad quantity");
    PriceLevel parsed{*parsed_price, *parsed_quantity, orders->get_int64()};
    if (!valid_level(parsed)) return malformed("non-positive price, quantity or orders");
    if (!levels.empty() && !ordered(bids, levels.back().price, parsed.price)) {
      return malformed("levels out of order");
    }
    levels.push_back(parsed);
  }
  return levels;
}

}  // namespace

boost::json::object levels_to_json(const MarketView& view, std::size_t depth) {
  BOURSE_ASSERT(depth <= kMaxStoredDepth, "market view depth within kMaxStoredDepth");
  return boost::json::object{{"bids", side_to_json(view.bids, true, depth)},
                             {"asks", side_to_json(view.asks, false, depth)}};
}

Status levels_from_json(std::string_view text, MarketView& view) {
  boost::system::error_code error;
  boost::json::value parsed = boost::json::parse(text, error);
  if (error || !parsed.is_object()) return malformed("not a JSON object");
  auto bids = side_from_json(parsed.get_object(), "bids", true);
  if (!bids) return bids.error();
  auto asks = side_from_json(parsed.get_object(), "asks", false);
  if (!asks) return asks.error();
  view.bids = std::move(*bids);
  view.asks = std::move(*asks);
  return Status::success();
}

}  // namespace bourse::market_data
