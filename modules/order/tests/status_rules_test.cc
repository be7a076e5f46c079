// Goal: the status follower's rules never move a status backwards, never let a final
// status go, and add settled fills up exactly (status_rules.h).
#include "bourse/order/status_rules.h"

#include <catch2/catch.hpp>

namespace bourse::order {
namespace {

using account::events::ReleaseCause;

Amount price(const char* text) { return Amount::parse(text).value(); }

constexpr OrderStatus kAll[] = {OrderStatus::kPending,         OrderStatus::kRejected,
                                OrderStatus::kOpen,            OrderStatus::kPartiallyFilled,
                                OrderStatus::kFilled,          OrderStatus::kCancelled};

}  // namespace

TEST_CASE("OrderAccepted moves only PENDING to OPEN", "[order][status][unit]") {
  for (OrderStatus status : kAll) {
    INFO(to_string(status));
    CHECK(status_after_accepted(status) ==
          (status == OrderStatus::kPending ? OrderStatus::kOpen : status));
  }
}

TEST_CASE("settled fills add up to PARTIALLY_FILLED then FILLED", "[order][status][unit]") {
  const Quantity order_quantity = Quantity::of(30);
  FillState state{OrderStatus::kOpen, Quantity::of(0), Amount::from_units(0)};
  auto first = state_after_settled_trade(state, order_quantity, Quantity::of(10), price("99"));
  REQUIRE(first.ok());
  CHECK(*first == FillState{OrderStatus::kPartiallyFilled, Quantity::of(10), price("990")});
  auto second = state_after_settled_trade(*first, order_quantity, Quantity::of(10), price("100"));
  REQUIRE(second.ok());
  CHECK(*second == FillState{OrderStatus::kPartiallyFilled, Quantity::of(20), price("1990")});
  auto third = state_after_settled_trade(*second, order_quantity, Quantity::of(10), price("101"));
  REQUIRE(third.ok());
  CHECK(*third == FillState{OrderStatus::kFilled, Quantity::of(30), price("3000")});
  // A PENDING order (an IOC that never rested) fills without passing through OPEN.
  auto direct = state_after_settled_trade(
      FillState{OrderStatus::kPending, Quantity::of(0), Amount::from_units(0)}, order_quantity,
      Quantity::of(30), price("100"));
  REQUIRE(direct.ok());
  CHECK(direct->status == OrderStatus::kFilled);
}

TEST_CASE("a late settled trade keeps a final status but still counts", "[order][status][unit]") {
  for (OrderStatus final_status : {OrderStatus::kCancelled, OrderStatus::kRejected}) {
    auto next = state_after_settled_trade(
        FillState{final_status, Quantity::of(5), price("500")}, Quantity::of(10), Quantity::of(5),
        price("100"));
    REQUIRE(next.ok());
    CHECK(*next == FillState{final_status, Quantity::of(10), price("1000")});
  }
}

TEST_CASE("a fill beyond the order quantity is an error, not a clamp", "[order][status][unit]") {
  auto over = state_after_settled_trade(
      FillState{OrderStatus::kFilled, Quantity::of(10), price("1000")}, Quantity::of(10),
      Quantity::of(1), price("100"));
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == ErrorCode::kInternal);
  CHECK(over.error().reason == "fill_exceeds_quantity");
  auto overflow = state_after_settled_trade(
      FillState{OrderStatus::kOpen, Quantity::of(0), Amount::from_units(0)},
      Quantity::of(1'000'000'000'000), Quantity::of(1'000'000'000'000), price("100000"));
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.error().reason == "fill_notional_overflow");
}

TEST_CASE("a released reservation finalizes a live order only", "[order][status][unit]") {
  for (OrderStatus status : kAll) {
    INFO(to_string(status));
    const bool live = !is_terminal(status);
    CHECK(status_after_released(status, ReleaseCause::kCancelled) ==
          (live ? OrderStatus::kCancelled : status));
    CHECK(status_after_released(status, ReleaseCause::kRejected) ==
          (live ? OrderStatus::kRejected : status));
  }
}

}  // namespace bourse::order
