// Engine: the order books of one shard, addressed by dense symbol handles.
//
// It turns a Command (new order or cancel, for one symbol) into a call on that
// symbol's OrderBook. All books share one EventListener, so the events of the whole
// shard come out in one total order. A command for a symbol the engine does not own
// is rejected (OrderRejected kUnknownSymbol, sequence 0: no book, no book sequence).
//
// Thread-safety: none; the shard's single writer thread owns the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bourse/matching/event_listener.h"
#include "bourse/matching/order_book.h"
#include "bourse/matching/types.h"

namespace bourse::matching {

// One unit of shard input: 56 bytes, trivially copyable (it travels through a ring).
struct Command {
  enum class Kind : std::uint8_t { kNewOrder = 0, kCancel = 1 };

  Kind kind = Kind::kNewOrder;
  SymbolHandle symbol = 0;
  NewOrder order;  // for kCancel only order.order_id is used

  static Command new_order(SymbolHandle symbol, const NewOrder& order) {
    return Command{Kind::kNewOrder, symbol, order};
  }
  static Command cancel(SymbolHandle symbol, OrderId order_id) {
    Command command{Kind::kCancel, symbol, NewOrder{}};
    command.order.order_id = order_id;
    return command;
  }
  friend bool operator==(const Command&, const Command&) = default;
};

class Engine {
 public:
  // REQUIRES: 1 <= symbol_count <= limits::kMaxSymbolsPerShard; `listener` outlives
  // the engine.
  Engine(std::uint32_t symbol_count, EventListener& listener, BookOptions book_options = {});

  void apply(const Command& command) {
    if (command.symbol >= books_.size()) [[unlikely]] {
      reject_unknown_symbol(command);
      return;
    }
    OrderBook& book = books_[command.symbol];
    if (command.kind == Command::Kind::kNewOrder) {
      book.submit(command.order);
    } else {
      book.cancel(CancelOrder{command.order.order_id});
    }
  }

  // Applies `commands` in order: exactly the events of calling apply() on each, but
  // while command i runs it prefetches what commands i+1..i+kLookahead will touch
  // (their book, id-index slot, order node, levels), so with many books (a working
  // set far beyond the caches) their memory misses overlap instead of queueing.
  void apply(std::span<const Command> commands) {
    for (std::size_t i = 0; i < commands.size(); ++i) apply_with_lookahead(commands, i);
  }
  // One step of the above: prefetches for the commands after `index`, then applies
  // commands[index]. For callers that time each command (benchmarks).
  // REQUIRES: index < commands.size().
  void apply_with_lookahead(std::span<const Command> commands, std::size_t index) {
    const std::size_t n = commands.size();
    if (prefetching_) {
      if (index + kBookDistance < n) prefetch_book(commands[index + kBookDistance]);
      if (index + kStage1Distance < n) prefetch_stage(commands[index + kStage1Distance], 1);
      if (index + kStage2Distance < n) prefetch_stage(commands[index + kStage2Distance], 2);
      if (index + kStage3Distance < n) prefetch_stage(commands[index + kStage3Distance], 3);
      if (index + kStage4Distance < n) prefetch_stage(commands[index + kStage4Distance], 4);
    }
    apply(commands[index]);
  }
  static constexpr std::size_t kLookahead = 10;

  std::uint32_t symbol_count() const noexcept { return static_cast<std::uint32_t>(books_.size()); }
  // REQUIRES: symbol < symbol_count().
  OrderBook& book(SymbolHandle symbol);
  const OrderBook& book(SymbolHandle symbol) const;
  std::size_t resting_order_count() const noexcept;
  std::size_t memory_bytes() const noexcept;

 private:
  void reject_unknown_symbol(const Command& command);

  static constexpr std::size_t kBookDistance = kLookahead;
  static constexpr std::size_t kStage1Distance = 8;
  static constexpr std::size_t kStage2Distance = 6;
  static constexpr std::size_t kStage3Distance = 4;
  static constexpr std::size_t kStage4Distance = 2;
  // Few books fit in the caches: prefetching would only add instructions.
  static constexpr std::uint32_t kPrefetchMinSymbols = 16;

  void prefetch_book(const Command& command) const noexcept {
    if (command.symbol >= books_.size()) return;
    const char* book = reinterpret_cast<const char*>(&books_[command.symbol]);
    for (std::size_t offset = 0; offset < sizeof(OrderBook); offset += 64) {
      __builtin_prefetch(book + offset);
    }
  }
  void prefetch_stage(const Command& command, int stage) const noexcept {
    if (command.symbol >= books_.size()) return;
    const OrderBook& book = books_[command.symbol];
    if (command.kind == Command::Kind::kNewOrder) {
      book.prefetch_submit(command.order, stage);
    } else {
      book.prefetch_cancel(command.order.order_id, stage);
    }
  }

  EventListener* listener_;
  std::vector<OrderBook> books_;
  bool prefetching_ = false;
};

}  // namespace bourse::matching
