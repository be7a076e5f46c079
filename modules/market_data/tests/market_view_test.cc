// Goal: the market view's JSON form (the stored levels_json and the HTTP answers) keeps
// every level exactly, and a stored text that breaks the shape or an invariant is refused.
#include "bourse/market_data/market_view.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace bourse::market_data {
namespace {

PriceLevel level(const char* price, std::int64_t quantity, std::int64_t orders) {
  return PriceLevel{Amount::parse(price).value(), Quantity::of(quantity), orders};
}

TEST_CASE("levels survive a round trip through their JSON text", "[market_data]") {
  MarketView view;
  view.symbol = "AAPL";
  view.bids = {level("150.25", 10, 2), level("150", 5, 1)};
  view.asks = {level("151", 7, 3)};
  const std::string text = boost::json::serialize(levels_to_json(view));
  CHECK(
      text ==
      R"({"bids":[{"price":"150.25","quantity":10,"orders":2},{"price":"150","quantity":5,"orders":1}],)"
      R"("asks":[{"price":"151","quantity":7,"orders":3}]})");
  MarketView back;
  back.symbol = "AAPL";
  REQUIRE(levels_from_json(text, back).ok());
  CHECK(back == view);
}

TEST_CASE("levels_to_json serves at most the asked depth", "[market_data]") {
  MarketView view;
  view.bids = {level("3", 1, 1), level("2", 1, 1), level("1", 1, 1)};
  const auto json = levels_to_json(view, 2);
  CHECK(json.at("bids").as_array().size() == 2);
  CHECK(json.at("asks").as_array().empty());
}

TEST_CASE("malformed stored levels are refused", "[market_data]") {
  MarketView view;
  CHECK_FALSE(levels_from_json("[]", view).ok());
  CHECK_FALSE(levels_from_json(R"({"bids":[]})", view).ok());
  // bids must descend
  CHECK_FALSE(
      levels_from_json(
          R"({"bids":[{"price":"1","quantity":1,"orders":1},{"price":"2","quantity":1,"orders":1}],"asks":[]})",
          view)
          .ok());
  CHECK_FALSE(
      levels_from_json(R"({"bids":[{"price":"1","quantity":0,"orders":1}],"asks":[]})", view).ok());
  CHECK_FALSE(
      levels_from_json(R"({"bids":[],"asks":[{"price":"x","quantity":1,"orders":1}]})", view).ok());
}

}  // namespace
}  // namespace bourse::market_data
