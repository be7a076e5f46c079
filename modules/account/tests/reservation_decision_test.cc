// Goal: the decision "may this order be reserved?" is a pure function of the locked
// balances, taken in the group's order, and the rows to lock are named in lock order.
#include "reservation_decision.h"

#include <catch2/catch.hpp>

namespace bourse::account {
namespace {

ReservationRequest buy(std::string user, std::int64_t quantity, const char* price) {
  ReservationRequest request;
  request.user_id = std::move(user);
  request.symbol = "AAPL";
  request.side = Side::kBuy;
  request.quantity = Quantity::of(quantity);
  request.limit_price = *Amount::parse(price);
  return request;
}

ReservationRequest sell(std::string user, std::string symbol, std::int64_t quantity) {
  ReservationRequest request = buy(std::move(user), quantity, "1");
  request.side = Side::kSell;
  request.symbol = std::move(symbol);
  return request;
}

TEST_CASE("rows to lock: users ascending and unique; every sell's position, ascending and unique",
          "[account][unit]") {
  std::vector<ReservationRequest> requests{buy("carol", 1, "1"),   sell("alice", "MSFT", 1),
                                           buy("alice", 1, "1"),   sell("alice", "AAPL", 1),
                                           sell("bob", "AAPL", 1), sell("alice", "AAPL", 2)};
  CHECK(users_to_lock(requests) == std::vector<std::string>{"alice", "bob", "carol"});
  CHECK(positions_to_lock(requests) ==
        std::vector<PositionKey>{{"alice", "AAPL"}, {"alice", "MSFT"}, {"bob", "AAPL"}});
}

TEST_CASE("200 buys on cash for 120: the first 120 are reserved, in order", "[account][unit]") {
  GroupBalances balances;
  balances.cash["alice"] = Balance{120 * 100 * Amount::kScale, 0};
  std::vector<ReservationRequest> requests(200, buy("alice", 1, "100"));
  auto decisions = decide_reservations(requests, balances);
  REQUIRE(decisions.size() == 200);
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    INFO(i);
    CHECK(std::holds_alternative<Reserved>(decisions[i]) == (i < 120));
  }
  CHECK(balances.cash["alice"].reserved == balances.cash["alice"].total);
  const auto& last = std::get<Rejected>(decisions.back());
  CHECK(last.reason == RejectReason::kInsufficientFunds);
  CHECK(last.available == "0");
  CHECK(last.needed == "100");
}

TEST_CASE("a rejected order leaves room for a smaller later one", "[account][unit]") {
  GroupBalances balances;
  balances.cash["bob"] = Balance{50 * Amount::kScale, 10 * Amount::kScale};  // 40 available
  balances.positions[{"bob", "AAPL"}] = Balance{5, 2};                       // 3 available
  auto decisions = decide_reservations(
      std::vector<ReservationRequest>{buy("bob", 1, "41"), buy("bob", 1, "40"),
                                      sell("bob", "AAPL", 4), sell("bob", "AAPL", 3),
                                      sell("bob", "MSFT", 1), buy("ann", 1, "1")},
      balances);
  CHECK(std::get<Rejected>(decisions[0]).available == "40");
  CHECK(std::get<Reserved>(decisions[1]).cash == *Amount::parse("40"));
  CHECK(std::get<Rejected>(decisions[2]).reason == RejectReason::kInsufficientShares);
  CHECK(std::get<Reserved>(decisions[3]).shares == Quantity::of(3));
  CHECK(std::get<Rejected>(decisions[4]).available == "0");
  CHECK(std::get<Rejected>(decisions[5]).reason == RejectReason::kUnknownAccount);
  CHECK(balances.cash["bob"].reserved == 50 * Amount::kScale);
  CHECK(balances.positions[{"bob", "AAPL"}].reserved == 5);
}

TEST_CASE("a market buy holds its capped notional; an overflow is a rejection", "[account][unit]") {
  GroupBalances balances;
  balances.cash["cy"] = Balance{limits::kMaxAmountUnits, 0};
  ReservationRequest market = buy("cy", 10, "1");
  market.type = OrderType::kMarket;
  market.reference_price = *Amount::parse("100");
  market.band_basis_points = 500;
  ReservationRequest huge = market;
  huge.quantity = Quantity::of(1'000'000'000'000);
  huge.reference_price = *Amount::parse("100000");
  auto decisions = decide_reservations(std::vector<ReservationRequest>{market, huge}, balances);
  CHECK(std::get<Reserved>(decisions[0]).cash == *Amount::parse("1050"));
  CHECK(std::get<Rejected>(decisions[1]).reason == RejectReason::kOrderValueOutOfRange);
}

TEST_CASE("requests no order entry could produce are invalid", "[account][unit]") {
  CHECK(validate_reservation_request(buy("alice", 1, "1")).ok());
  CHECK_FALSE(validate_reservation_request(buy("", 1, "1")).ok());
  CHECK_FALSE(validate_reservation_request(buy("alice", 0, "1")).ok());
  CHECK_FALSE(validate_reservation_request(buy("alice", 1, "0")).ok());
  ReservationRequest market = buy("alice", 1, "1");
  market.type = OrderType::kMarket;
  CHECK_FALSE(validate_reservation_request(market).ok());  // no reference price
}

}  // namespace
}  // namespace bourse::account
