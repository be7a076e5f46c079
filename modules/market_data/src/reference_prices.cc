#include "bourse/market_data/reference_prices.h"

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/log/log.h"
#include "bourse/market_data/gbm_price_model.h"
#include "bourse/market_data/reference_price_store.h"

namespace bourse::market_data {
namespace {

bool usable_for(const Instrument& instrument, Amount price) {
  return price.units() > 0 && price.units() % instrument.tick_size.units() == 0 &&
         price.units() <= kMaxModelPriceUnits;
}

}  // namespace

ReferencePrices::ReferencePrices(db::ConnectionPool& pool,
                                 const std::map<std::string, Instrument>& symbols,
                                 std::chrono::milliseconds refresh_interval)
    : pool_(pool), symbols_(symbols), refresh_interval_(refresh_interval) {
  BOURSE_ASSERT(refresh_interval_ >= kMinReferenceRefreshInterval &&
                    refresh_interval_ <= kMaxReferenceRefreshInterval,
                "the reference refresh interval is validated at start-up");
}

ReferencePrices::~ReferencePrices() { stop(); }

Amount ReferencePrices::reference_price(const Instrument& instrument) const {
  {
    std::lock_guard lock(mutex_);
    const auto found = prices_.find(instrument.symbol);
    if (found != prices_.end() && usable_for(instrument, found->second)) return found->second;
  }
  return instrument.reference_price;
}

std::optional<Amount> ReferencePrices::loaded(const std::string& symbol) const {
  std::lock_guard lock(mutex_);
  const auto found = prices_.find(symbol);
  if (found == prices_.end()) return std::nullopt;
  return found->second;
}

Status ReferencePrices::refresh() {
  std::map<std::string, StoredReferencePrice> stored;
  Status read =
      pool_.with_session([&](soci::session& session) { stored = load_reference_prices(session); });
  if (!read) return read;
  std::map<std::string, Amount> prices;
  for (const auto& [symbol, instrument] : symbols_) {
    const auto row = stored.find(symbol);
    if (row == stored.end()) continue;
    if (!row->second.price || !usable_for(instrument, *row->second.price)) {
      log::warn("stored reference price unusable; serving the configured one",
                {{"symbol", symbol}});
      continue;
    }
    prices.emplace(symbol, *row->second.price);
  }
  std::lock_guard lock(mutex_);
  prices_ = std::move(prices);
  return Status::success();
}

void ReferencePrices::start() {
  std::lock_guard lock(mutex_);
  BOURSE_ASSERT(!thread_.joinable() && !stopping_, "a reference view starts once");
  thread_ = std::thread([this] {
    set_current_thread_name("ref-prices");
    run();
  });
}

void ReferencePrices::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReferencePrices::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (Status refreshed = refresh(); !refreshed) {
      log::warn("reference prices not refreshed; serving the last ones",
                {{"error", refreshed.error().message}});
    }
    lock.lock();
    wake_.wait_for(lock, refresh_interval_, [this] { return stopping_; });
  }
}

}  // namespace bourse::market_data
