// Every instance's view of the current reference prices: a copy of table
// reference_prices (written by whichever instance runs the price generator), refreshed
// every refresh interval, served from memory to order validation (price band, market
// BUY cash cap) and to the market and symbol routes.
//
// Before the first successful load, and for any symbol without a usable stored price
// (missing row, not a positive multiple of the symbol's tick, past
// kMaxModelPriceUnits), a symbol's reference is its configured one. When the database
// cannot be read the view keeps its last load (stale by at most the outage) and logs;
// it never blocks a reader.
//
// Only symbols of the symbol table are kept, so the view's size is bounded by it.
//
// Thread-safety: reference_price()/loaded() are safe from any thread and never block
// on I/O (a mutex around a small map). refresh() blocks on the database; start() runs
// it every refresh interval on a thread of its own until stop() (idempotent; also the
// destructor).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bourse/common/error.h"
#include "bourse/common/instrument.h"
#include "bourse/common/reference_price_source.h"
#include "bourse/db/connection_pool.h"

namespace bourse::market_data {

// How often each instance re-reads the table: well under the generator's default step
// (1 s), so a new price is in force everywhere within about one step, at one small
// SELECT per interval per instance.
inline constexpr std::chrono::milliseconds kDefaultReferenceRefreshInterval{500};
inline constexpr std::chrono::milliseconds kMinReferenceRefreshInterval{50};
inline constexpr std::chrono::milliseconds kMaxReferenceRefreshInterval{60'000};

class ReferencePrices final : public ReferencePriceSource {
 public:
  // `pool` and `symbols` must outlive the view.
  // REQUIRES: kMin.. <= refresh_interval <= kMax..ReferenceRefreshInterval.
  ReferencePrices(db::ConnectionPool& pool, const std::map<std::string, Instrument>& symbols,
                  std::chrono::milliseconds refresh_interval = kDefaultReferenceRefreshInterval);
  ~ReferencePrices() override;
  ReferencePrices(const ReferencePrices&) = delete;
  ReferencePrices& operator=(const ReferencePrices&) = delete;

  // The loaded price if usable for `instrument`, else its configured reference.
  Amount reference_price(const Instrument& instrument) const override;

  // The last loaded price of `symbol` (nullopt: none yet, or not usable).
  std::optional<Amount> loaded(const std::string& symbol) const;

  // Reads the table once and replaces the view. Errors: kUnavailable, kInternal (the view
  // is left as it was).
  Status refresh();

  void start();
  void stop();

 private:
  void run();

  db::ConnectionPool& pool_;
  const std::map<std::string, Instrument>& symbols_;
  const std::chrono::milliseconds refresh_interval_;

  mutable std::mutex mutex_;
  std::map<std::string, Amount> prices_;  // usable stored prices, symbols of symbols_ only
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bourse::market_data
