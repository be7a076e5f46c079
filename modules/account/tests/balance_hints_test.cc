// Goal: the balance hints hand out a whole group's rows or none, keep the latest value of
// each row, and stay within their named bound.
#include "balance_hints.h"

#include <catch2/catch.hpp>

namespace bourse::account {
namespace {

GroupBalanceRows rows(std::map<std::string, Balance> cash,
                      std::map<PositionKey, Balance> positions = {}) {
  return GroupBalanceRows{std::move(cash), std::move(positions)};
}

TEST_CASE("hints: every named row or nothing, the latest value of each", "[account][unit]") {
  BalanceHints hints;
  const std::vector<std::string> anna{"anna"};
  const std::vector<std::string> anna_bert{"anna", "bert"};
  const std::vector<PositionKey> anna_aapl{{"anna", "AAPL"}};
  CHECK_FALSE(hints.lookup(anna, {}).has_value());

  hints.remember(rows({{"anna", {100, 60}}}, {{{"anna", "AAPL"}, {5, 1}}}));
  auto found = hints.lookup(anna, anna_aapl);
  REQUIRE(found.has_value());
  CHECK(found->cash.at("anna").available() == 40);
  CHECK(found->positions.at({"anna", "AAPL"}).available() == 4);
  // One row without a hint: no hints at all (the group reads every row).
  CHECK_FALSE(hints.lookup(anna_bert, {}).has_value());
  const std::vector<PositionKey> anna_msft{{"anna", "MSFT"}};
  CHECK_FALSE(hints.lookup(anna, anna_msft).has_value());

  hints.remember(rows({{"anna", {100, 90}}, {"bert", {7, 0}}}));
  found = hints.lookup(anna_bert, anna_aapl);
  REQUIRE(found.has_value());
  CHECK(found->cash.at("anna").reserved == 90);
  CHECK(found->cash.at("bert").total == 7);
  CHECK(found->positions.at({"anna", "AAPL"}).reserved == 1);
}

TEST_CASE("hints: past the bound a table is emptied before it takes a new row",
          "[account][unit]") {
  BalanceHints hints(/*max_rows=*/2);
  hints.remember(rows({{"a", {1, 0}}, {"b", {2, 0}}}, {{{"a", "X"}, {1, 0}}}));
  CHECK(hints.cash_rows() == 2);
  hints.remember(rows({{"b", {3, 0}}}));  // a known row: no eviction
  CHECK(hints.cash_rows() == 2);
  hints.remember(rows({{"c", {4, 0}}}));
  CHECK(hints.cash_rows() == 1);
  const std::vector<std::string> a{"a"};
  const std::vector<std::string> c{"c"};
  CHECK_FALSE(hints.lookup(a, {}).has_value());
  REQUIRE(hints.lookup(c, {}).has_value());
  CHECK(hints.position_rows() == 1);  // the other table keeps its rows
  CHECK(kMaxBalanceHintRows == 100'000);
}

}  // namespace
}  // namespace bourse::account
