#include "bourse/matching/engine.h"

#include "bourse/common/assert.h"

namespace bourse::matching {

Engine::Engine(std::uint32_t symbol_count, EventListener& listener, BookOptions book_options)
    : listener_(&listener) {
  prefetching_ = symbol_count >= kPrefetchMinSymbols;
  BOURSE_ASSERT(symbol_count >= 1 && symbol_count <= limits::kMaxSymbolsPerShard,
                "symbol_count out of range");
  books_.reserve(symbol_count);
  for (std::uint32_t symbol = 0; symbol < symbol_count; ++symbol) {
    books_.emplace_back(symbol, listener, book_options);
  }
}

OrderBook& Engine::book(SymbolHandle symbol) {
  BOURSE_ASSERT(symbol < books_.size(), "unknown symbol handle");
  return books_[symbol];
}

const OrderBook& Engine::book(SymbolHandle symbol) const {
  BOURSE_ASSERT(symbol < books_.size(), "unknown symbol handle");
  return books_[symbol];
}

std::size_t Engine::resting_order_count() const noexcept {
  std::size_t total = 0;
  for (const OrderBook& book : books_) total += book.resting_order_count();
  return total;
}

std::size_t Engine::memory_bytes() const noexcept {
  std::size_t total = books_.capacity() * sizeof(OrderBook);
  for (const OrderBook& book : books_) total += book.memory_bytes();
  return total;
}

void Engine::reject_unknown_symbol(const Command& command) {
  const UserHandle user = command.kind == Command::Kind::kNewOrder ? command.order.user : 0;
  listener_->on_rejected(
      OrderRejected{0, command.symbol, command.order.order_id, user, RejectReason::kUnknownSymbol});
}

}  // namespace bourse::matching
