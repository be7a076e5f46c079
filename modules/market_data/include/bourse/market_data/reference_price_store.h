// The SQL of table reference_prices (migrations/0510_reference_prices.sql) and the last
// trade prices the generator pulls toward (table market_view, same module).
//
// Blocking. Every function runs on the caller's session (inside the caller's
// transaction when there is one) and lets SOCI exceptions through: callers run them
// under db::ConnectionPool::with_session / in_transaction, which translate them.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bourse/common/instrument.h"
#include "bourse/common/money.h"

namespace bourse::market_data {

struct StoredReferencePrice {
  std::string symbol;
  std::optional<Amount> price;  // nullopt: the stored text is not a positive amount
  std::int64_t seq = 0;         // writes since the row was seeded
};

// Inserts a row (seq 0) with the configured reference price of every instrument that
// has none yet; existing rows are left alone (INSERT IGNORE). Idempotent.
void seed_reference_prices(soci::session& session, std::span<const Instrument> instruments);

// Every stored row, by symbol.
std::map<std::string, StoredReferencePrice> load_reference_prices(soci::session& session);

// Compare-and-set: writes `price` and seq + 1 if the row's seq is still `expected_seq`.
// false: another writer moved it first (or the row is gone); nothing written.
// REQUIRES: price > 0.
bool update_reference_price(soci::session& session, const std::string& symbol, Amount price,
                            std::int64_t expected_seq);

// The last trade price of every symbol that traded (market_view rows with one); rows
// whose stored price does not parse as a positive amount are left out.
std::map<std::string, Amount> load_last_trade_prices(soci::session& session);

}  // namespace bourse::market_data
