#include "bourse/market_data/market_view_store.h"

#include <soci/soci.h>

#include <boost/json.hpp>

#include "bourse/common/assert.h"
#include "bourse/common/ids.h"

namespace bourse::market_data {

void upsert_market_views(soci::session& session, std::span<const MarketView> views,
                         std::int32_t source_partition, std::int64_t source_next_offset) {
  for (const MarketView& view : views) {
    BOURSE_ASSERT(validate_symbol(view.symbol).ok(), "market view of a valid symbol");
    std::string levels = boost::json::serialize(levels_to_json(view));
    soci::indicator bid_ind = view.bids.empty() ? soci::i_null : soci::i_ok;
    soci::indicator ask_ind = view.asks.empty() ? soci::i_null : soci::i_ok;
    soci::indicator last_ind = view.last_trade_price ? soci::i_ok : soci::i_null;
    std::string bid_price = view.bids.empty() ? "" : view.bids.front().price.to_string();
    long long bid_quantity = view.bids.empty() ? 0 : view.bids.front().quantity.value();
    std::string ask_price = view.asks.empty() ? "" : view.asks.front().price.to_string();
    long long ask_quantity = view.asks.empty() ? 0 : view.asks.front().quantity.value();
    std::string last_price = view.last_trade_price ? view.last_trade_price->to_string() : "";
    long long last_quantity = view.last_trade_quantity ? view.last_trade_quantity->value() : 0;
    soci::indicator last_quantity_ind = view.last_trade_quantity ? soci::i_ok : soci::i_null;
    int partition = source_partition;
    long long next_offset = source_next_offset;
    session << "INSERT INTO market_view (symbol, best_bid_price, best_bid_quantity,"
               " best_ask_price, best_ask_quantity, levels_json, last_trade_price,"
               " last_trade_quantity, source_partition, source_next_offset)"
               " VALUES (:s, :bp, :bq, :ap, :aq, :l, :tp, :tq, :p, :o)"
               " ON DUPLICATE KEY UPDATE best_bid_price = VALUES(best_bid_price),"
               " best_bid_quantity = VALUES(best_bid_quantity),"
               " best_ask_price = VALUES(best_ask_price),"
               " best_ask_quantity = VALUES(best_ask_quantity), levels_json = VALUES(levels_json),"
               " last_trade_price = VALUES(last_trade_price),"
               " last_trade_quantity = VALUES(last_trade_quantity),"
               " source_partition = VALUES(source_partition),"
               " source_next_offset = VALUES(source_next_offset)",
        soci::use(view.symbol), soci::use(bid_price, bid_ind), soci::use(bid_quantity, bid_ind),
        soci::use(ask_price, ask_ind), soci::use(ask_quantity, ask_ind), soci::use(levels),
        soci::use(last_price, last_ind), soci::use(last_quantity, last_quantity_ind),
        soci::use(partition), soci::use(next_offset);
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
