#include "bourse/matching/shard_state.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "bourse/common/assert.h"
#include "bourse/matching/engine.h"
#include "bourse/matching/event_listener.h"
#include "bourse/matching/id_index.h"
#include "bourse/matching/matching_limits.h"
#include "shard_snapshot_codec.h"

namespace bourse::matching {
namespace {

// String-keyed hash maps that can be probed with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

struct SymbolConfig {
  std::string symbol;
  std::int64_t tick_units = 0;
};

// The configured symbols, sorted by name (their handles are their positions, so a
// shard's handles do not depend on the order of the configuration). kInvalidArgument when
// the configuration is empty, too large, holds an invalid instrument or a symbol twice.
Result<std::vector<SymbolConfig>> configured_symbols(std::span<const Instrument> instruments) {
  if (instruments.empty()) return Error::invalid("a shard needs at least one symbol");
  if (instruments.size() > limits::kMaxSymbolsPerShard) {
    return Error::invalid("more symbols than a shard holds");
  }
  std::vector<SymbolConfig> symbols;
  symbols.reserve(instruments.size());
  for (const Instrument& instrument : instruments) {
    if (Status valid = validate_instrument(instrument); !valid) return valid.error();
    symbols.push_back(SymbolConfig{instrument.symbol, instrument.tick_size.units()});
  }
  std::sort(symbols.begin(), symbols.end(),
            [](const SymbolConfig& a, const SymbolConfig& b) { return a.symbol < b.symbol; });
  for (std::size_t i = 1; i < symbols.size(); ++i) {
    if (symbols[i - 1].symbol == symbols[i].symbol) {
      return Error::invalid("symbol " + symbols[i].symbol + " is configured twice");
    }
  }
  return symbols;
}

events::CancelReason wire_reason(CancelReason reason) {
  switch (reason) {
    case CancelReason::kUser:
    case CancelReason::kUserBeforeArrival:
      return events::CancelReason::kUser;
    case CancelReason::kIocRemainder:
      return events::CancelReason::kIocRemainder;
    case CancelReason::kMarketRemainder:
      return events::CancelReason::kMarketRemainder;
    case CancelReason::kFokNotFillable:
      return events::CancelReason::kFokNotFillable;
    case CancelReason::kSelfTrade:
      return events::CancelReason::kSelfTrade;
    case CancelReason::kCashCap:
      return events::CancelReason::kCashCap;
  }
  BOURSE_ASSERT(false, "the engine emits known cancel reasons");
  return events::CancelReason::kUser;
}

events::RejectReason wire_reason(RejectReason reason) {
  switch (reason) {
    case RejectReason::kBookFull:
      return events::RejectReason::kBookFull;
    case RejectReason::kUnknownSymbol:
      return events::RejectReason::kUnknownSymbol;
    default:
      return events::RejectReason::kInvalidOrder;
  }
}

// A bounded FIFO of ids with O(1) membership: remembering one more when full forgets the
// oldest. Iteration order (oldest first) is the insertion order, never the hash layout.
class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity) {}

  bool contains(std::int64_t id) const noexcept { return index_.find(id) != IdIndex::kNotFound; }
  std::size_t size() const noexcept { return ring_.size(); }

  // REQUIRES: id > 0 and not remembered.
  void remember(std::int64_t id) {
    if (ring_.size() < capacity_) {
      ring_.push_back(id);
    } else {
      const bool erased = index_.erase(ring_[oldest_]);
      BOURSE_ASSERT(erased, "every id of the ring is indexed");
      ring_[oldest_] = id;
      oldest_ = (oldest_ + 1) % capacity_;
    }
    index_.insert(id, 0);
  }

  // Loads `ids` (oldest first) into an empty memory. False (the memory is then unusable)
  // if there are more than it holds, or one is <= 0 or repeated.
  bool restore(const std::vector<std::int64_t>& ids) {
    BOURSE_ASSERT(ring_.empty(), "restore() into an empty memory");
    if (ids.size() > capacity_) return false;
    ring_.reserve(ids.size());
    index_.reserve(ids.size());
    for (const std::int64_t id : ids) {
      if (id <= 0 || contains(id)) return false;
      ring_.push_back(id);
      index_.insert(id, 0);
    }
    return true;
  }

  std::vector<std::int64_t> oldest_first() const {
    std::vector<std::int64_t> out;
    out.reserve(ring_.size());
    out.insert(out.end(), ring_.begin() + static_cast<std::ptrdiff_t>(oldest_), ring_.end());
    out.insert(out.end(), ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(oldest_));
    return out;
  }

 private:
  std::size_t capacity_;
  std::vector<std::int64_t> ring_;  // grows to capacity_, then circular
  std::size_t oldest_ = 0;          // position of the oldest id once full
  IdIndex index_;
};

bool valid_input_terms(Side side, OrderType type, TimeInForce time_in_force) {
  return (side == Side::kBuy || side == Side::kSell) &&
         (type == OrderType::kLimit || type == OrderType::kMarket) &&
         (time_in_force == TimeInForce::kGtc || time_in_force == TimeInForce::kIoc ||
          time_in_force == TimeInForce::kFok);
}

}  // namespace

struct ShardState::Impl final : EventListener {
  struct SymbolEntry {
    std::string symbol;
    std::int64_t tick_units = 0;
    std::optional<std::int64_t> last_trade_price_ticks;
    std::int64_t last_trade_quantity = 0;
    bool changed = false;
  };
  struct UserEntry {
    std::string user_id;
    UserHandle handle = 0;
    std::uint64_t resting = 0;  // resting orders of this user in the shard
  };
  // What the engine's callbacks need to know about the input being applied.
  struct Current {
    std::int64_t offset = 0;
    std::uint32_t next_index = 0;
    std::vector<ShardOutput>* out = nullptr;
    OrderId order_id;
    const std::string* user_id = nullptr;
    UserEntry* taker = nullptr;  // a Place's user, once it reaches the engine
    Side side = Side::kBuy;
    bool cancel = false;
  };

  Impl(std::int32_t partition_in, std::vector<SymbolConfig> config, std::int64_t first_offset)
      : partition(partition_in),
        next_offset(first_offset),
        recent_orders(kRecentIdsRemembered),
        recent_cancels(kRecentIdsRemembered),
        engine(static_cast<std::uint32_t>(config.size()), *this) {
    symbols.reserve(config.size());
    symbol_handles.reserve(config.size());
    for (SymbolConfig& entry : config) {
      symbol_handles.emplace(entry.symbol, static_cast<SymbolHandle>(symbols.size()));
      symbols.push_back(SymbolEntry{std::move(entry.symbol), entry.tick_units, {}, 0, false});
    }
    mark_all_changed();
  }

  // --- Inputs ---------------------------------------------------------------------

  void apply(std::int64_t offset, const ShardInput& input, std::vector<ShardOutput>& out) {
    BOURSE_ASSERT(offset >= next_offset, "ShardState inputs arrive in offset order");
    BOURSE_ASSERT(offset < std::numeric_limits<std::int64_t>::max(), "next_offset fits int64");
    current = Current{};
    current.offset = offset;
    current.out = &out;
    if (const auto* place_input = std::get_if<PlaceInput>(&input)) {
      place(*place_input);
    } else {
      cancel(std::get<CancelInput>(input));
    }
    current = Current{};
    forget_users_without_orders();
    next_offset = offset + 1;
  }

  void place(const PlaceInput& input) {
    BOURSE_ASSERT(input.order_id.valid() && validate_user_id(input.user_id).ok() &&
                      validate_symbol(input.symbol).ok() &&
                      valid_input_terms(input.side, input.type, input.time_in_force),
                  "a PlaceInput holds what order::OrderCreated guarantees");
    const std::int64_t id = input.order_id.value();
    if (recent_orders.contains(id)) return;  // a duplicate: nothing, live or in replay
    const auto symbol_it = symbol_handles.find(input.symbol);
    if (symbol_it != symbol_handles.end() && engine.book(symbol_it->second).find(input.order_id)) {
      return;  // a duplicate of an order still resting, older than the id memory
    }
    recent_orders.remember(id);
    current.order_id = input.order_id;
    current.user_id = &input.user_id;
    current.side = input.side;
    if (symbol_it == symbol_handles.end()) {
      emit(events::OrderRejected{input.order_id, input.user_id, input.symbol, input.side,
                                 events::RejectReason::kUnknownSymbol});
      return;
    }
    const SymbolHandle symbol = symbol_it->second;
    const std::int64_t tick = symbols[symbol].tick_units;
    NewOrder order;
    order.order_id = input.order_id;
    order.side = input.side;
    order.type = input.type;
    order.time_in_force = input.time_in_force;
    order.quantity = input.quantity.value();
    bool valid = true;
    if (input.type == OrderType::kLimit) {
      valid =
          input.price.has_value() && input.price->units() > 0 && input.price->units() % tick == 0;
      if (valid) order.price_ticks = input.price->units() / tick;
    } else if (input.side == Side::kBuy && input.cash_cap && input.cash_cap->units() > 0) {
      // The most the order may spend, in price_ticks x shares, rounded down.
      order.cash_cap_ticks = input.cash_cap->units() / tick;
    }
    if (!valid) {
      emit(events::OrderRejected{input.order_id, input.user_id, input.symbol, input.side,
                                 events::RejectReason::kInvalidOrder});
      return;
    }
    current.taker = &user_entry(input.user_id);
    order.user = current.taker->handle;
    engine.apply(Command::new_order(symbol, order));
  }

  void cancel(const CancelInput& input) {
    BOURSE_ASSERT(input.order_id.valid() && validate_user_id(input.user_id).ok() &&
                      validate_symbol(input.symbol).ok(),
                  "a CancelInput holds what order::CancelRequested guarantees");
    const std::int64_t id = input.order_id.value();
    if (recent_cancels.contains(id)) return;  // a duplicate cancel: nothing
    recent_cancels.remember(id);
    const auto symbol_it = symbol_handles.find(input.symbol);
    std::optional<RestingOrderView> resting;
    if (symbol_it != symbol_handles.end()) {
      resting = engine.book(symbol_it->second).find(input.order_id);
    }
    if (!resting) {
      emit(events::CancelTooLate{input.order_id, input.user_id, input.symbol});
      return;
    }
    current.order_id = input.order_id;
    current.user_id = &input.user_id;
    current.side = resting->side;
    current.cancel = true;
    const std::uint32_t before = current.next_index;
    engine.apply(Command::cancel(symbol_it->second, input.order_id));
    BOURSE_ASSERT(current.next_index == before + 1, "cancelling a resting order emits one event");
  }

  // --- Engine events -> wire events --------------------------------------------------

  void on_accepted(const OrderAccepted& e) override {
    BOURSE_ASSERT(e.order_id == current.order_id && !current.cancel, "only the new order rests");
    BOURSE_ASSERT(current.taker != nullptr && current.taker->handle == e.user, "the taker rests");
    UserEntry& user = *current.taker;
    ++user.resting;
    mark_changed(e.symbol);
    emit(events::OrderAccepted{e.order_id, user.user_id, symbols[e.symbol].symbol, e.side,
                               amount(e.symbol, e.price_ticks), Quantity::of(e.resting_quantity)});
  }

  void on_trade(const Trade& t) override {
    BOURSE_ASSERT(t.taker_order_id == current.order_id, "trades belong to the new order");
    ++trade_sequence;
    SymbolEntry& symbol = symbols[t.symbol];
    symbol.last_trade_price_ticks = t.price_ticks;
    symbol.last_trade_quantity = t.quantity;
    mark_changed(t.symbol);
    const bool taker_buys = t.taker_side == Side::kBuy;
    const std::string& maker = users.at(t.maker_user).user_id;
    BOURSE_ASSERT(current.taker != nullptr && current.taker->handle == t.taker_user,
                  "the taker trades");
    const std::string& taker = current.taker->user_id;
    events::TradeExecuted trade;
    trade.trade_id = events::global_trade_id(partition, trade_sequence);
    trade.symbol = symbol.symbol;
    trade.price = amount(t.symbol, t.price_ticks);
    trade.quantity = Quantity::of(t.quantity);
    trade.buy_order_id = taker_buys ? t.taker_order_id : t.maker_order_id;
    trade.sell_order_id = taker_buys ? t.maker_order_id : t.taker_order_id;
    trade.buyer = taker_buys ? taker : maker;
    trade.seller = taker_buys ? maker : taker;
    trade.taker_side = t.taker_side;
    trade.buy_remaining = Quantity::of(taker_buys ? t.taker_remaining : t.maker_remaining);
    trade.sell_remaining = Quantity::of(taker_buys ? t.maker_remaining : t.taker_remaining);
    if (t.maker_remaining == 0) release_resting(t.maker_user);
    emit(std::move(trade));
  }

  void on_cancelled(const OrderCancelled& c) override {
    BOURSE_ASSERT(c.order_id == current.order_id, "cancels concern the input's order");
    if (current.cancel) {
      release_resting(c.user);
      mark_changed(c.symbol);
    }
    const UserEntry& user = current.cancel ? users.at(c.user) : *current.taker;
    BOURSE_ASSERT(user.handle == c.user, "the cancelled order's user");
    emit(events::OrderCancelled{c.order_id, user.user_id, symbols[c.symbol].symbol, current.side,
                                wire_reason(c.reason), Quantity::of(c.cancelled_quantity)});
  }

  void on_rejected(const OrderRejected& r) override {
    BOURSE_ASSERT(r.order_id == current.order_id && !current.cancel, "rejects concern new orders");
    emit(events::OrderRejected{r.order_id, *current.user_id, symbols[r.symbol].symbol, current.side,
                               wire_reason(r.reason)});
  }

  // --- Helpers ------------------------------------------------------------------------

  // Appends one output, the event constructed in place.
  template <typename Event>
  void emit(Event&& event) {
    current.out->emplace_back(current.offset, current.next_index++, std::forward<Event>(event));
  }

  Amount amount(SymbolHandle symbol, std::int64_t price_ticks) const {
    std::int64_t units = 0;
    const bool overflow = __builtin_mul_overflow(price_ticks, symbols[symbol].tick_units, &units);
    BOURSE_ASSERT(!overflow && units > 0 && units <= Amount::kMaxUnits,
                  "a price in ticks came from an Amount of this tick size");
    return Amount::from_units(units);
  }

  // The user's entry, created (with the next handle) if the user has none.
  UserEntry& user_entry(const std::string& user_id) {
    const auto it = user_handles.find(user_id);
    if (it != user_handles.end()) return *it->second;
    const UserHandle handle = next_user_handle++;
    UserEntry& entry = users.emplace(handle, UserEntry{user_id, handle, 0}).first->second;
    user_handles.emplace(user_id, &entry);
    maybe_unused.push_back(handle);  // forgotten after this input unless its order rests
    return entry;
  }

  void release_resting(UserHandle handle) {
    UserEntry& user = users.at(handle);
    BOURSE_ASSERT(user.resting > 0, "a user's resting orders are counted");
    if (--user.resting == 0) maybe_unused.push_back(handle);
  }

  // Users with no resting order are forgotten: the map stays as large as the books.
  void forget_users_without_orders() {
    for (const UserHandle handle : maybe_unused) {
      const auto it = users.find(handle);
      if (it == users.end() || it->second.resting > 0) continue;
      user_handles.erase(it->second.user_id);
      users.erase(it);
    }
    maybe_unused.clear();
  }

  void mark_changed(SymbolHandle symbol) {
    if (!symbols[symbol].changed) {
      symbols[symbol].changed = true;
      changed.push_back(symbol);
    }
  }
  void mark_all_changed() {
    for (SymbolHandle symbol = 0; symbol < symbols.size(); ++symbol) mark_changed(symbol);
  }

  snapshot::ShardSnapshot to_snapshot() const {
    snapshot::ShardSnapshot s;
    s.partition = partition;
    s.next_offset = next_offset;
    s.trade_sequence = trade_sequence;
    s.next_user_handle = next_user_handle;
    s.symbols.reserve(symbols.size());
    for (SymbolHandle handle = 0; handle < symbols.size(); ++handle) {
      const SymbolEntry& entry = symbols[handle];
      s.symbols.push_back(
          snapshot::SymbolSnapshot{entry.symbol, entry.tick_units, entry.last_trade_price_ticks,
                                   entry.last_trade_quantity, engine.book(handle).snapshot()});
    }
    s.users.reserve(users.size());
    for (const auto& [handle, user] : users) s.users.push_back({handle, user.user_id});
    std::sort(s.users.begin(), s.users.end(),
              [](const auto& a, const auto& b) { return a.handle < b.handle; });
    s.recent_order_ids = recent_orders.oldest_first();
    s.recent_cancel_ids = recent_cancels.oldest_first();
    return s;
  }

  std::int32_t partition;
  std::int64_t next_offset;
  std::int64_t trade_sequence = 0;  // the last one handed out
  UserHandle next_user_handle = 1;
  std::vector<SymbolEntry> symbols;  // by handle = position in name order
  StringMap<SymbolHandle> symbol_handles;
  std::unordered_map<UserHandle, UserEntry> users;  // never iterated into an output
  StringMap<UserEntry*> user_handles;               // into `users` (nodes never move)
  std::vector<UserHandle> maybe_unused;
  RecentIds recent_orders;
  RecentIds recent_cancels;
  std::vector<SymbolHandle> changed;
  Current current;
  Engine engine;  // last: it keeps a reference to *this as its listener
};

ShardState::ShardState(std::int32_t partition, std::span<const Instrument> instruments,
                       std::int64_t first_offset) {
  BOURSE_ASSERT(partition >= 0 && partition < events::kMaxPartitions, "partition in range");
  BOURSE_ASSERT(first_offset >= 0, "offsets are >= 0");
  auto config = configured_symbols(instruments);
  BOURSE_ASSERT(config.ok(), "a shard's instruments are valid, distinct and not empty");
  impl_ = std::make_unique<Impl>(partition, std::move(*config), first_offset);
}

ShardState::~ShardState() = default;
ShardState::ShardState(ShardState&&) noexcept = default;
ShardState& ShardState::operator=(ShardState&&) noexcept = default;

void ShardState::apply(std::int64_t offset, const ShardInput& input,
                       std::vector<ShardOutput>& out) {
  impl_->apply(offset, input, out);
}

std::int32_t ShardState::partition() const noexcept { return impl_->partition; }
std::int64_t ShardState::next_offset() const noexcept { return impl_->next_offset; }
std::size_t ShardState::resting_orders() const noexcept {
  return impl_->engine.resting_order_count();
}

std::optional<SymbolView> ShardState::view(std::string_view symbol, std::size_t depth) const {
  const auto it = impl_->symbol_handles.find(symbol);
  if (it == impl_->symbol_handles.end()) return std::nullopt;
  const SymbolHandle handle = it->second;
  const OrderBook& book = impl_->engine.book(handle);
  const Impl::SymbolEntry& entry = impl_->symbols[handle];
  SymbolView view;
  view.symbol = entry.symbol;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    auto& levels = side == Side::kBuy ? view.bids : view.asks;
    for (const LevelView& level : book.depth(side, depth)) {
      // A level's total may exceed one order's ceiling; the view saturates there.
      levels.push_back(PriceLevelView{impl_->amount(handle, level.price_ticks),
                                      Quantity::of(std::min(level.total_quantity, Quantity::kMax)),
                                      level.order_count});
    }
  }
  if (entry.last_trade_price_ticks) {
    view.last_trade_price = impl_->amount(handle, *entry.last_trade_price_ticks);
    view.last_trade_quantity = Quantity::of(entry.last_trade_quantity);
  }
  return view;
}

std::vector<std::string> ShardState::take_changed_symbols() {
  std::vector<SymbolHandle>& changed = impl_->changed;
  std::sort(changed.begin(), changed.end());  // handles are in name order
  std::vector<std::string> names;
  names.reserve(changed.size());
  for (const SymbolHandle handle : changed) {
    names.push_back(impl_->symbols[handle].symbol);
    impl_->symbols[handle].changed = false;
  }
  changed.clear();
  return names;
}

std::string ShardState::encode() const { return snapshot::encode_snapshot(impl_->to_snapshot()); }

Result<ShardState> ShardState::decode(std::string_view blob, std::int32_t partition,
                                      std::span<const Instrument> instruments) {
  auto decoded = snapshot::decode_snapshot(blob);
  if (!decoded) return decoded.error();
  snapshot::ShardSnapshot& s = *decoded;
  if (s.partition != partition) {
    return Error{ErrorCode::kMalformed,
                 "the snapshot is of partition " + std::to_string(s.partition) + ", not " +
                     std::to_string(partition),
                 "wrong_partition"};
  }
  auto config = configured_symbols(instruments);
  if (!config) return config.error();
  // Every symbol of the snapshot must be configured with the same tick size.
  std::vector<SymbolHandle> handles;
  handles.reserve(s.symbols.size());
  for (const snapshot::SymbolSnapshot& symbol : s.symbols) {
    const auto it = std::lower_bound(
        config->begin(), config->end(), symbol.symbol,
        [](const SymbolConfig& entry, const std::string& name) { return entry.symbol < name; });
    if (it == config->end() || it->symbol != symbol.symbol) {
      return Error::invalid(
          "the snapshot holds symbol " + symbol.symbol + ", which is not configured",
          "snapshot_configuration_mismatch");
    }
    if (it->tick_units != symbol.tick_units) {
      return Error::invalid(
          "symbol " + symbol.symbol + " has another tick size than in the snapshot",
          "snapshot_configuration_mismatch");
    }
    handles.push_back(static_cast<SymbolHandle>(it - config->begin()));
  }

  // The partition is in range (the codec checked it) and the configuration valid.
  ShardState state(partition, instruments, s.next_offset);
  Impl& impl = *state.impl_;
  impl.trade_sequence = s.trade_sequence;
  impl.next_user_handle = s.next_user_handle;
  for (snapshot::UserSnapshot& user : s.users) {
    Impl::UserEntry& entry =
        impl.users.emplace(user.handle, Impl::UserEntry{user.user_id, user.handle, 0})
            .first->second;
    impl.user_handles.emplace(std::move(user.user_id), &entry);
  }
  for (std::size_t i = 0; i < s.symbols.size(); ++i) {
    snapshot::SymbolSnapshot& symbol = s.symbols[i];
    const SymbolHandle handle = handles[i];
    Impl::SymbolEntry& entry = impl.symbols[handle];
    entry.last_trade_price_ticks = symbol.last_trade_price_ticks;
    entry.last_trade_quantity = symbol.last_trade_quantity;
    for (const SnapshotOrder& order : symbol.book.orders) ++impl.users.at(order.user).resting;
    symbol.book.symbol = handle;
    if (Status restored = impl.engine.book(handle).restore(symbol.book); !restored) {
      return Error{ErrorCode::kMalformed, restored.error().message, "invalid_snapshot"};
    }
  }
  if (!impl.recent_orders.restore(s.recent_order_ids) ||
      !impl.recent_cancels.restore(s.recent_cancel_ids)) {
    return Error{ErrorCode::kMalformed, "invalid shard snapshot: an id memory repeats an id",
                 "invalid_snapshot"};
  }
  return state;
}

}  // namespace bourse::matching
