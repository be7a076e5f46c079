// How a balance is named in the ledger and in reservations: "cash:USD" or
// "shares:AAPL". The prefix keeps a currency code and a symbol of the same letters
// apart (both are valid symbols).
#pragma once

#include <string>
#include <string_view>

namespace bourse::account {

// The pseudo-account that money and shares enter the exchange from (deposits, opening
// balances). '@' is not a valid user id character, so it never collides with a user.
inline constexpr const char* kExternalAccount = "@external";

inline std::string cash_asset(std::string_view currency) { return "cash:" + std::string(currency); }
inline std::string shares_asset(std::string_view symbol) { return "shares:" + std::string(symbol); }

}  // namespace bourse::account
