// Goal: the engine routes each command to its symbol's book and rejects the rest.
#include "bourse/matching/engine.h"

#include <catch2/catch.hpp>

namespace bourse::matching {
namespace {

TEST_CASE("commands reach their symbol's book", "[matching][engine]") {
  RecordingListener listener;
  Engine engine(3, listener);
  engine.apply(Command::new_order(
      2, NewOrder{OrderId(1), 5, Side::kSell, OrderType::kLimit, TimeInForce::kGtc, 100, 4, 0}));
  engine.apply(Command::new_order(
      1, NewOrder{OrderId(2), 6, Side::kBuy, OrderType::kLimit, TimeInForce::kGtc, 100, 4, 0}));
  CHECK(engine.book(2).resting_order_count() == 1);
  CHECK(engine.book(1).resting_order_count() == 1);  // different symbols never trade
  engine.apply(Command::cancel(2, OrderId(1)));
  CHECK(engine.book(2).resting_order_count() == 0);
  CHECK(engine.resting_order_count() == 1);
  REQUIRE(listener.events.size() == 3);
  CHECK(std::get<OrderCancelled>(listener.events[2]).symbol == 2);
}

TEST_CASE("a command for an unknown symbol is rejected", "[matching][engine]") {
  RecordingListener listener;
  Engine engine(1, listener);
  engine.apply(Command::new_order(
      5, NewOrder{OrderId(1), 5, Side::kSell, OrderType::kLimit, TimeInForce::kGtc, 100, 4, 0}));
  engine.apply(Command::cancel(9, OrderId(1)));
  REQUIRE(listener.events.size() == 2);
  CHECK(std::get<OrderRejected>(listener.events[0]) ==
        OrderRejected{0, 5, OrderId(1), 5, RejectReason::kUnknownSymbol});
  CHECK(std::get<OrderRejected>(listener.events[1]).user == 0);
}

}  // namespace
}  // namespace bourse::matching
