#include "bourse/market_data/price_generator.h"

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/log/log.h"
#include "bourse/market_data/reference_price_store.h"

namespace bourse::market_data {

PriceGenerator::PriceGenerator(db::ConnectionPool& pool, std::vector<Instrument> instruments,
                               PriceGeneratorOptions options)
    : pool_(pool),
      instruments_(std::move(instruments)),
      options_(options),
      lease_(pool.config(), db::lease_name(kPriceGeneratorRole, pool.config().database)) {
  BOURSE_ASSERT(validate(options_.model).ok(), "price model parameters are validated at start-up");
  for (const Instrument& instrument : instruments_) {
    BOURSE_ASSERT(validate_instrument(instrument).ok(), "the symbol table is validated");
  }
}

PriceGenerator::~PriceGenerator() { stop(); }

void PriceGenerator::start() {
  std::lock_guard lock(mutex_);
  BOURSE_ASSERT(!thread_.joinable() && !stopping_, "a price generator starts once");
  thread_ = std::thread([this] {
    set_current_thread_name("price-gen");
    run();
  });
}

void PriceGenerator::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  lease_.release();
  holds_lease_ = false;
}

PriceGeneratorStats PriceGenerator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void PriceGenerator::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto round = run_once();
    if (!round) {
      log::warn("price generator round failed", {{"error", round.error().message}});
    }
    lock.lock();
    wake_.wait_for(lock, options_.model.step_interval, [this] { return stopping_; });
  }
}

Result<PriceRound> PriceGenerator::run_once() {
  auto count = [this](auto&& update) {
    std::lock_guard lock(mutex_);
    update(stats_);
  };
  if (!lease_.held()) {
    auto taken = lease_.try_acquire();
    if (!taken) {
      count([](PriceGeneratorStats& s) { ++s.errors; });
      return taken.error();
    }
    if (!*taken) {
      count([](PriceGeneratorStats& s) { ++s.rounds_standby; });
      return PriceRound{};
    }
    log::info("price generator took the lease", {{"lease", lease_.name()}});
    seeded_ = false;
    models_.clear();  // continue from the stored prices, not from an earlier tenure
  } else {
    auto still = lease_.still_held();
    if (!still || !*still) {
      log::warn("price generator lost the lease", {{"lease", lease_.name()}});
      holds_lease_ = false;
      models_.clear();
      count([](PriceGeneratorStats& s) { ++s.rounds_standby; });
      if (!still) return still.error();
      return PriceRound{};
    }
  }
  holds_lease_ = true;
  auto round = step_all();
  count([&](PriceGeneratorStats& s) {
    if (!round) {
      ++s.errors;
      return;
    }
    ++s.rounds_held;
    s.prices_written += round->written;
    s.conflicts += round->conflicts;
  });
  return round;
}

Result<PriceRound> PriceGenerator::step_all() {
  PriceRound round;
  round.held = true;
  std::map<std::string, GbmPriceModel> models = models_;  // kept only if the round commits
  Status committed = pool_.in_transaction([&](soci::session& session) -> Status {
    round = PriceRound{};
    round.held = true;
    models = models_;
    if (!seeded_) seed_reference_prices(session, instruments_);
    const auto stored = load_reference_prices(session);
    const auto last_trades = load_last_trade_prices(session);
    for (const Instrument& instrument : instruments_) {
      const auto row = stored.find(instrument.symbol);
      if (row == stored.end()) continue;  // seeded by the next tenure's first round
      const std::int64_t tick = instrument.tick_size.units();
      Amount current = instrument.reference_price;
      if (row->second.price && row->second.price->units() % tick == 0 &&
          row->second.price->units() <= kMaxModelPriceUnits) {
        current = *row->second.price;
      } else {
        log::warn("stored reference price unusable; restarting from configuration",
                  {{"symbol", instrument.symbol}});
      }
      auto model = models.find(instrument.symbol);
      if (model == models.end()) {
        model = models
                    .emplace(instrument.symbol,
                             GbmPriceModel(options_.model, instrument.tick_size, current,
                                           symbol_seed(options_.seed, instrument.symbol)))
                    .first;
      } else if (model->second.price() != current) {
        model->second.reset(current);  // someone else wrote it: continue from theirs
      }
      const auto trade = last_trades.find(instrument.symbol);
      const Amount next = model->second.step(
          trade == last_trades.end() ? std::nullopt : std::optional<Amount>(trade->second));
      BOURSE_ASSERT(next.units() > 0 && next.units() % tick == 0,
                    "the model publishes positive prices on the tick");
      if (next == current && row->second.price == current) {
        ++round.unchanged;
        continue;
      }
      if (update_reference_price(session, instrument.symbol, next, row->second.seq)) {
        ++round.written;
      } else {
        ++round.conflicts;
      }
    }
    return Status::success();
  });
  if (!committed) return committed.error();
  seeded_ = true;
  models_ = std::move(models);
  return round;
}

}  // namespace bourse::market_data
