// Engine: the order books of one shard, addressed by dense symbol handles.
//
// It turns a Command (new order or cancel, for one symbol) into a call on that
// symbol's OrderBook. All books share one EventListener, so the events of the whole
// shard come out in one total order. A command for a symbol the engine does not own
// is rejected (OrderRejected kUnknownSymbol, sequence 0: no book, no book sequence).
//
// Thread-safety: none; the shard's single writer thread owns the engine.
#pragma once

#include <cstdint>
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

  std::uint32_t symbol_count() const noexcept { return static_cast<std::uint32_t>(books_.size()); }
  // REQUIRES: symbol < symbol_count().
  OrderBook& book(SymbolHandle symbol);
  const OrderBook& book(SymbolHandle symbol) const;
  std::size_t resting_order_count() const noexcept;
  std::size_t memory_bytes() const noexcept;

 private:
  void reject_unknown_symbol(const Command& command);

  EventListener* listener_;
  std::vector<OrderBook> books_;
};

}  // namespace bourse::matching
