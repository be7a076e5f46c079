// Identifiers shared by every module.
//
// Numeric ids (orders, trades) are positive int64 wrapped in distinct types so an
// OrderId cannot be passed where a TradeId is expected. User ids and symbols are
// validated strings; validation lives here so every entry point applies the same rule.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bourse/common/error.h"

namespace bourse {

template <typename Tag>
class NumericId {
 public:
  constexpr NumericId() = default;
  constexpr explicit NumericId(std::int64_t value) : value_(value) {}
  constexpr std::int64_t value() const noexcept { return value_; }
  constexpr bool valid() const noexcept { return value_ > 0; }
  friend constexpr auto operator<=>(NumericId, NumericId) = default;

 private:
  std::int64_t value_ = 0;
};

using OrderId = NumericId<struct OrderIdTag>;
using TradeId = NumericId<struct TradeIdTag>;

// A user id: 1..limits::kMaxUserIdLength characters of [A-Za-z0-9_.-].
Status validate_user_id(std::string_view user_id);
// A symbol: 1..limits::kMaxSymbolLength characters of [A-Z0-9.], starting with a letter.
Status validate_symbol(std::string_view symbol);

}  // namespace bourse

template <typename Tag>
struct std::hash<bourse::NumericId<Tag>> {
  std::size_t operator()(bourse::NumericId<Tag> id) const noexcept {
    return std::hash<std::int64_t>{}(id.value());
  }
};
