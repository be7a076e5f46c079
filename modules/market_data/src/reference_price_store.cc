#include "bourse/market_data/reference_price_store.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/common/ids.h"

namespace bourse::market_data {

void seed_reference_prices(soci::session& session, std::span<const Instrument> instruments) {
  for (const Instrument& instrument : instruments) {
    BOURSE_ASSERT(validate_instrument(instrument).ok(), "seeding from a validated instrument");
    const std::string price = instrument.reference_price.to_string();
    session << "INSERT IGNORE INTO reference_prices (symbol, price, seq) VALUES (:s, :p, 0)",
        soci::use(instrument.symbol), soci::use(price);
  }
}

std::map<std::string, StoredReferencePrice> load_reference_prices(soci::session& session) {
  std::map<std::string, StoredReferencePrice> stored;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT symbol, price, seq FROM reference_prices");
  for (const soci::row& row : rows) {
    StoredReferencePrice entry;
    entry.symbol = row.get<std::string>(0);
    auto price = Amount::parse_positive(row.get<std::string>(1));
    if (price) entry.price = *price;
    entry.seq = row.get<long long>(2);
    stored.emplace(entry.symbol, std::move(entry));
  }
  return stored;
}

bool update_reference_price(soci::session& session, const std::string& symbol, Amount price,
                            std::int64_t expected_seq) {
  BOURSE_ASSERT(price.units() > 0, "a reference price is positive");
  const std::string text = price.to_string();
  long long expected = expected_seq;
  soci::statement update =
      (session.prepare << "UPDATE reference_prices SET price = :p, seq = seq + 1"
                          " WHERE symbol = :s AND seq = :q",
       soci::use(text), soci::use(symbol), soci::use(expected));
  update.execute(true);
  // seq always changes, so a matched row is a changed row.
  return update.get_affected_rows() == 1;
}

std::map<std::string, Amount> load_last_trade_prices(soci::session& session) {
  std::map<std::string, Amount> prices;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT symbol, last_trade_price FROM market_view"
                          " WHERE last_trade_price IS NOT NULL");
  for (const soci::row& row : rows) {
    auto price = Amount::parse_positive(row.get<std::string>(1));
    if (price) prices.emplace(row.get<std::string>(0), *price);
  }
  return prices;
}

}  // namespace bourse::market_data
