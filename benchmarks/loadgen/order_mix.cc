#include "order_mix.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace bourse::bench {
namespace {

// Uniform double in [0, 1) from 53 random bits (the same on every standard library).
double unit(std::mt19937_64& random) {
  return static_cast<double>(random() >> 11) * (1.0 / 9007199254740992.0);
}

std::int64_t uniform_int(std::mt19937_64& random, std::int64_t low, std::int64_t high) {
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  return low + static_cast<std::int64_t>(random() % span);
}

}  // namespace

bool parse_decimal(const std::string& text, Nanos& out) {
  if (text.empty()) return false;
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) ++i;
  Nanos whole = 0;
  Nanos fraction = 0;
  int digits = 0;
  bool any = false;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] < '0' || text[i] > '9' || whole > 9'000'000'000LL) return false;
    whole = whole * 10 + (text[i] - '0');
    any = true;
  }
  if (i < text.size()) {
    for (++i; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9' || digits == 8) return false;
      fraction = fraction * 10 + (text[i] - '0');
      ++digits;
      any = true;
    }
  }
  if (!any) return false;
  for (; digits < 8; ++digits) fraction *= 10;
  out = (whole * kNanosPerUnit + fraction) * (negative ? -1 : 1);
  return true;
}

std::string format_decimal(Nanos value) {
  std::string sign = value < 0 ? "-" : "";
  const Nanos magnitude = std::llabs(value);
  std::string text = sign + std::to_string(magnitude / kNanosPerUnit);
  Nanos fraction = magnitude % kNanosPerUnit;
  if (fraction == 0) return text;
  std::string digits = std::to_string(fraction);
  digits.insert(0, 8 - digits.size(), '0');
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

OrderMix::OrderMix(std::vector<MixSymbol> symbols, MixOptions options, std::uint64_t seed)
    : symbols_(std::move(symbols)), options_(options), random_(seed) {
  if (symbols_.empty()) throw std::invalid_argument("order mix: no symbols");
  for (const MixSymbol& s : symbols_) {
    if (s.tick <= 0 || s.lot <= 0) throw std::invalid_argument("order mix: bad tick or lot");
  }
  if (options_.users < 1 || options_.max_lots < 1 || options_.spread_ticks < 0) {
    throw std::invalid_argument("order mix: bad options");
  }
  double total = 0.0;
  for (std::size_t k = 0; k < symbols_.size(); ++k) {
    total += 1.0 / std::pow(static_cast<double>(k + 1), options_.zipf_s);
    cumulative_.push_back(total);
  }
  for (double& c : cumulative_) c /= total;
}

Action OrderMix::next(const std::vector<Nanos>& reference_prices) {
  Action action;
  action.user = static_cast<int>(uniform_int(random_, 0, options_.users - 1));
  if (unit(random_) < options_.cancel_ratio) {
    action.kind = Action::Kind::kCancel;
    return action;
  }
  const double u = unit(random_);
  action.symbol_index = static_cast<std::size_t>(
      std::lower_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
  action.symbol_index = std::min(action.symbol_index, symbols_.size() - 1);
  const MixSymbol& symbol = symbols_[action.symbol_index];
  action.buy = (random_() & 1U) == 0;
  action.market = unit(random_) < options_.market_ratio;
  action.quantity = uniform_int(random_, 1, options_.max_lots) * symbol.lot;
  if (!action.market) {
    const Nanos reference = reference_prices.at(action.symbol_index);
    const Nanos on_tick = reference / symbol.tick * symbol.tick;
    const Nanos offset = uniform_int(random_, -options_.spread_ticks, options_.spread_ticks);
    action.price = std::max(symbol.tick, on_tick + offset * symbol.tick);
  }
  return action;
}

std::string OrderMix::order_json(const Action& action, const std::string& user_prefix) const {
  const MixSymbol& symbol = symbols_.at(action.symbol_index);
  std::string body = R"({"user_id":")" + user_prefix + std::to_string(action.user) +
                     R"(","symbol":")" + symbol.symbol + R"(","side":")" +
                     (action.buy ? "BUY" : "SELL") + R"(","type":")" +
                     (action.market ? "MARKET" : "LIMIT") +
                     R"(","quantity":)" + std::to_string(action.quantity);
  if (!action.market) body += R"(,"price":")" + format_decimal(action.price) + R"(")";
  return body + "}";
}

}  // namespace bourse::bench
