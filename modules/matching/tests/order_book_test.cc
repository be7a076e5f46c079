// Goal: prove every order book rule of issue 3 on small, hand-checked scenarios.
#include "bourse/matching/order_book.h"

#include <catch2/catch.hpp>

#include <variant>

namespace bourse::matching {
namespace {

constexpr SymbolHandle kSymbol = 7;

class BookFixture {
 public:
  explicit BookFixture(BookOptions options = {}) : book(kSymbol, listener, options) {}

  void limit(std::int64_t id, UserHandle user, Side side, std::int64_t price, std::int64_t quantity,
             TimeInForce tif = TimeInForce::kGtc) {
    book.submit(NewOrder{OrderId(id), user, side, OrderType::kLimit, tif, price, quantity, 0});
    book.check_invariants();
  }
  void market(std::int64_t id, UserHandle user, Side side, std::int64_t quantity,
              std::int64_t cash_cap = 0, TimeInForce tif = TimeInForce::kIoc) {
    book.submit(NewOrder{OrderId(id), user, side, OrderType::kMarket, tif, 0, quantity, cash_cap});
    book.check_invariants();
  }
  void cancel(std::int64_t id) {
    book.cancel(CancelOrder{OrderId(id)});
    book.check_invariants();
  }
  template <typename E>
  std::vector<E> all() const {
    std::vector<E> out;
    for (const Event& event : listener.events) {
      if (const auto* e = std::get_if<E>(&event)) out.push_back(*e);
    }
    return out;
  }
  template <typename E>
  E last() const {
    REQUIRE(!listener.events.empty());
    const auto* e = std::get_if<E>(&listener.events.back());
    INFO(to_string(listener.events.back()));
    REQUIRE(e != nullptr);
    return *e;
  }
  void clear() { listener.events.clear(); }

  RecordingListener listener;
  OrderBook book;
};

TEST_CASE("queries are safe on an empty book", "[matching][book]") {
  BookFixture f;
  CHECK_FALSE(f.book.best_bid().has_value());
  CHECK_FALSE(f.book.best_ask().has_value());
  CHECK(f.book.depth(Side::kBuy, 10).empty());
  CHECK(f.book.depth(Side::kSell, 0).empty());
  CHECK_FALSE(f.book.find(OrderId(1)).has_value());
  CHECK_FALSE(f.book.find(OrderId(0)).has_value());
  CHECK(f.book.resting_order_count() == 0);
  f.book.check_invariants();
}

TEST_CASE("a GTC limit order that does not cross rests and is accepted", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kBuy, 100, 5);
  const auto accepted = f.last<OrderAccepted>();
  CHECK(accepted == OrderAccepted{1, kSymbol, OrderId(1), 10, Side::kBuy, 100, 5});
  f.limit(2, 11, Side::kBuy, 100, 3);
  f.limit(3, 12, Side::kBuy, 99, 4);
  f.limit(4, 13, Side::kSell, 105, 2);
  REQUIRE(f.book.best_bid().has_value());
  CHECK(*f.book.best_bid() == LevelView{100, 8, 2});
  CHECK(*f.book.best_ask() == LevelView{105, 2, 1});
  CHECK(f.book.depth(Side::kBuy, 10) == std::vector<LevelView>{{100, 8, 2}, {99, 4, 1}});
  CHECK(f.book.depth(Side::kBuy, 1) == std::vector<LevelView>{{100, 8, 2}});
  CHECK(f.all<Trade>().empty());
}

TEST_CASE("orders at an equal price fill first in, first out", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 2);
  f.limit(2, 11, Side::kSell, 100, 2);
  f.limit(3, 12, Side::kSell, 100, 2);
  f.clear();
  f.limit(4, 20, Side::kBuy, 100, 5);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 3);
  CHECK(trades[0].maker_order_id == OrderId(1));
  CHECK(trades[1].maker_order_id == OrderId(2));
  CHECK(trades[2].maker_order_id == OrderId(3));
  CHECK(trades[2].quantity == 1);
  CHECK(trades[2].maker_remaining == 1);
  CHECK(trades[2].taker_remaining == 0);
  CHECK(f.book.find(OrderId(3))->remaining_quantity == 1);
}

TEST_CASE("better prices fill first, at the resting order's price", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 102, 1);
  f.limit(2, 11, Side::kSell, 100, 1);
  f.limit(3, 12, Side::kSell, 101, 1);
  f.clear();
  f.limit(4, 20, Side::kBuy, 105, 3);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 3);
  CHECK(trades[0].price_ticks == 100);
  CHECK(trades[1].price_ticks == 101);
  CHECK(trades[2].price_ticks == 102);
  CHECK(trades[0].trade_id == TradeId(1));
  CHECK(trades[2].trade_id == TradeId(3));
  CHECK(trades[0].taker_side == Side::kBuy);
  CHECK(trades[0].maker_user == 11);
  CHECK(trades[0].taker_user == 20);
  CHECK(f.book.resting_order_count() == 0);
}

TEST_CASE("a partially filled resting order keeps its place in the queue", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 10);
  f.limit(2, 11, Side::kSell, 100, 5);
  f.limit(3, 12, Side::kBuy, 100, 4);  // order 1 -> 6 left, still first
  f.limit(4, 13, Side::kSell, 100, 5);  // arrives after the partial fill
  f.clear();
  f.limit(5, 14, Side::kBuy, 100, 7);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 2);
  CHECK(trades[0].maker_order_id == OrderId(1));
  CHECK(trades[0].quantity == 6);
  CHECK(trades[1].maker_order_id == OrderId(2));
  CHECK(trades[1].quantity == 1);
  CHECK(f.book.depth(Side::kSell, 5) == std::vector<LevelView>{{100, 9, 2}});
}

TEST_CASE("a crossing GTC limit order rests its remainder after trading", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 3);
  f.clear();
  f.limit(2, 11, Side::kBuy, 101, 5);
  REQUIRE(f.listener.events.size() == 2);
  CHECK(std::get<Trade>(f.listener.events[0]).quantity == 3);
  CHECK(f.last<OrderAccepted>().resting_quantity == 2);
  CHECK(*f.book.best_bid() == LevelView{101, 2, 1});
  CHECK_FALSE(f.book.best_ask().has_value());
}

TEST_CASE("a market order on an empty book is cancelled, never rests", "[matching][book]") {
  BookFixture f;
  f.market(1, 10, Side::kSell, 5);
  CHECK(f.last<OrderCancelled>() ==
        OrderCancelled{1, kSymbol, OrderId(1), 10, CancelReason::kMarketRemainder, 5});
  f.market(2, 10, Side::kBuy, 5, 1'000'000, TimeInForce::kGtc);
  CHECK(f.last<OrderCancelled>().reason == CancelReason::kMarketRemainder);
  CHECK(f.book.resting_order_count() == 0);
  CHECK(f.all<Trade>().empty());
}

TEST_CASE("a market order sweeps levels and cancels the remainder", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kBuy, 100, 2);
  f.limit(2, 11, Side::kBuy, 99, 2);
  f.limit(3, 12, Side::kBuy, 50, 1);
  f.clear();
  f.market(4, 20, Side::kSell, 10);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 3);
  CHECK(trades[2].price_ticks == 50);
  CHECK(f.last<OrderCancelled>().cancelled_quantity == 5);
  CHECK(f.last<OrderCancelled>().reason == CancelReason::kMarketRemainder);
  CHECK(f.book.resting_order_count() == 0);
}

TEST_CASE("a market buy stops before it would exceed its cash cap", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 5);
  f.limit(2, 11, Side::kSell, 110, 5);
  f.clear();
  // 5 x 100 = 500, then floor(270 / 110) = 2 lots (220), 50 left < 110.
  f.market(3, 20, Side::kBuy, 10, 770);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 2);
  CHECK(trades[0].quantity == 5);
  CHECK(trades[1].quantity == 2);
  CHECK(trades[1].price_ticks == 110);
  std::int64_t spent = 0;
  for (const Trade& t : trades) spent += t.price_ticks * t.quantity;
  CHECK(spent == 720);
  CHECK(f.last<OrderCancelled>() ==
        OrderCancelled{f.book.next_sequence() - 1, kSymbol, OrderId(3), 20, CancelReason::kCashCap, 3});
  CHECK(f.book.find(OrderId(2))->remaining_quantity == 3);

  SECTION("a cap below one lot at the best price trades nothing") {
    f.clear();
    f.market(4, 21, Side::kBuy, 1, 109);
    CHECK(f.all<Trade>().empty());
    CHECK(f.last<OrderCancelled>().reason == CancelReason::kCashCap);
  }
  SECTION("a cap that covers everything leaves a market remainder instead") {
    f.clear();
    f.market(5, 21, Side::kBuy, 10, 1'000'000);
    CHECK(f.all<Trade>().size() == 1);
    CHECK(f.last<OrderCancelled>().reason == CancelReason::kMarketRemainder);
    CHECK(f.last<OrderCancelled>().cancelled_quantity == 7);
  }
}

TEST_CASE("a FOK order that cannot fill leaves no trace", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 3);
  f.limit(2, 11, Side::kSell, 101, 3);
  f.limit(3, 12, Side::kSell, 103, 3);
  const BookSnapshot before = f.book.snapshot();
  f.clear();
  f.limit(4, 20, Side::kBuy, 102, 7, TimeInForce::kFok);  // only 6 at <= 102
  REQUIRE(f.listener.events.size() == 1);
  CHECK(f.last<OrderCancelled>().reason == CancelReason::kFokNotFillable);
  CHECK(f.last<OrderCancelled>().cancelled_quantity == 7);
  BookSnapshot after = f.book.snapshot();
  CHECK(after.next_sequence == before.next_sequence + 1);  // only the cancellation event
  after.next_sequence = before.next_sequence;
  CHECK(after == before);

  SECTION("a FOK blocked by the user's own resting order is not fillable either") {
    f.clear();
    f.limit(5, 11, Side::kBuy, 103, 9, TimeInForce::kFok);  // user 11 owns order 2
    CHECK(f.all<Trade>().empty());
    CHECK(f.last<OrderCancelled>().reason == CancelReason::kFokNotFillable);
  }
  SECTION("a FOK market buy beyond its cash cap is not fillable") {
    f.clear();
    f.market(6, 20, Side::kBuy, 4, 400, TimeInForce::kFok);  // 300 + 101 > 400
    CHECK(f.all<Trade>().empty());
    CHECK(f.last<OrderCancelled>().reason == CancelReason::kFokNotFillable);
  }
  SECTION("a FOK that can fill fills completely across levels") {
    f.clear();
    f.limit(7, 20, Side::kBuy, 103, 9, TimeInForce::kFok);
    CHECK(f.all<Trade>().size() == 3);
    CHECK(f.all<OrderCancelled>().empty());
    CHECK(f.book.resting_order_count() == 0);
  }
}

TEST_CASE("an IOC remainder is cancelled", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kBuy, 100, 3);
  f.clear();
  f.limit(2, 20, Side::kSell, 99, 5, TimeInForce::kIoc);
  CHECK(f.all<Trade>().size() == 1);
  CHECK(f.last<OrderCancelled>().reason == CancelReason::kIocRemainder);
  CHECK(f.last<OrderCancelled>().cancelled_quantity == 2);
  CHECK(f.book.resting_order_count() == 0);
  f.clear();
  f.limit(3, 20, Side::kSell, 99, 5, TimeInForce::kIoc);  // nothing to trade with
  CHECK(f.last<OrderCancelled>().cancelled_quantity == 5);
}

TEST_CASE("a cancel that arrives before its order drops the order", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 5);
  f.clear();
  f.cancel(42);
  CHECK(f.listener.events.empty());
  CHECK(f.book.has_pending_cancel(OrderId(42)));
  f.limit(42, 20, Side::kBuy, 100, 5);  // would trade, but is cancelled first
  CHECK(f.all<Trade>().empty());
  CHECK(f.last<OrderCancelled>() == OrderCancelled{2, kSymbol, OrderId(42), 20,
                                                   CancelReason::kUserBeforeArrival, 5});
  CHECK_FALSE(f.book.has_pending_cancel(OrderId(42)));
  CHECK(f.book.find(OrderId(1))->remaining_quantity == 5);
  // The id is forgotten: a later order with the same id is processed normally.
  f.limit(42, 20, Side::kBuy, 100, 1);
  CHECK(f.all<Trade>().size() == 1);
}

TEST_CASE("remembered cancels are bounded and evicted oldest first", "[matching][book]") {
  BookFixture f(BookOptions{.initial_order_capacity = 4, .max_resting_orders = 100,
                            .max_pending_cancels = 2});
  f.cancel(1);
  f.cancel(2);
  f.cancel(1);  // already remembered: keeps its place
  f.cancel(3);  // evicts 1
  CHECK(f.book.pending_cancel_count() == 2);
  CHECK_FALSE(f.book.has_pending_cancel(OrderId(1)));
  f.limit(1, 10, Side::kBuy, 100, 1);
  CHECK(f.last<OrderAccepted>().order_id == OrderId(1));
  f.limit(2, 10, Side::kBuy, 100, 1);
  CHECK(f.last<OrderCancelled>().reason == CancelReason::kUserBeforeArrival);
  CHECK(f.book.snapshot().pending_cancels == std::vector<std::int64_t>{3});
}

TEST_CASE("cancelling a partially filled order removes its remainder", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 10);
  f.limit(2, 11, Side::kBuy, 100, 4);
  f.clear();
  f.cancel(1);
  CHECK(f.last<OrderCancelled>() ==
        OrderCancelled{3, kSymbol, OrderId(1), 10, CancelReason::kUser, 6});
  CHECK(f.book.resting_order_count() == 0);
  CHECK_FALSE(f.book.best_ask().has_value());
  f.clear();
  f.cancel(1);  // gone now: remembered, no event
  CHECK(f.listener.events.empty());
}

TEST_CASE("cancelling in the middle of a queue keeps the others' order", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 1);
  f.limit(2, 11, Side::kSell, 100, 1);
  f.limit(3, 12, Side::kSell, 100, 1);
  f.limit(4, 13, Side::kSell, 101, 1);
  f.cancel(2);
  f.cancel(4);  // removes a whole non-best level
  CHECK(f.book.level_count(Side::kSell) == 1);
  f.clear();
  f.limit(5, 20, Side::kBuy, 101, 2);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 2);
  CHECK(trades[0].maker_order_id == OrderId(1));
  CHECK(trades[1].maker_order_id == OrderId(3));
}

TEST_CASE("an incoming order never trades with its own user's resting order", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 99, 3);
  f.limit(2, 20, Side::kSell, 100, 5);
  f.limit(3, 10, Side::kSell, 100, 5);
  f.clear();
  f.limit(4, 20, Side::kBuy, 100, 10);
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 1);
  CHECK(trades[0].maker_order_id == OrderId(1));
  CHECK(f.last<OrderCancelled>() ==
        OrderCancelled{f.book.next_sequence() - 1, kSymbol, OrderId(4), 20, CancelReason::kSelfTrade, 7});
  CHECK(f.book.find(OrderId(2))->remaining_quantity == 5);  // untouched
  CHECK_FALSE(f.book.find(OrderId(4)).has_value());         // did not rest

  SECTION("market orders too") {
    f.clear();
    f.market(5, 20, Side::kBuy, 1, 1'000);
    CHECK(f.all<Trade>().empty());
    CHECK(f.last<OrderCancelled>().reason == CancelReason::kSelfTrade);
  }
}

TEST_CASE("invalid input is rejected and changes nothing", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 5);
  const BookSnapshot before = f.book.snapshot();
  f.clear();
  f.limit(2, 10, Side::kBuy, 100, 0);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidQuantity);
  f.limit(3, 10, Side::kBuy, 100, -4);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidQuantity);
  f.limit(4, 10, Side::kBuy, 100, limits::kMaxOrderQuantity + 1);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidQuantity);
  f.limit(5, 10, Side::kBuy, 0, 1);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidPrice);
  f.limit(6, 10, Side::kBuy, -100, 1);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidPrice);
  f.limit(7, 10, Side::kBuy, limits::kMaxPriceTicks + 1, 1);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidPrice);
  f.limit(1, 11, Side::kBuy, 90, 1);
  CHECK(f.last<OrderRejected>() ==
        OrderRejected{f.book.next_sequence() - 1, kSymbol, OrderId(1), 11, RejectReason::kDuplicateOrderId});
  f.limit(0, 11, Side::kBuy, 90, 1);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidOrderId);
  f.limit(-5, 11, Side::kBuy, 90, 1);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidOrderId);
  f.market(8, 11, Side::kBuy, 1, 0);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidCashCap);
  f.book.submit(NewOrder{OrderId(9), 11, static_cast<Side>(7), OrderType::kLimit,
                         TimeInForce::kGtc, 90, 1, 0});
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidSide);
  f.book.submit(NewOrder{OrderId(9), 11, Side::kBuy, static_cast<OrderType>(9),
                         TimeInForce::kGtc, 90, 1, 0});
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidType);
  f.book.submit(NewOrder{OrderId(9), 11, Side::kBuy, OrderType::kLimit,
                         static_cast<TimeInForce>(3), 90, 1, 0});
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidTimeInForce);
  f.cancel(0);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kInvalidOrderId);
  CHECK(f.all<OrderRejected>().size() == f.listener.events.size());
  BookSnapshot after = f.book.snapshot();
  after.next_sequence = before.next_sequence;
  CHECK(after == before);
}

TEST_CASE("a market sell needs no cash cap and ignores the price", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kBuy, 100, 5);
  f.clear();
  f.book.submit(NewOrder{OrderId(2), 20, Side::kSell, OrderType::kMarket, TimeInForce::kIoc, -3, 2, 0});
  CHECK(f.all<Trade>().size() == 1);
  CHECK(f.all<Trade>()[0].price_ticks == 100);
}

TEST_CASE("a full book rejects resting orders but still matches takers", "[matching][book]") {
  BookFixture f(BookOptions{.initial_order_capacity = 1, .max_resting_orders = 2,
                            .max_pending_cancels = 4});
  f.limit(1, 10, Side::kSell, 100, 5);
  f.limit(2, 10, Side::kSell, 101, 5);
  f.limit(3, 10, Side::kSell, 102, 5);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kBookFull);
  f.limit(4, 20, Side::kBuy, 100, 1, TimeInForce::kIoc);
  CHECK(f.last<Trade>().quantity == 1);
  // A GTC limit is refused up front while the book is full, even one that would
  // have filled completely (the check does not depend on the match outcome).
  f.limit(5, 20, Side::kBuy, 100, 4);
  CHECK(f.last<OrderRejected>().reason == RejectReason::kBookFull);
  f.limit(5, 20, Side::kBuy, 100, 4, TimeInForce::kIoc);  // fills order 1: room again
  f.limit(6, 10, Side::kSell, 102, 5);
  CHECK(f.last<OrderAccepted>().order_id == OrderId(6));
}

TEST_CASE("sequence numbers and trade ids are monotonic and gap-free", "[matching][book]") {
  BookFixture f;
  f.limit(1, 10, Side::kSell, 100, 5);
  f.limit(2, 11, Side::kSell, 101, 5);
  f.limit(3, 12, Side::kBuy, 101, 7, TimeInForce::kIoc);
  f.cancel(2);
  f.limit(4, 12, Side::kBuy, 0, 7);
  Sequence expected = 1;
  for (const Event& event : f.listener.events) {
    const Sequence sequence = std::visit([](const auto& e) { return e.sequence; }, event);
    CHECK(sequence == expected++);
  }
  const auto trades = f.all<Trade>();
  REQUIRE(trades.size() == 2);
  CHECK(trades[0].trade_id == TradeId(1));
  CHECK(trades[1].trade_id == TradeId(2));
  CHECK(f.book.next_trade_id() == 3);
}

TEST_CASE("the same input always yields the same events", "[matching][book]") {
  auto run = [] {
    BookFixture f(BookOptions{.initial_order_capacity = 1, .max_resting_orders = 1000,
                              .max_pending_cancels = 8});
    std::uint64_t state = 12345;
    auto next = [&state] {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      return state >> 33;
    };
    for (std::int64_t id = 1; id < 3000; ++id) {
      const auto roll = next() % 10;
      const Side side = next() % 2 ? Side::kBuy : Side::kSell;
      if (roll < 6) {
        f.limit(id, next() % 7, side, 95 + static_cast<std::int64_t>(next() % 10),
                1 + static_cast<std::int64_t>(next() % 5));
      } else if (roll < 8) {
        f.cancel(1 + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(id)));
      } else {
        f.market(id, next() % 7, side, 1 + static_cast<std::int64_t>(next() % 8), 2'000);
      }
    }
    return f.listener.events;
  };
  const auto first = run();
  CHECK(first.size() > 3000);
  CHECK(run() == first);
}

}  // namespace
}  // namespace bourse::matching
