// Goal: the load generator's mix is reproducible from its seed, prices are exact and on
// tick, symbol popularity follows the Zipf weights, and about half the limit orders cross.
#include "order_mix.h"

#include <catch2/catch.hpp>
#include <map>

using bourse::bench::Action;
using bourse::bench::format_decimal;
using bourse::bench::MixOptions;
using bourse::bench::MixSymbol;
using bourse::bench::Nanos;
using bourse::bench::OrderMix;
using bourse::bench::parse_decimal;

namespace {

std::vector<MixSymbol> three_symbols() {
  return {{"AAPL", 1'000'000, 1}, {"MSFT", 1'000'000, 1}, {"LOTS", 50'000'000, 100}};
}
const std::vector<Nanos> kReferences = {150'00000000, 400'00000000, 20'00000000};

}  // namespace

TEST_CASE("decimals parse and print exactly", "[loadgen]") {
  Nanos value = 0;
  REQUIRE(parse_decimal("150", value));
  CHECK(value == 15'000'000'000);
  REQUIRE(parse_decimal("0.01", value));
  CHECK(value == 1'000'000);
  CHECK(format_decimal(value) == "0.01");
  CHECK(format_decimal(150'50000000) == "150.5");
  CHECK(format_decimal(-2'00000000) == "-2");
  CHECK_FALSE(parse_decimal("", value));
  CHECK_FALSE(parse_decimal("1.2.3", value));
  CHECK_FALSE(parse_decimal("0.123456789", value));
  CHECK_FALSE(parse_decimal("abc", value));
}

TEST_CASE("the same seed gives the same actions, another seed others", "[loadgen]") {
  OrderMix a(three_symbols(), MixOptions{}, 7);
  OrderMix b(three_symbols(), MixOptions{}, 7);
  OrderMix c(three_symbols(), MixOptions{}, 8);
  int differences = 0;
  for (int i = 0; i < 1'000; ++i) {
    const Action x = a.next(kReferences);
    const Action y = b.next(kReferences);
    const Action z = c.next(kReferences);
    CHECK(a.order_json(x, "u") == b.order_json(y, "u"));
    if (a.order_json(x, "u") != c.order_json(z, "u")) ++differences;
  }
  CHECK(differences > 500);
}

TEST_CASE("limit prices are on tick, positive and near the reference; lots respected",
          "[loadgen]") {
  MixOptions options;
  options.spread_ticks = 20;
  OrderMix mix(three_symbols(), options, 1);
  std::map<std::size_t, int> per_symbol;
  int limits = 0, markets = 0, cancels = 0, crossing = 0;
  for (int i = 0; i < 20'000; ++i) {
    const Action action = mix.next(kReferences);
    if (action.kind == Action::Kind::kCancel) {
      ++cancels;
      continue;
    }
    const MixSymbol& symbol = mix.symbols()[action.symbol_index];
    ++per_symbol[action.symbol_index];
    CHECK(action.quantity % symbol.lot == 0);
    CHECK(action.quantity > 0);
    if (action.market) {
      ++markets;
      CHECK(mix.order_json(action, "u").find("price") == std::string::npos);
      continue;
    }
    ++limits;
    CHECK(action.price > 0);
    CHECK(action.price % symbol.tick == 0);
    const Nanos reference = kReferences[action.symbol_index];
    CHECK(std::llabs(action.price - reference) <= 20 * symbol.tick);
    // A buy at or above the reference meets the typical sell below it, and vice versa.
    if ((action.buy && action.price >= reference) || (!action.buy && action.price <= reference)) {
      ++crossing;
    }
  }
  CHECK(cancels > 700);   // 5 %
  CHECK(cancels < 1'300);
  CHECK(markets > limits / 12);  // ~10 % of placements
  CHECK(markets < limits / 7);
  CHECK(crossing > limits * 4 / 10);
  CHECK(crossing < limits * 6 / 10);
  // Zipf s = 1 over 3 ranks: weights 1, 1/2, 1/3.
  CHECK(per_symbol[0] > per_symbol[1]);
  CHECK(per_symbol[1] > per_symbol[2]);
  CHECK(per_symbol[0] > per_symbol[2] * 25 / 10);
}

TEST_CASE("a reference below the spread still gives positive prices", "[loadgen]") {
  OrderMix mix({{"PENNY", 1'000'000, 1}}, MixOptions{}, 3);
  for (int i = 0; i < 2'000; ++i) {
    const Action action = mix.next({2'000'000});  // 0.02
    if (action.kind == Action::Kind::kPlace && !action.market) CHECK(action.price >= 1'000'000);
  }
}
