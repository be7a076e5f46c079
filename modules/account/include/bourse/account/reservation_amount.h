// How much cash a buy order holds: pure, exact integer arithmetic (no I/O, no floats).
//
//   LIMIT BUY:  limit_price x quantity.
//   MARKET BUY: quantity x reference_price x (1 + band), where band is an integer
//               number of basis points (1 bp = 0.01 %), rounded UP to the next
//               0.0001 unit so the cap never falls short of the band. This amount is
//               the order's cash cap: matching may spend at most this much on it.
//
// Every function checks the result against Amount::kMaxUnits and returns kOutOfRange
// instead of overflowing (intermediate products use 128-bit integers).
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>

#include "bourse/common/error.h"
#include "bourse/common/money.h"

namespace bourse::account {

inline constexpr std::int64_t kBasisPointsPerUnit = 10'000;
// A market buy's price band is at most 100 %: a wider band would let one order lock
// more than twice its reference notional, which no exchange configuration needs.
inline constexpr std::int32_t kMaxPriceBandBasisPoints = 10'000;

// REQUIRES nothing: non-positive price or quantity is kInvalidArgument.
Result<Amount> limit_buy_cash(Amount limit_price, Quantity quantity);

// Errors: non-positive price or quantity, band outside [0, kMaxPriceBandBasisPoints]
// (kInvalidArgument); a cap past Amount::kMaxUnits (kOutOfRange).
Result<Amount> market_buy_cash_cap(Amount reference_price, Quantity quantity,
                                   std::int32_t band_basis_points);

}  // namespace bourse::account
