// Goal: the engine routes each command to its symbol's book and rejects the rest.
#include "bourse/matching/engine.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <span>
#include <vector>

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

TEST_CASE("apply over a batch (with prefetching) emits exactly the per-command events",
          "[matching][engine]") {
  // 64 symbols: above the prefetch threshold. Random mix of every order kind, cancels of
  // live, finished and unknown ids, invalid input and unknown symbols.
  constexpr std::uint32_t kSymbols = 64;
  std::uint64_t state = 7;
  const auto next = [&state](std::uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  std::vector<Command> commands;
  std::int64_t next_id = 1;
  for (int i = 0; i < 200'000; ++i) {
    const auto symbol = static_cast<SymbolHandle>(next(kSymbols + 1));  // kSymbols: unknown
    if (next(100) < 40 && next_id > 1) {
      commands.push_back(Command::cancel(symbol, OrderId(static_cast<std::int64_t>(
                                                     1 + next(static_cast<std::uint64_t>(next_id + 5))))));
      continue;
    }
    NewOrder order{OrderId(next(1000) == 0 ? 0 : next_id++),
                   1 + next(20),
                   next(2) ? Side::kBuy : Side::kSell,
                   next(10) == 0 ? OrderType::kMarket : OrderType::kLimit,
                   static_cast<TimeInForce>(next(8) == 0 ? 1 + next(2) : 0),
                   static_cast<std::int64_t>(950 + next(100)),
                   static_cast<std::int64_t>(1 + next(50)),
                   static_cast<std::int64_t>(next(100'000))};
    commands.push_back(Command::new_order(symbol, order));
  }
  RecordingListener one_by_one;
  Engine reference(kSymbols, one_by_one, BookOptions{.initial_order_capacity = 4});
  for (const Command& command : commands) reference.apply(command);
  RecordingListener batched;
  Engine engine(kSymbols, batched, BookOptions{.initial_order_capacity = 4});
  const std::span<const Command> all(commands);
  for (std::size_t offset = 0; offset < all.size(); offset += 1'000) {
    engine.apply(all.subspan(offset, std::min<std::size_t>(1'000, all.size() - offset)));
  }
  REQUIRE(batched.events.size() == one_by_one.events.size());
  CHECK(batched.events == one_by_one.events);
  for (SymbolHandle symbol = 0; symbol < kSymbols; ++symbol) {
    engine.book(symbol).check_invariants();
    CHECK(engine.book(symbol).snapshot() == reference.book(symbol).snapshot());
  }
}

}  // namespace
}  // namespace bourse::matching
