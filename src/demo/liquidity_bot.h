// The demo: funded demo accounts and a liquidity bot that makes a fresh server trade,
// driving it ONLY through the public HTTP API (never the database or Kafka).
//
// Demo accounts (fixed ids, so reruns find them instead of duplicating them): two makers
// (kDemoMakers) that quote, two takers (kDemoTakers) that cross. setup() opens each with
// kDemoCash and, per symbol, kDemoNotionalPerSymbol worth of shares (POST /v1/accounts;
// 409 = it exists, nothing changes) and tops them up: an account whose available cash or
// shares of a symbol fell below a quarter of the opening amount gets a deposit of the
// opening amount, with an Idempotency-Key (a transport failure retries the SAME key, so a
// deposit that landed is replayed, not repeated).
//
// run(), per symbol every tick_interval (a tick takes longer when the request budget is
// spent):
//   1. GET /v1/market/{symbol}: the centre is the last trade price (else the reference
//      price), moved by a random walk of at most kMaxWalkTicks ticks and kept within the
//      inner half of the symbol's price band (next_quote_centre, quote_centre.h);
//   2. a maker BUY GTC limit 1..kMaxMakerLots lots at centre - k ticks and a maker SELL at
//      centre + k ticks (k in 1..kMaxQuoteTicks), one from each maker account;
//   3. a taker order from a taker account: IOC limit crossing the maker quote just placed
//      on the other side (so it trades against the best resting orders up to that price),
//      or one time in kMarketOrderEvery a MARKET order of 1..kMaxTakerLots lots;
//   4. the bot's resting GTC orders of the symbol beyond kMaxRestingPerSymbol, oldest
//      first, are cancelled (DELETE /v1/orders/{id}; 409 = it already finished).
// Every kFundingCheckInterval the accounts are topped up as in setup(). Once `stop` is set,
// the bot cancels every resting order it placed in this run (unpaced, until the server
// stops answering), so a demo stopped while the server runs leaves its books empty. Every request
// first waits for its slot of kMaxRequestsPerSecond (the bot's whole rate). Answers that
// refuse an order (422 insufficient funds, 503 with the server busy) are counted and the
// bot goes on. A summary is logged every kSummaryInterval.
//
// Thread-safety: one bot per thread. `stop` may be set from anywhere (a signal handler);
// run() returns within about one request timeout of it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/money.h"
#include "demo/http_client.h"

namespace bourse::demo {

// --- Limits and amounts (the reason next to each) -------------------------------------
// Requests per second of the whole bot (all symbols, all accounts): a demo must not
// load a shared 2-core machine; about 6 requests per symbol per tick.
inline constexpr int kMaxRequestsPerSecond = 100;
// Tick bounds: below 50 ms the request budget, not the tick, sets the pace.
inline constexpr std::chrono::milliseconds kDefaultTickInterval{200};
inline constexpr std::chrono::milliseconds kMinTickInterval{50};
inline constexpr std::chrono::milliseconds kMaxTickInterval{60'000};
// The bot's own resting GTC orders per symbol: older ones are cancelled, so books and
// reservations do not grow for ever.
inline constexpr std::size_t kMaxRestingPerSymbol = 20;
// Symbols quoted at most (each costs ~6 requests per tick).
inline constexpr std::size_t kMaxDemoSymbols = 16;
// One HTTP request, connect included.
inline constexpr std::chrono::milliseconds kRequestTimeout{2'000};
// Attempts of one deposit (same Idempotency-Key) or account opening on transport errors.
inline constexpr int kMaxFundingAttempts = 3;
inline constexpr std::chrono::seconds kFundingCheckInterval{5};
inline constexpr std::chrono::seconds kSummaryInterval{10};
// Quote shape: sizes in lots, distances in ticks.
inline constexpr std::int64_t kMaxMakerLots = 10;
inline constexpr std::int64_t kMaxTakerLots = 5;
inline constexpr std::int64_t kMaxQuoteTicks = 5;
inline constexpr std::int64_t kMaxWalkTicks = 2;
inline constexpr int kMarketOrderEvery = 10;
// Opening balances: cash per account, and per symbol shares worth about this much at the
// reference price (at least one lot). Top-up below a quarter of these.
inline constexpr std::string_view kDemoCash = "1000000000";
inline constexpr std::int64_t kDemoNotionalPerSymbol = 100'000'000;
inline constexpr std::int64_t kTopUpDivisor = 4;

inline constexpr std::array<std::string_view, 2> kDemoMakers = {"demo-maker-1", "demo-maker-2"};
inline constexpr std::array<std::string_view, 2> kDemoTakers = {"demo-taker-1", "demo-taker-2"};

// A row of GET /v1/symbols.
struct DemoSymbol {
  std::string symbol;
  Amount tick_size;
  std::int64_t lot_size = 1;
  std::int64_t max_order_quantity = 0;
  Amount reference_price;
  std::int32_t price_band_bps = 0;
  std::int64_t demo_shares = 0;  // opening position of each demo account
};

struct BotOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::chrono::milliseconds tick_interval = kDefaultTickInterval;
  std::vector<std::string> symbols;  // empty: every symbol of GET /v1/symbols
  std::uint64_t seed = 1;
};

// Kept by the bot, logged in its summaries.
struct BotCounters {
  std::uint64_t ticks = 0;
  std::uint64_t orders_accepted = 0;  // 202
  std::uint64_t orders_refused = 0;   // 4xx/5xx on POST /v1/orders
  std::uint64_t cancels = 0;          // 202 on DELETE
  std::uint64_t accounts_opened = 0;  // 201
  std::uint64_t deposits = 0;         // 200 on a deposit
  std::uint64_t transport_errors = 0;
};

// kInvalidArgument naming the first bad field.
Status validate(const BotOptions& options);

class LiquidityBot {
 public:
  explicit LiquidityBot(BotOptions options);

  // Reads the symbol table (only options.symbols if given; kInvalidArgument for one that
  // is not in it) and opens / tops up the demo accounts. kUnavailable when the server does not
  // answer; kInternal for an answer that is not what the API documents.
  Status setup();
  // Quotes and crosses until `stop` is set (setup() first). kUnavailable if the server
  // stopped answering for good (kMaxConsecutiveFailures requests in a row).
  Status run(const std::atomic<bool>& stop);

  const BotCounters& counters() const { return counters_; }
  const std::vector<DemoSymbol>& symbols() const { return symbols_; }

 private:
  Status fund(std::string_view user, bool open);
  Status tick(const DemoSymbol& symbol);
  bool stopping() const { return stop_ != nullptr && stop_->load(); }
  Result<HttpResponse> send(std::string_view method, const std::string& target,
                            const std::string& body = {}, const HeaderList& headers = {});
  // POST /v1/orders; returns the order id (0 when refused).
  std::int64_t place(const std::string& body);
  void log_summary();

  BotOptions options_;
  HttpClient client_;
  std::mt19937_64 random_;
  std::vector<DemoSymbol> symbols_;
  std::map<std::string, std::deque<std::int64_t>> resting_;  // symbol -> bot GTC order ids
  std::map<std::string, Amount> centre_;
  BotCounters counters_;
  int consecutive_failures_ = 0;
  std::uint64_t idempotency_counter_ = 0;
  std::string run_tag_;  // distinguishes this process's Idempotency-Keys
  std::chrono::steady_clock::time_point next_slot_{};
  std::uint64_t sequence_ = 0;  // alternates the makers
  const std::atomic<bool>* stop_ = nullptr;
};

// Requests in a row that fail at the transport level before run() gives up.
inline constexpr int kMaxConsecutiveFailures = 50;

}  // namespace bourse::demo
