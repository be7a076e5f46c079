#include "demo/liquidity_bot.h"

#include <algorithm>
#include <boost/json.hpp>
#include <thread>

#include "bourse/log/log.h"
#include "demo/quote_centre.h"

namespace bourse::demo {
namespace {

using Clock = std::chrono::steady_clock;

Result<boost::json::value> parse_json(const HttpResponse& response, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(response.body, ec);
  if (ec) return Error::internal(std::string(what) + ": the answer is not JSON");
  return value;
}

// A decimal string field ("150.25"), or nullopt when the field is null or absent.
std::optional<Amount> amount_field(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  auto parsed = Amount::parse(std::string_view(value->as_string()));
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::int64_t int_field(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_int64() ? value->as_int64() : 0;
}

}  // namespace

Status validate(const BotOptions& options) {
  if (options.host.empty()) return Error::invalid("demo host is empty");
  if (options.port == 0) return Error::invalid("demo port is 0");
  if (options.tick_interval < kMinTickInterval || options.tick_interval > kMaxTickInterval) {
    return Error::invalid("demo tick interval must be " + std::to_string(kMinTickInterval.count()) +
                          ".." + std::to_string(kMaxTickInterval.count()) + " ms");
  }
  if (options.symbols.size() > kMaxDemoSymbols) {
    return Error::invalid("at most " + std::to_string(kMaxDemoSymbols) + " demo symbols");
  }
  return Status::success();
}

LiquidityBot::LiquidityBot(BotOptions options)
    : options_(std::move(options)),
      client_(options_.host, options_.port, kRequestTimeout),
      random_(options_.seed),
      run_tag_(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count())) {}

Result<HttpResponse> LiquidityBot::send(std::string_view method, const std::string& target,
                                        const std::string& body, const HeaderList& headers) {
  // The request budget: one slot every 1/kMaxRequestsPerSecond, never saved up for more
  // than one second.
  constexpr auto kSlot = std::chrono::microseconds(1'000'000 / kMaxRequestsPerSecond);
  const auto now = Clock::now();
  if (next_slot_ < now - std::chrono::seconds(1)) next_slot_ = now - std::chrono::seconds(1);
  next_slot_ += kSlot;
  while (Clock::now() < next_slot_ && !stopping()) {
    std::this_thread::sleep_for(std::min<Clock::duration>(next_slot_ - Clock::now(),
                                                           std::chrono::milliseconds(50)));
  }
  auto response = client_.request(method, target, body, headers);
  if (!response) {
    ++counters_.transport_errors;
    ++consecutive_failures_;
  } else {
    consecutive_failures_ = 0;
  }
  return response;
}

Status LiquidityBot::setup() {
  auto answer = send("GET", "/v1/symbols");
  if (!answer) return answer.error();
  if (answer->status != 200) {
    return Error::internal("GET /v1/symbols answered " + std::to_string(answer->status));
  }
  auto json = parse_json(*answer, "GET /v1/symbols");
  if (!json) return json.error();
  const auto* data = json->as_object().if_contains("data");
  if (data == nullptr || !data->is_array()) return Error::internal("GET /v1/symbols: no data");
  std::vector<DemoSymbol> all;
  for (const auto& row : data->as_array()) {
    if (!row.is_object()) continue;
    const auto& object = row.as_object();
    DemoSymbol symbol;
    symbol.symbol = std::string(object.at("symbol").as_string());
    const auto tick = amount_field(object, "tick_size");
    const auto reference = amount_field(object, "reference_price");
    if (!tick || !reference || tick->units() <= 0) {
      return Error::internal("GET /v1/symbols: bad row for " + symbol.symbol);
    }
    symbol.tick_size = *tick;
    symbol.reference_price = *reference;
    symbol.lot_size = std::max<std::int64_t>(1, int_field(object, "lot_size"));
    symbol.max_order_quantity = int_field(object, "max_order_quantity");
    symbol.price_band_bps = static_cast<std::int32_t>(int_field(object, "price_band_bps"));
    const std::int64_t whole_units = reference->units() / Amount::kScale;
    const std::int64_t shares =
        std::max<std::int64_t>(1, kDemoNotionalPerSymbol / std::max<std::int64_t>(1, whole_units));
    symbol.demo_shares = (shares + symbol.lot_size - 1) / symbol.lot_size * symbol.lot_size;
    all.push_back(std::move(symbol));
  }
  symbols_.clear();
  if (options_.symbols.empty()) {
    for (auto& symbol : all) {
      if (symbols_.size() < kMaxDemoSymbols) symbols_.push_back(symbol);
    }
  } else {
    for (const std::string& wanted : options_.symbols) {
      const auto it = std::find_if(all.begin(), all.end(),
                                   [&](const DemoSymbol& s) { return s.symbol == wanted; });
      if (it == all.end()) return Error::invalid("demo symbol " + wanted + " is not traded here", "unknown_symbol");
      symbols_.push_back(*it);
    }
  }
  if (symbols_.empty()) return Error::invalid("the server has no symbols to trade");
  for (const auto& symbol : symbols_) centre_[symbol.symbol] = symbol.reference_price;

  for (const auto users : {kDemoMakers, kDemoTakers}) {
    for (const std::string_view user : users) {
      if (Status funded = fund(user, true); !funded) return funded;
    }
  }
  return Status::success();
}

// Opens the account (when `open`) and tops up what is below a quarter of its opening
// balance.
Status LiquidityBot::fund(std::string_view user, bool open) {
  const std::string id(user);
  if (open) {
    boost::json::object positions;
    for (const auto& symbol : symbols_) positions[symbol.symbol] = symbol.demo_shares;
    const std::string body = boost::json::serialize(boost::json::object{
        {"user_id", id}, {"cash", std::string(kDemoCash)}, {"positions", positions}});
    for (int attempt = 0;; ++attempt) {
      auto answer = send("POST", "/v1/accounts", body);
      if (answer && answer->status == 201) {
        ++counters_.accounts_opened;
        log::info("demo account opened", {{"user_id", id}});
        return Status::success();
      }
      if (answer && answer->status == 409) break;  // it exists: top it up below
      if (answer) {
        return Error::internal("POST /v1/accounts answered " + std::to_string(answer->status) +
                               ": " + answer->body);
      }
      if (attempt + 1 >= kMaxFundingAttempts || stopping()) return answer.error();
    }
  }
  auto answer = send("GET", "/v1/accounts/" + id);
  if (!answer) return answer.error();
  if (answer->status != 200) {
    return Error::internal("GET /v1/accounts/" + id + " answered " +
                           std::to_string(answer->status));
  }
  auto json = parse_json(*answer, "GET /v1/accounts");
  if (!json) return json.error();
  const auto& account = json->as_object();
  std::vector<std::string> deposits;
  const Amount cash_floor =
      Amount::from_units(Amount::parse(kDemoCash).value().units() / kTopUpDivisor);
  const auto* cash = account.if_contains("cash");
  const auto available = cash != nullptr && cash->is_object()
                             ? amount_field(cash->as_object(), "available")
                             : std::nullopt;
  if (!available || *available < cash_floor) {
    deposits.push_back(boost::json::serialize(boost::json::object{{"cash", std::string(kDemoCash)}}));
  }
  std::map<std::string, std::int64_t> held;
  if (const auto* positions = account.if_contains("positions");
      positions != nullptr && positions->is_array()) {
    for (const auto& row : positions->as_array()) {
      if (!row.is_object()) continue;
      held[std::string(row.as_object().at("symbol").as_string())] =
          int_field(row.as_object(), "available");
    }
  }
  for (const auto& symbol : symbols_) {
    if (held[symbol.symbol] < symbol.demo_shares / kTopUpDivisor) {
      deposits.push_back(boost::json::serialize(
          boost::json::object{{"symbol", symbol.symbol}, {"quantity", symbol.demo_shares}}));
    }
  }
  for (const std::string& body : deposits) {
    // One key per deposit, reused by its retries: a deposit that landed but whose answer
    // was lost is replayed, not repeated.
    const HeaderList key = {
        {"Idempotency-Key", "demo-" + run_tag_ + "-" + std::to_string(++idempotency_counter_)}};
    for (int attempt = 0;; ++attempt) {
      auto deposited = send("POST", "/v1/accounts/" + id + "/deposits", body, key);
      if (deposited && deposited->status == 200) {
        ++counters_.deposits;
        log::info("demo account topped up", {{"user_id", id}, {"deposit", body}});
        break;
      }
      if (deposited) {
        return Error::internal("deposit for " + id + " answered " +
                               std::to_string(deposited->status) + ": " + deposited->body);
      }
      if (attempt + 1 >= kMaxFundingAttempts || stopping()) return deposited.error();
    }
  }
  return Status::success();
}

std::int64_t LiquidityBot::place(const std::string& body) {
  auto answer = send("POST", "/v1/orders", body);
  if (!answer) return 0;
  if (answer->status != 202) {
    ++counters_.orders_refused;
    log::debug("demo order refused", {{"status", answer->status}, {"body", answer->body}});
    return 0;
  }
  ++counters_.orders_accepted;
  auto json = parse_json(*answer, "POST /v1/orders");
  if (!json || !json->is_object()) return 0;
  return int_field(json->as_object(), "order_id");
}

Status LiquidityBot::tick(const DemoSymbol& symbol) {
  const std::int64_t tick = symbol.tick_size.units();
  // 1. Where the market is.
  auto answer = send("GET", "/v1/market/" + symbol.symbol);
  if (!answer) return answer.error();
  Amount centre = centre_[symbol.symbol];
  if (answer->status == 200) {
    auto json = parse_json(*answer, "GET /v1/market");
    if (json && json->is_object()) {
      if (auto last = amount_field(json->as_object(), "last_trade_price")) centre = *last;
    }
  }
  // Random walk, kept in the inner half of the price band around the reference.
  std::uniform_int_distribution<std::int64_t> walk(-kMaxWalkTicks, kMaxWalkTicks);
  centre = next_quote_centre(centre, walk(random_), tick, symbol.reference_price.units(),
                             symbol.price_band_bps, kMaxQuoteTicks);
  centre_[symbol.symbol] = centre;

  // 2. Maker quotes on both sides.
  std::uniform_int_distribution<std::int64_t> distance(1, kMaxQuoteTicks);
  std::uniform_int_distribution<std::int64_t> maker_lots(1, kMaxMakerLots);
  std::uniform_int_distribution<std::int64_t> taker_lots(1, kMaxTakerLots);
  const std::size_t maker = sequence_++ % kDemoMakers.size();
  const Amount bid = Amount::from_units(centre.units() - distance(random_) * tick);
  const Amount ask = Amount::from_units(centre.units() + distance(random_) * tick);
  const auto order = [&](std::string_view user, std::string_view side, std::string_view type,
                         std::string_view tif, std::int64_t lots, const Amount* price) {
    boost::json::object body{{"user_id", std::string(user)},
                             {"symbol", symbol.symbol},
                             {"side", std::string(side)},
                             {"type", std::string(type)},
                             {"quantity", std::min(lots * symbol.lot_size,
                                                   std::max<std::int64_t>(
                                                       symbol.lot_size, symbol.max_order_quantity))}};
    if (price != nullptr) body["price"] = price->to_string();
    if (!tif.empty()) body["time_in_force"] = std::string(tif);
    return boost::json::serialize(body);
  };
  auto& resting = resting_[symbol.symbol];
  if (const auto id = place(order(kDemoMakers[maker], "BUY", "LIMIT", "GTC", maker_lots(random_), &bid))) {
    resting.push_back(id);
  }
  if (const auto id = place(order(kDemoMakers[1 - maker], "SELL", "LIMIT", "GTC",
                                  maker_lots(random_), &ask))) {
    resting.push_back(id);
  }
  // 3. A taker crosses the quote just placed (trading first against anything better).
  const bool buy = random_() % 2 == 0;
  const std::string_view taker = kDemoTakers[random_() % kDemoTakers.size()];
  if (std::uniform_int_distribution<int>(1, kMarketOrderEvery)(random_) == 1) {
    place(order(taker, buy ? "BUY" : "SELL", "MARKET", "", taker_lots(random_), nullptr));
  } else {
    place(order(taker, buy ? "BUY" : "SELL", "LIMIT", "IOC", taker_lots(random_),
                buy ? &ask : &bid));
  }
  // 4. Bounded book: cancel the oldest of the bot's resting orders.
  while (resting.size() > kMaxRestingPerSymbol && !stopping()) {
    const std::int64_t id = resting.front();
    resting.pop_front();
    auto cancelled = send("DELETE", "/v1/orders/" + std::to_string(id));
    if (cancelled && cancelled->status == 202) ++counters_.cancels;
  }
  return Status::success();
}

void LiquidityBot::log_summary() {
  std::string prices;
  for (const auto& [symbol, centre] : centre_) {
    prices += (prices.empty() ? "" : " ") + symbol + "=" + centre.to_string();
  }
  log::info("demo bot", {{"ticks", static_cast<std::int64_t>(counters_.ticks)},
                         {"orders_accepted", static_cast<std::int64_t>(counters_.orders_accepted)},
                         {"orders_refused", static_cast<std::int64_t>(counters_.orders_refused)},
                         {"cancels", static_cast<std::int64_t>(counters_.cancels)},
                         {"deposits", static_cast<std::int64_t>(counters_.deposits)},
                         {"transport_errors", static_cast<std::int64_t>(counters_.transport_errors)},
                         {"prices", prices}});
}

Status LiquidityBot::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  log::info("demo bot started", {{"symbols", static_cast<std::int64_t>(symbols_.size())},
                                 {"tick_ms", static_cast<std::int64_t>(options_.tick_interval.count())},
                                 {"max_requests_per_s", kMaxRequestsPerSecond}});
  auto next_tick = Clock::now();
  auto next_funding = Clock::now() + kFundingCheckInterval;
  auto next_summary = Clock::now() + kSummaryInterval;
  while (!stop.load()) {
    for (const auto& symbol : symbols_) {
      if (stop.load()) break;
      (void)tick(symbol);  // failures are counted; the loop goes on
      if (consecutive_failures_ >= kMaxConsecutiveFailures) {
        log_summary();
        return Error::unavailable("the server stopped answering (" +
                                  std::to_string(consecutive_failures_) + " failures in a row)");
      }
    }
    ++counters_.ticks;
    const auto now = Clock::now();
    if (now >= next_funding) {
      next_funding = now + kFundingCheckInterval;
      for (const auto users : {kDemoMakers, kDemoTakers}) {
        for (const std::string_view user : users) {
          if (Status funded = fund(user, false); !funded && !stop.load()) {
            log::warn("demo top-up failed", {{"user_id", user}, {"error", funded.error().message}});
          }
        }
      }
    }
    if (now >= next_summary) {
      next_summary = now + kSummaryInterval;
      log_summary();
    }
    next_tick += options_.tick_interval;
    if (next_tick < Clock::now()) next_tick = Clock::now();  // the budget set the pace
    while (Clock::now() < next_tick && !stop.load()) {
      std::this_thread::sleep_for(std::min<Clock::duration>(next_tick - Clock::now(),
                                                            std::chrono::milliseconds(50)));
    }
  }
  // Leave no quote behind (until the server stops answering: it may be stopping too).
  std::int64_t withdrawn = 0;
  bool answering = true;
  for (auto& [symbol, ids] : resting_) {
    while (!ids.empty() && answering) {
      auto cancelled = send("DELETE", "/v1/orders/" + std::to_string(ids.front()));
      answering = cancelled.ok();
      if (cancelled && cancelled->status == 202) ++withdrawn;
      if (answering) ids.pop_front();
    }
  }
  log_summary();
  log::info("demo bot stopped", {{"quotes_withdrawn", withdrawn}});
  return Status::success();
}

}  // namespace bourse::demo
