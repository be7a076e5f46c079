#include "shard_snapshot_codec.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "bourse/common/assert.h"
#include "bourse/common/ids.h"
#include "bourse/matching/events.h"
#include "bourse/matching/id_index.h"

namespace bourse::matching::snapshot {
namespace {

// Fixed sizes of the records whose count is read before them (to bound the count by the
// bytes left before anything is allocated).
constexpr std::size_t kOrderBytes = 8 + 8 + 1 + 8 + 8 + 8;
constexpr std::size_t kMinIdBytes = 1;  // a varint
constexpr std::size_t kMinSymbolBytes = 1 + 1 + 8 + 1 + 8 + 8 + 8 + 8 + 4 + 4;
constexpr std::size_t kMinUserBytes = 8 + 1 + 1;

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

Error malformed(std::string what) {
  return Error{ErrorCode::kMalformed, "invalid shard snapshot: " + what, "invalid_snapshot"};
}

// --- Writing ------------------------------------------------------------------------

class Writer {
 public:
  void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void u32(std::uint32_t value) { put(value, 4); }
  void u64(std::uint64_t value) { put(value, 8); }
  void i32(std::int32_t value) { put(static_cast<std::uint32_t>(value), 4); }
  void i64(std::int64_t value) { put(static_cast<std::uint64_t>(value), 8); }
  void bytes(std::string_view text) { out_.append(text); }
  // A string of at most 255 bytes, with its length.
  void short_string(std::string_view text) {
    BOURSE_ASSERT(text.size() <= 0xFF, "snapshot strings fit a one-byte length");
    u8(static_cast<std::uint8_t>(text.size()));
    bytes(text);
  }
  void count(std::size_t value) {
    BOURSE_ASSERT(value <= 0xFFFF'FFFFu, "snapshot counts fit u32");
    u32(static_cast<std::uint32_t>(value));
  }
  // Positive ids as LEB128 varints of the zigzagged difference to the previous id (the
  // first to 0): ids are mostly increasing, so most take one to three bytes.
  void ids(const std::vector<std::int64_t>& values) {
    count(values.size());
    std::int64_t previous = 0;
    for (const std::int64_t id : values) {
      BOURSE_ASSERT(id > 0, "snapshot ids are positive");
      varint(zigzag(id - previous));  // both positive: no overflow
      previous = id;
    }
  }
  void varint(std::uint64_t value) {
    char bytes[10];
    std::size_t n = 0;
    while (value >= 0x80) {
      bytes[n++] = static_cast<char>((value & 0x7F) | 0x80);
      value >>= 7;
    }
    bytes[n++] = static_cast<char>(value);
    out_.append(bytes, n);
  }
  std::string& buffer() { return out_; }

 private:
  void put(std::uint64_t value, int width) {
    char bytes[8];
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(bytes, &value, 8);
    } else {
      for (int i = 0; i < width; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
    }
    out_.append(bytes, static_cast<std::size_t>(width));
  }
  std::string out_;
};

// --- Reading: every read is bounds-checked; a failed read leaves the reader failed ---------

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::size_t left() const noexcept { return data_.size() - pos_; }
  bool done() const noexcept { return pos_ == data_.size(); }

  bool u8(std::uint8_t& value) {
    if (left() < 1) return false;
    value = static_cast<std::uint8_t>(data_[pos_++]);
    return true;
  }
  bool u32(std::uint32_t& value) {
    std::uint64_t wide = 0;
    if (!get(wide, 4)) return false;
    value = static_cast<std::uint32_t>(wide);
    return true;
  }
  bool u64(std::uint64_t& value) { return get(value, 8); }
  bool i32(std::int32_t& value) {
    std::uint32_t raw = 0;
    if (!u32(raw)) return false;
    value = static_cast<std::int32_t>(raw);
    return true;
  }
  bool i64(std::int64_t& value) {
    std::uint64_t raw = 0;
    if (!u64(raw)) return false;
    value = static_cast<std::int64_t>(raw);
    return true;
  }
  bool short_string(std::string& text) {
    std::uint8_t length = 0;
    if (!u8(length) || left() < length) return false;
    text.assign(data_.substr(pos_, length));
    pos_ += length;
    return true;
  }
  // A canonical LEB128 varint of at most 10 bytes (no redundant trailing zero group, no
  // bits past 64), so that every value has exactly one encoding.
  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t byte = 0;
      if (!u8(byte)) return false;
      if (shift == 63 && byte > 1) return false;  // bits past 64
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return shift == 0 || byte != 0;  // minimal encoding
    }
    return false;
  }
  // A count <= `limit` whose records (at least `record_bytes` each) fit in what is left.
  bool count(std::uint32_t& value, std::uint64_t limit, std::size_t record_bytes) {
    if (!u32(value)) return false;
    return value <= limit && static_cast<std::uint64_t>(value) * record_bytes <= left();
  }

 private:
  bool get(std::uint64_t& value, int width) {
    if (left() < static_cast<std::size_t>(width)) return false;
    value = 0;
    for (int i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += static_cast<std::size_t>(width);
    return true;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

// price_ticks x tick_units stays a valid Amount.
bool price_fits(std::int64_t price_ticks, std::int64_t tick_units) {
  return price_ticks > 0 && price_ticks <= limits::kMaxPriceTicks &&
         price_ticks <= limits::kMaxPriceTicks / tick_units;
}

// Ids as Writer::ids writes them, each > 0. (Uniqueness is checked where they are
// loaded: OrderBook::restore for pending cancels, the id memory for recent ids.)
Status read_ids(Reader& in, std::vector<std::int64_t>& ids, std::uint64_t limit,
                const std::string& what) {
  std::uint32_t n = 0;
  if (!in.count(n, limit, kMinIdBytes)) return malformed(what + ": bad count");
  ids.resize(n);
  std::int64_t previous = 0;
  for (std::int64_t& id : ids) {
    std::uint64_t encoded = 0;
    if (!in.varint(encoded)) return malformed(what + ": truncated or bad varint");
    const std::int64_t delta = unzigzag(encoded);
    if (__builtin_add_overflow(previous, delta, &id) || id <= 0) {
      return malformed(what + ": id out of range");
    }
    previous = id;
  }
  return Status::success();
}

Status read_symbol(Reader& in, SymbolSnapshot& s, std::uint32_t index) {
  if (!in.short_string(s.symbol)) return malformed("symbol name truncated");
  if (!validate_symbol(s.symbol).ok()) return malformed("invalid symbol name");
  const std::string where = "symbol " + s.symbol + ": ";
  if (!in.i64(s.tick_units)) return malformed(where + "truncated");
  if (s.tick_units <= 0 || s.tick_units > limits::kMaxPriceTicks) {
    return malformed(where + "tick size out of range");
  }
  std::uint8_t has_last = 0;
  std::int64_t last_price = 0;
  if (!in.u8(has_last) || !in.i64(last_price) || !in.i64(s.last_trade_quantity)) {
    return malformed(where + "truncated");
  }
  if (has_last > 1) return malformed(where + "bad last-trade flag");
  if (has_last == 1) {
    if (!price_fits(last_price, s.tick_units)) return malformed(where + "last trade price");
    if (s.last_trade_quantity <= 0 || s.last_trade_quantity > limits::kMaxOrderQuantity) {
      return malformed(where + "last trade quantity");
    }
    s.last_trade_price_ticks = last_price;
  } else if (last_price != 0 || s.last_trade_quantity != 0) {
    return malformed(where + "last trade without its flag");
  }
  BookSnapshot& book = s.book;
  book.symbol = index;
  if (!in.u64(book.next_sequence) || !in.i64(book.next_trade_id)) {
    return malformed(where + "truncated");
  }
  if (book.next_sequence < 1 || book.next_sequence > kMaxCounter) {
    return malformed(where + "next_sequence out of range");
  }
  if (book.next_trade_id < 1 || book.next_trade_id > kMaxTradeSequence + 1) {
    return malformed(where + "next_trade_id out of range");
  }
  std::uint32_t orders = 0;
  if (!in.count(orders, kMaxOrdersPerBook, kOrderBytes))
    return malformed(where + "bad order count");
  book.orders.resize(orders);
  for (SnapshotOrder& order : book.orders) {
    std::int64_t id = 0;
    std::uint8_t side = 0;
    if (!in.i64(id) || !in.u64(order.user) || !in.u8(side) || !in.i64(order.price_ticks) ||
        !in.i64(order.remaining_quantity) || !in.u64(order.accepted_sequence)) {
      return malformed(where + "order truncated");
    }
    if (id <= 0) return malformed(where + "order id <= 0");
    order.order_id = OrderId(id);
    if (side > 1) return malformed(where + "bad side");
    order.side = static_cast<Side>(side);
    if (order.user == 0) return malformed(where + "user handle 0");
    if (!price_fits(order.price_ticks, s.tick_units)) return malformed(where + "order price");
    if (order.remaining_quantity <= 0 || order.remaining_quantity > limits::kMaxOrderQuantity) {
      return malformed(where + "order quantity");
    }
    if (order.accepted_sequence < 1 || order.accepted_sequence >= book.next_sequence) {
      return malformed(where + "accepted_sequence out of range");
    }
  }
  return read_ids(in, book.pending_cancels, kMaxPendingCancelsPerBook, where + "pending cancels");
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string encode_snapshot(const ShardSnapshot& s) {
  Writer out;
  std::size_t estimate =
      kHeaderBytes + 64 + (s.recent_order_ids.size() + s.recent_cancel_ids.size()) * 3;
  for (const SymbolSnapshot& symbol : s.symbols) {
    estimate += kMinSymbolBytes + symbol.symbol.size() + symbol.book.orders.size() * kOrderBytes +
                symbol.book.pending_cancels.size() * 10;
  }
  estimate += s.users.size() * (kMinUserBytes + 16);
  out.buffer().reserve(estimate);
  out.bytes(std::string_view(kMagic, sizeof kMagic));
  out.u32(kShardSnapshotFormat);
  out.u64(0);  // body length, patched below
  out.u64(0);  // checksum, patched below
  out.i32(s.partition);
  out.i64(s.next_offset);
  out.i64(s.trade_sequence);
  out.u64(s.next_user_handle);
  out.count(s.symbols.size());
  for (const SymbolSnapshot& symbol : s.symbols) {
    out.short_string(symbol.symbol);
    out.i64(symbol.tick_units);
    out.u8(symbol.last_trade_price_ticks ? 1 : 0);
    out.i64(symbol.last_trade_price_ticks.value_or(0));
    out.i64(symbol.last_trade_price_ticks ? symbol.last_trade_quantity : 0);
    out.u64(symbol.book.next_sequence);
    out.i64(symbol.book.next_trade_id);
    out.count(symbol.book.orders.size());
    for (const SnapshotOrder& order : symbol.book.orders) {
      out.i64(order.order_id.value());
      out.u64(order.user);
      out.u8(static_cast<std::uint8_t>(order.side));
      out.i64(order.price_ticks);
      out.i64(order.remaining_quantity);
      out.u64(order.accepted_sequence);
    }
    out.ids(symbol.book.pending_cancels);
  }
  out.count(s.users.size());
  for (const UserSnapshot& user : s.users) {
    out.u64(user.handle);
    out.short_string(user.user_id);
  }
  out.ids(s.recent_order_ids);
  out.ids(s.recent_cancel_ids);

  std::string blob = std::move(out.buffer());
  BOURSE_ASSERT(blob.size() <= kMaxSnapshotBytes, "a shard snapshot stays within its limit");
  const std::uint64_t body_length = blob.size() - kHeaderBytes;
  const std::uint64_t checksum = fnv1a64(std::string_view(blob).substr(kHeaderBytes));
  for (int i = 0; i < 8; ++i) {
    blob[8 + i] = static_cast<char>((body_length >> (8 * i)) & 0xFF);
    blob[16 + i] = static_cast<char>((checksum >> (8 * i)) & 0xFF);
  }
  return blob;
}

Result<ShardSnapshot> decode_snapshot(std::string_view blob) {
  if (blob.size() < kHeaderBytes) return malformed("shorter than its header");
  if (blob.size() > kMaxSnapshotBytes) return malformed("larger than the limit");
  if (std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0) return malformed("bad magic");
  Reader header(blob.substr(sizeof kMagic, kHeaderBytes - sizeof kMagic));
  std::uint32_t format = 0;
  std::uint64_t body_length = 0;
  std::uint64_t checksum = 0;
  if (!header.u32(format) || !header.u64(body_length) || !header.u64(checksum)) {
    return malformed("header truncated");
  }
  if (format != kShardSnapshotFormat) {
    return malformed("unknown format " + std::to_string(format));
  }
  const std::string_view body = blob.substr(kHeaderBytes);
  if (body_length != body.size()) return malformed("body length does not match");
  if (fnv1a64(body) != checksum) return malformed("checksum mismatch");

  Reader in(body);
  ShardSnapshot s;
  if (!in.i32(s.partition) || !in.i64(s.next_offset) || !in.i64(s.trade_sequence) ||
      !in.u64(s.next_user_handle)) {
    return malformed("truncated");
  }
  if (s.partition < 0 || s.partition >= events::kMaxPartitions) {
    return malformed("partition out of range");
  }
  if (s.next_offset < 0 || s.next_offset > static_cast<std::int64_t>(kMaxCounter)) {
    return malformed("next_offset out of range");
  }
  if (s.trade_sequence < 0 || s.trade_sequence > kMaxTradeSequence) {
    return malformed("trade_sequence out of range");
  }
  if (s.next_user_handle < 1 || s.next_user_handle > kMaxCounter) {
    return malformed("next_user_handle out of range");
  }

  std::uint32_t symbols = 0;
  if (!in.count(symbols, kMaxSymbols, kMinSymbolBytes) || symbols == 0) {
    return malformed("bad symbol count");
  }
  s.symbols.resize(symbols);
  std::uint64_t total_orders = 0;
  // Sum of the books' trade counts; each term <= kMaxTradeSequence and there are at most
  // 65,536 of them, so the sum fits in unsigned __int128 trivially and in uint64 too.
  unsigned __int128 book_trades = 0;
  for (std::uint32_t i = 0; i < symbols; ++i) {
    if (Status read = read_symbol(in, s.symbols[i], i); !read) return read.error();
    if (i > 0 && !(s.symbols[i - 1].symbol < s.symbols[i].symbol)) {
      return malformed("symbols not strictly ascending");
    }
    total_orders += s.symbols[i].book.orders.size();
    book_trades += static_cast<unsigned __int128>(s.symbols[i].book.next_trade_id - 1);
  }
  if (book_trades != static_cast<unsigned __int128>(s.trade_sequence)) {
    return malformed("the books' trade counts do not add up to the trade sequence");
  }

  std::uint32_t users = 0;
  if (!in.count(users, total_orders, kMinUserBytes)) return malformed("bad user count");
  s.users.resize(users);
  std::unordered_set<std::string_view> user_ids;
  user_ids.reserve(users);
  for (std::uint32_t i = 0; i < users; ++i) {
    UserSnapshot& user = s.users[i];
    if (!in.u64(user.handle) || !in.short_string(user.user_id)) return malformed("user truncated");
    if (user.handle == 0 || user.handle >= s.next_user_handle) {
      return malformed("user handle out of range");
    }
    if (i > 0 && s.users[i - 1].handle >= user.handle) {
      return malformed("user handles not strictly ascending");
    }
    if (!validate_user_id(user.user_id).ok()) return malformed("invalid user id");
  }
  for (const UserSnapshot& user : s.users) {
    if (!user_ids.insert(user.user_id).second) return malformed("duplicate user id");
  }

  if (Status read = read_ids(in, s.recent_order_ids, kMaxRecentIds, "recent order ids"); !read) {
    return read.error();
  }
  if (Status read = read_ids(in, s.recent_cancel_ids, kMaxRecentIds, "recent cancel ids"); !read) {
    return read.error();
  }
  if (!in.done()) return malformed("trailing bytes");

  // Cross-references: users <-> resting orders, resting ids unique in the shard.
  std::vector<std::uint64_t> resting_per_user(s.users.size(), 0);
  IdIndex resting_ids;
  resting_ids.reserve(total_orders);
  for (const SymbolSnapshot& symbol : s.symbols) {
    for (const SnapshotOrder& order : symbol.book.orders) {
      const auto it = std::lower_bound(
          s.users.begin(), s.users.end(), order.user,
          [](const UserSnapshot& user, UserHandle handle) { return user.handle < handle; });
      if (it == s.users.end() || it->handle != order.user) {
        return malformed("an order's user is not in the user table");
      }
      ++resting_per_user[static_cast<std::size_t>(it - s.users.begin())];
      if (resting_ids.find(order.order_id.value()) != IdIndex::kNotFound) {
        return malformed("an order id rests twice");
      }
      resting_ids.insert(order.order_id.value(), 0);
    }
  }
  for (const std::uint64_t count : resting_per_user) {
    if (count == 0) return malformed("a user without resting orders");
  }
  return s;
}

}  // namespace bourse::matching::snapshot
