// The virtual price generator: while it holds the "price_generator" lease (one holder
// across every process sharing the database), every step interval it reads each
// symbol's stored reference price and last trade price, steps that symbol's
// GbmPriceModel and writes the new price to table reference_prices. Every instance runs
// one; the others stand by and try the lease each interval, so when the holder dies
// (its lease session ends) a standby takes over and continues from the STORED prices,
// not from configuration.
//
// Round (run_once(), what the thread does every interval):
//   1. Without the lease: try to take it; not free -> standby, nothing written.
//      With it: confirm it (still_held); lost -> standby (models dropped).
//   2. In one transaction: on the first round after taking the lease, seed the table
//      from the configured reference prices (INSERT IGNORE: a moved price is never
//      rewound); read every stored price and every last trade; per configured symbol,
//      step its model from the stored price (a stored price that is not a positive
//      multiple of the tick restarts from configuration) and, if the published price
//      changed, write it with a compare-and-set on seq.
// The lease is not a fence (session_lease.h): a holder that lost its session may
// overlap the next one for one round; the seq compare-and-set makes sure only one of
// them advances any row per step (the other's write is a conflict, not a second step).
//
// Each symbol's model is seeded with symbol_seed(options.seed, symbol), so one
// generator's path is reproducible; after a takeover the new holder's random sequence
// restarts from the seed, which is harmless (the price continues from the stored one).
//
// Threads: start() runs rounds on a thread of its own until stop() (idempotent; also
// the destructor). run_once() may be called directly instead (tests), never both.
// holds_lease() and stats() are safe from any thread. Blocking (database).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/instrument.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/session_lease.h"
#include "bourse/market_data/gbm_price_model.h"

namespace bourse::market_data {

// The lease role (db::lease_name(kPriceGeneratorRole, database)).
inline constexpr const char* kPriceGeneratorRole = "price_generator";

struct PriceGeneratorOptions {
  // The model; model.step_interval is also the interval between rounds.
  GbmParameters model;
  std::uint64_t seed = 1;
};

struct PriceRound {
  bool held = false;          // this generator held the lease for the round
  std::size_t written = 0;    // symbols whose new price was stored
  std::size_t unchanged = 0;  // symbols whose published price did not move
  std::size_t conflicts = 0;  // compare-and-set lost to another writer
};

struct PriceGeneratorStats {
  std::uint64_t rounds_held = 0;
  std::uint64_t rounds_standby = 0;
  std::uint64_t prices_written = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t errors = 0;
};

class PriceGenerator {
 public:
  // The lease uses its own session, configured from pool.config(). `pool` must outlive
  // the generator. REQUIRES: validate(options.model).ok(); instruments validated.
  PriceGenerator(db::ConnectionPool& pool, std::vector<Instrument> instruments,
                 PriceGeneratorOptions options);
  ~PriceGenerator();
  PriceGenerator(const PriceGenerator&) = delete;
  PriceGenerator& operator=(const PriceGenerator&) = delete;

  void start();
  // Stops the thread and releases the lease. Idempotent.
  void stop();

  // One round (see the file comment). Errors: kUnavailable (database), kInternal; the
  // round wrote nothing it did not commit.
  Result<PriceRound> run_once();

  bool holds_lease() const noexcept { return holds_lease_.load(); }
  PriceGeneratorStats stats() const;

 private:
  void run();
  Result<PriceRound> step_all();

  db::ConnectionPool& pool_;
  const std::vector<Instrument> instruments_;
  const PriceGeneratorOptions options_;
  db::SessionLease lease_;
  bool seeded_ = false;                          // this lease tenure seeded the table
  std::map<std::string, GbmPriceModel> models_;  // per symbol, while the lease is held
  std::atomic<bool> holds_lease_{false};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  PriceGeneratorStats stats_;
  std::thread thread_;
};

}  // namespace bourse::market_data
