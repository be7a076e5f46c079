// Goal: a book restored from a snapshot is indistinguishable from the original: same
// resting orders and priority, and the same future events; corrupt snapshots refused.
#include "bourse/matching/book_snapshot.h"

#include <catch2/catch.hpp>

#include "bourse/matching/order_book.h"

namespace bourse::matching {
namespace {

void play(OrderBook& book, std::int64_t first_id, std::int64_t count, std::uint64_t seed) {
  std::uint64_t state = seed;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (std::int64_t id = first_id; id < first_id + count; ++id) {
    const auto roll = next() % 10;
    const Side side = next() % 2 ? Side::kBuy : Side::kSell;
    const auto price = 95 + static_cast<std::int64_t>(next() % 10);
    const auto quantity = 1 + static_cast<std::int64_t>(next() % 5);
    if (roll < 6) {
      book.submit(NewOrder{OrderId(id), next() % 5, side, OrderType::kLimit, TimeInForce::kGtc,
                           price, quantity, 0});
    } else if (roll < 8) {
      // Some of these are for future ids: they end up in the pending-cancel FIFO.
      book.cancel(CancelOrder{OrderId(1 + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(id + 20)))});
    } else {
      book.submit(NewOrder{OrderId(id), next() % 5, side, OrderType::kMarket, TimeInForce::kIoc, 0,
                           quantity, 500});
    }
  }
}

TEST_CASE("a restored book produces the same future events", "[matching][snapshot]") {
  RecordingListener original_events;
  OrderBook original(3, original_events);
  play(original, 1, 2'000, 99);
  const BookSnapshot snapshot = original.snapshot();
  REQUIRE(snapshot.orders.size() > 10);
  REQUIRE_FALSE(snapshot.pending_cancels.empty());

  RecordingListener restored_events;
  OrderBook restored(3, restored_events, BookOptions{.initial_order_capacity = 1});
  REQUIRE(restored.restore(snapshot).ok());
  restored.check_invariants();
  CHECK(restored.snapshot() == snapshot);
  CHECK(restored.depth(Side::kBuy, 100) == original.depth(Side::kBuy, 100));
  CHECK(restored.depth(Side::kSell, 100) == original.depth(Side::kSell, 100));

  original_events.events.clear();
  play(original, 2'001, 2'000, 7);
  play(restored, 2'001, 2'000, 7);
  CHECK(original_events.events.size() > 2'000);
  CHECK(restored_events.events == original_events.events);
  CHECK(restored.snapshot() == original.snapshot());
}

TEST_CASE("an empty book round-trips", "[matching][snapshot]") {
  NullListener listener;
  OrderBook book(0, listener);
  OrderBook copy(0, listener);
  REQUIRE(copy.restore(book.snapshot()).ok());
  CHECK(copy.snapshot() == book.snapshot());
}

TEST_CASE("corrupt snapshots are refused and leave the book empty", "[matching][snapshot]") {
  NullListener listener;
  BookSnapshot good;
  good.symbol = 1;
  good.next_sequence = 10;
  good.next_trade_id = 4;
  good.orders = {
      {OrderId(1), 5, Side::kBuy, 100, 3, 2},
      {OrderId(2), 5, Side::kBuy, 100, 3, 4},
      {OrderId(3), 6, Side::kBuy, 99, 1, 3},
      {OrderId(4), 6, Side::kSell, 101, 1, 5},
  };
  good.pending_cancels = {77};
  {
    OrderBook book(1, listener);
    REQUIRE(book.restore(good).ok());
    CHECK(book.snapshot() == good);
  }
  auto refused = [&](const BookSnapshot& bad) {
    OrderBook book(1, listener);
    const Status status = book.restore(bad);
    CHECK_FALSE(status.ok());
    CHECK(book.resting_order_count() == 0);
    CHECK(book.pending_cancel_count() == 0);
  };
  BookSnapshot bad = good;
  bad.symbol = 2;
  refused(bad);
  bad = good;
  bad.orders[3].price_ticks = 100;  // crossed
  refused(bad);
  bad = good;
  bad.orders[1].order_id = OrderId(1);  // duplicate
  refused(bad);
  bad = good;
  std::swap(bad.orders[1], bad.orders[2]);  // worse price before better
  refused(bad);
  bad = good;
  std::swap(bad.orders[0], bad.orders[1]);  // queue out of arrival order
  refused(bad);
  bad = good;
  bad.orders[0].remaining_quantity = 0;
  refused(bad);
  bad = good;
  bad.orders[0].accepted_sequence = 10;  // not before next_sequence
  refused(bad);
  bad = good;
  bad.pending_cancels = {2};  // resting id
  refused(bad);
  bad = good;
  std::swap(bad.orders[2], bad.orders[3]);  // ask before a bid
  refused(bad);
}

}  // namespace
}  // namespace bourse::matching
