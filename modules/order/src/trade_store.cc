#include "trade_store.h"

#include <soci/soci.h>

#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "bourse/common/assert.h"
#include "bourse/db/sql_batch.h"
#include "bourse/db/sql_text.h"

namespace bourse::order::store {
namespace {

using std::chrono::microseconds;
using std::chrono::system_clock;

// The raw columns every branch of a read selects (the outer query formats them).
constexpr const char* kRawColumns =
    "trade_id, symbol, price_units, quantity, buy_order_id, sell_order_id, buyer, seller, "
    "executed_at, settled_at";
// The columns row_to_trade expects, in its order.
constexpr const char* kTradeColumns =
    "trade_id, symbol, price_units, quantity, buy_order_id, sell_order_id, buyer, seller, "
    "CAST(UNIX_TIMESTAMP(executed_at) * 1000000 AS SIGNED), "
    "CAST(UNIX_TIMESTAMP(settled_at) * 1000000 AS SIGNED)";
// A TIMESTAMP(6) from microseconds since the epoch, exact (FROM_UNIXTIME of a division
// would round to div_precision_increment digits).
constexpr const char* kFromMicros = "FROM_UNIXTIME(:seconds) + INTERVAL :micros MICROSECOND";

long long int_column(const soci::row& row, std::size_t index) {
  switch (row.get_properties(index).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(index);
    case soci::dt_long_long:
      return row.get<long long>(index);
    case soci::dt_unsigned_long_long: {
      const unsigned long long value = row.get<unsigned long long>(index);
      BOURSE_ASSERT(value <= static_cast<unsigned long long>(INT64_MAX),
                    "integer column fits int64");
      return static_cast<long long>(value);
    }
    case soci::dt_string:
      return std::stoll(row.get<std::string>(index));
    default:
      BOURSE_ASSERT(false, "trades column is an integer");
  }
  return 0;
}

system_clock::time_point from_micros(long long micros) {
  return system_clock::time_point(microseconds(micros));
}

long long to_micros(system_clock::time_point time) {
  return std::chrono::duration_cast<microseconds>(time.time_since_epoch()).count();
}

void assert_trade(const Trade& trade) {
  BOURSE_ASSERT(trade.trade_id.valid(), "trade ids are positive");
  BOURSE_ASSERT(trade.price.units() > 0 && trade.quantity.value() > 0,
                "a trade has a positive price and quantity");
  BOURSE_ASSERT(trade.buy_order_id.valid() && trade.sell_order_id.valid() &&
                    trade.buy_order_id != trade.sell_order_id,
                "a trade has two different orders");
  BOURSE_ASSERT(!trade.symbol.empty() && !trade.buyer.empty() && !trade.seller.empty(),
                "a trade names its symbol and users");
}

Trade row_to_trade(const soci::row& row) {
  Trade trade;
  trade.trade_id = TradeId(int_column(row, 0));
  trade.symbol = row.get<std::string>(1);
  trade.price = Amount::from_units(int_column(row, 2));
  trade.quantity = Quantity::of(int_column(row, 3));
  trade.buy_order_id = OrderId(int_column(row, 4));
  trade.sell_order_id = OrderId(int_column(row, 5));
  trade.buyer = row.get<std::string>(6);
  trade.seller = row.get<std::string>(7);
  trade.executed_at = from_micros(int_column(row, 8));
  if (row.get_indicator(9) != soci::i_null) trade.settled_at = from_micros(int_column(row, 9));
  assert_trade(trade);
  return trade;
}

// Values bound to a statement built piece by piece, in placeholder order: SOCI binds
// by position, so call placeholder() in the order the text is appended (one call per
// statement: the operands of one `+` expression are evaluated in an unspecified order).
// Deques keep their elements in place: SOCI binds references.
class Binds {
 public:
  std::string placeholder(std::string value) {
    strings_.push_back(std::move(value));
    order_.emplace_back(&strings_.back());
    return next_name();
  }
  std::string placeholder(long long value) {
    ints_.push_back(value);
    order_.emplace_back(&ints_.back());
    return next_name();
  }
  void bind(soci::details::prepare_temp_type& statement) const {
    for (const auto& value : order_) {
      if (auto text = std::get_if<const std::string*>(&value)) {
        statement, soci::use(**text);
      } else {
        statement, soci::use(*std::get<const long long*>(value));
      }
    }
  }

 private:
  std::string next_name() { return ":p" + std::to_string(order_.size()); }
  std::deque<std::string> strings_;
  std::deque<long long> ints_;
  std::vector<std::variant<const std::string*, const long long*>> order_;
};

}  // namespace

void insert_trades_if_absent(soci::session& session, std::span<const Trade> trades) {
  BOURSE_ASSERT(!trades.empty() && trades.size() <= limits::kMaxStatusRowsPerStatement,
                "1..kMaxStatusRowsPerStatement trades per insert");
  struct Bound {
    long long trade_id, price, quantity, buy_order, sell_order, seconds, micros;
  };
  std::vector<Bound> bound;  // never reallocated: the statement binds references
  bound.reserve(trades.size());
  std::string rows;
  for (std::size_t i = 0; i < trades.size(); ++i) {
    const Trade& trade = trades[i];
    assert_trade(trade);
    BOURSE_ASSERT(i == 0 || trades[i - 1].trade_id < trade.trade_id,
                  "trades are inserted in ascending trade id order");
    const long long executed = to_micros(trade.executed_at);
    BOURSE_ASSERT(executed >= 0, "trades are executed after 1970");
    bound.push_back(Bound{trade.trade_id.value(), trade.price.units(), trade.quantity.value(),
                          trade.buy_order_id.value(), trade.sell_order_id.value(),
                          executed / 1'000'000, executed % 1'000'000});
    const std::string n = std::to_string(i);
    rows += (i == 0 ? "(:t" : ", (:t") + n + ", :sy" + n + ", :p" + n + ", :q" + n + ", :bo" + n +
            ", :so" + n + ", :b" + n + ", :s" + n + ", FROM_UNIXTIME(:es" + n +
            ") + INTERVAL :em" + n + " MICROSECOND)";
  }
  // ON DUPLICATE KEY UPDATE (not INSERT IGNORE, which would also swallow other errors):
  // an existing row stays as it is, and is locked like an inserted one.
  soci::details::prepare_temp_type insert =
      (session.prepare << "INSERT INTO trades (trade_id, symbol, price_units, quantity, "
                          "buy_order_id, sell_order_id, buyer, seller, executed_at) VALUES " +
                              rows + " ON DUPLICATE KEY UPDATE trade_id = trade_id");
  for (std::size_t i = 0; i < trades.size(); ++i) {
    const Bound& b = bound[i];
    insert, soci::use(b.trade_id), soci::use(trades[i].symbol), soci::use(b.price),
        soci::use(b.quantity), soci::use(b.buy_order), soci::use(b.sell_order),
        soci::use(trades[i].buyer), soci::use(trades[i].seller), soci::use(b.seconds),
        soci::use(b.micros);
  }
  soci::statement statement(insert);
  statement.execute(true);
}

std::map<TradeId, Trade> lock_trades(soci::session& session, std::span<const TradeId> trade_ids) {
  BOURSE_ASSERT(!trade_ids.empty() && trade_ids.size() <= limits::kMaxStatusRowsPerStatement,
                "1..kMaxStatusRowsPerStatement trades per lock");
  std::vector<long long> ids;  // never reallocated: the statement binds references
  ids.reserve(trade_ids.size());
  for (TradeId id : trade_ids) {
    BOURSE_ASSERT(ids.empty() || ids.back() < id.value(), "trades are locked in ascending order");
    ids.push_back(id.value());
  }
  soci::details::prepare_temp_type select =
      (session.prepare << std::string("SELECT ") + kTradeColumns +
                              " FROM trades WHERE trade_id IN (" +
                              db::row_placeholders(ids.size(), 1) +
                              ") ORDER BY trade_id FOR UPDATE");
  for (const long long& id : ids) select, soci::use(id);
  soci::rowset<soci::row> rows(select);
  std::map<TradeId, Trade> trades;
  for (const soci::row& row : rows) {
    Trade trade = row_to_trade(row);
    const TradeId id = trade.trade_id;
    trades.emplace(id, std::move(trade));
  }
  return trades;
}

db::SqlStatement trades_settled_update(std::span<const TradeSettledAt> settled) {
  BOURSE_ASSERT(!settled.empty() && settled.size() <= limits::kMaxStatusRowsPerStatement,
                "1..kMaxStatusRowsPerStatement trades per settlement");
  db::SqlStatement update;
  std::string cases;
  for (std::size_t i = 0; i < settled.size(); ++i) {
    BOURSE_ASSERT(i == 0 || settled[i - 1].trade_id < settled[i].trade_id,
                  "trades are settled in ascending trade id order");
    const long long micros = to_micros(settled[i].settled_at);
    BOURSE_ASSERT(micros >= 0, "trades are settled after 1970");
    const std::string n = std::to_string(i);
    cases += " WHEN :t" + n + " THEN FROM_UNIXTIME(:ss" + n + ") + INTERVAL :sm" + n +
             " MICROSECOND";
    update.values.insert(update.values.end(), {settled[i].trade_id.value(), micros / 1'000'000,
                                               micros % 1'000'000});
  }
  for (const TradeSettledAt& one : settled) update.values.emplace_back(one.trade_id.value());
  update.text = "UPDATE trades FORCE INDEX (PRIMARY) SET settled_at = CASE trade_id" + cases +
                " END WHERE trade_id IN (" + db::row_placeholders(settled.size(), 1) + ")";
  // Every trade named was unsettled and is now settled.
  update.expected_rows = static_cast<long long>(settled.size());
  return update;
}

std::optional<TradePage> list_trades(soci::session& session, const TradeQuery& query) {
  BOURSE_ASSERT(query.limit >= 1 && query.limit <= limits::kMaxTradeListLimit,
                "validated trade limit");
  // The cursor's position in the sort order, as the session renders it (compared back in
  // the same session time zone).
  std::string cursor_at;
  if (query.starting_after) {
    const long long cursor_id = query.starting_after->value();
    soci::indicator found = soci::i_null;
    session << "SELECT DATE_FORMAT(executed_at, '%Y-%m-%d %H:%i:%s.%f') FROM trades "
               "WHERE trade_id = :trade_id",
        soci::use(cursor_id), soci::into(cursor_at, found);
    if (!session.got_data() || found != soci::i_ok) return std::nullopt;
  }
  const long long fetch = query.limit + 1;  // one more tells whether there is a next page

  // One branch per index to read: by order (buy, sell), else by user (buyer, seller),
  // else by symbol or time alone. The other filters become conditions of every branch.
  std::vector<std::string> drivers;
  if (query.order_id) {
    drivers = {"buy_order_id", "sell_order_id"};
  } else if (query.user_id) {
    drivers = {"buyer", "seller"};
  } else {
    drivers = {""};
  }
  Binds binds;
  std::string sql = std::string("SELECT ") + kTradeColumns + " FROM (";
  for (std::size_t i = 0; i < drivers.size(); ++i) {
    if (i > 0) sql += " UNION ";
    sql += std::string("(SELECT ") + kRawColumns + " FROM trades WHERE 1 = 1";
    if (query.order_id) {
      sql += " AND " + drivers[i] + " = " + binds.placeholder(query.order_id->value());
    }
    if (query.user_id) {
      if (query.order_id) {
        sql += " AND (buyer = " + binds.placeholder(*query.user_id);
        sql += " OR seller = " + binds.placeholder(*query.user_id) + ")";
      } else {
        sql += " AND " + drivers[i] + " = " + binds.placeholder(*query.user_id);
      }
    }
    if (query.symbol) sql += " AND symbol = " + binds.placeholder(*query.symbol);
    if (query.starting_after) {
      sql += " AND (executed_at < " + binds.placeholder(cursor_at);
      sql += " OR (executed_at = " + binds.placeholder(cursor_at);
      sql += " AND trade_id < " + binds.placeholder(query.starting_after->value()) + "))";
    }
    sql += " ORDER BY executed_at DESC, trade_id DESC LIMIT " + binds.placeholder(fetch) + ")";
  }
  sql += ") AS page ORDER BY page.executed_at DESC, page.trade_id DESC LIMIT " +
         binds.placeholder(fetch);

  soci::details::prepare_temp_type statement = (session.prepare << sql);
  binds.bind(statement);
  soci::rowset<soci::row> rows(statement);
  TradePage page;
  for (const soci::row& row : rows) {
    if (page.trades.size() == static_cast<std::size_t>(query.limit)) {
      page.has_more = true;
      break;
    }
    page.trades.push_back(row_to_trade(row));
  }
  return page;
}

}  // namespace bourse::order::store
