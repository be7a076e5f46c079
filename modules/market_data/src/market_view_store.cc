#include "bourse/market_data/market_view_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <boost/json.hpp>
#include <vector>

#include "bourse/common/assert.h"
#include "bourse/common/ids.h"
#include "bourse/db/sql_text.h"

namespace bourse::market_data {

namespace {

// A side's best price and quantity, or two NULLs when the side is empty.
template <typename Levels>
void push_best_level(const Levels& levels, std::vector<db::SqlValue>& values) {
  if (levels.empty()) {
    values.emplace_back();
    values.emplace_back();
    return;
  }
  values.emplace_back(levels.front().price.to_string());
  values.emplace_back(static_cast<long long>(levels.front().quantity.value()));
}

}  // namespace

db::SqlStatement market_views_upsert(std::span<const MarketView> views,
                                     std::int32_t source_partition, std::int64_t source_next_offset) {
  BOURSE_ASSERT(!views.empty() && views.size() <= kMaxMarketViewsPerUpsert,
                "1..kMaxMarketViewsPerUpsert views per upsert");
  db::SqlStatement upsert{
      "INSERT INTO market_view (symbol, best_bid_price, best_bid_quantity, best_ask_price,"
      " best_ask_quantity, levels_json, last_trade_price, last_trade_quantity,"
      " source_partition, source_next_offset) VALUES " +
          db::row_placeholders(views.size(), 10) +
          " ON DUPLICATE KEY UPDATE best_bid_price = VALUES(best_bid_price),"
          " best_bid_quantity = VALUES(best_bid_quantity),"
          " best_ask_price = VALUES(best_ask_price),"
          " best_ask_quantity = VALUES(best_ask_quantity), levels_json = VALUES(levels_json),"
          " last_trade_price = VALUES(last_trade_price),"
          " last_trade_quantity = VALUES(last_trade_quantity),"
          " source_partition = VALUES(source_partition),"
          " source_next_offset = VALUES(source_next_offset)",
      {},
      std::nullopt,
      std::nullopt};
  upsert.values.reserve(10 * views.size());
  for (const MarketView& view : views) {
    BOURSE_ASSERT(validate_symbol(view.symbol).ok(), "market view of a valid symbol");
    upsert.values.emplace_back(view.symbol);
    push_best_level(view.bids, upsert.values);
    push_best_level(view.asks, upsert.values);
    upsert.values.emplace_back(boost::json::serialize(levels_to_json(view)));
    if (view.last_trade_price) {
      upsert.values.emplace_back(view.last_trade_price->to_string());
    } else {
      upsert.values.emplace_back();
    }
    if (view.last_trade_quantity) {
      upsert.values.emplace_back(static_cast<long long>(view.last_trade_quantity->value()));
    } else {
      upsert.values.emplace_back();
    }
    upsert.values.emplace_back(static_cast<long long>(source_partition));
    upsert.values.emplace_back(static_cast<long long>(source_next_offset));
  }
  return upsert;
}

void upsert_market_views(soci::session& session, std::span<const MarketView> views,
                         std::int32_t source_partition, std::int64_t source_next_offset) {
  for (std::size_t begin = 0; begin < views.size(); begin += kMaxMarketViewsPerUpsert) {
    const std::size_t count = std::min(kMaxMarketViewsPerUpsert, views.size() - begin);
    db::execute_statement(session, market_views_upsert(views.subspan(begin, count),
                                                       source_partition, source_next_offset));
  }
}

Result<std::optional<MarketView>> load_market_view(db::ConnectionPool& pool,
                                                   const std::string& symbol) {
  std::optional<MarketView> view;
  std::string levels;
  std::string last_price;
  long long last_quantity = 0;
  soci::indicator levels_ind = soci::i_null;
  soci::indicator price_ind = soci::i_null;
  soci::indicator quantity_ind = soci::i_null;
  const Status status = pool.with_session([&](soci::session& session) {
    session << "SELECT levels_json, last_trade_price, last_trade_quantity FROM market_view"
               " WHERE symbol = :s",
        soci::into(levels, levels_ind), soci::into(last_price, price_ind),
        soci::into(last_quantity, quantity_ind), soci::use(symbol);
  });
  if (!status) return status.error();
  if (levels_ind != soci::i_ok) return view;  // no row (levels_json is NOT NULL)
  MarketView loaded;
  loaded.symbol = symbol;
  if (Status parsed = levels_from_json(levels, loaded); !parsed) {
    return Error::internal("market_view row of " + symbol + ": " + parsed.error().message);
  }
  if (price_ind == soci::i_ok) {
    auto price = Amount::parse(last_price);
    if (!price) return Error::internal("market_view row of " + symbol + ": bad last_trade_price");
    loaded.last_trade_price = *price;
  }
  if (quantity_ind == soci::i_ok) {
    auto quantity = Quantity::checked_of(last_quantity);
    if (!quantity) {
      return Error::internal("market_view row of " + symbol + ": bad last_trade_quantity");
    }
    loaded.last_trade_quantity = *quantity;
  }
  view = std::move(loaded);
  return view;
}

}  // namespace bourse::market_data
