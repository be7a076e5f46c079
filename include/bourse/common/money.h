// Exact fixed-point money and integer quantities.
//
// Amount is a signed decimal with limits::kAmountScaleDigits (4) fractional digits,
// stored as int64 scaled units: "152.25" is 1'522'500 units. It is used for cash and
// prices. Quantity is a whole number of shares (lots are validated per symbol).
//
// Invariants: |Amount::units()| <= limits::kMaxAmountUnits and
// |Quantity::value()| <= limits::kMaxQuantity, always. Every arithmetic operation is
// checked and returns an Error instead of overflowing; there is no floating point.
// Both types are trivially copyable values; thread-safe like an int.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "bourse/common/error.h"
#include "bourse/common/limits.h"

namespace bourse {

class Quantity;

class Amount {
 public:
  static constexpr std::int64_t kScale = limits::kAmountScale;
  static constexpr int kScaleDigits = limits::kAmountScaleDigits;
  static constexpr std::int64_t kMaxUnits = limits::kMaxAmountUnits;

  constexpr Amount() = default;

  // REQUIRES: |units| <= kMaxUnits (asserted): use for values already validated, e.g.
  // read back from the database.
  static Amount from_units(std::int64_t units);
  // Checked construction from an untrusted scaled value.
  static Result<Amount> checked_from_units(std::int64_t units);

  // Parses an exact decimal string: optional '-', digits, optional '.' and 1..4 digits.
  // Rejects empty strings, '+', exponents ("1e3"), spaces, more than 4 decimals
  // ("12.345678"), missing digits (".5", "5.") and values past kMaxUnits. Never rounds.
  static Result<Amount> parse(std::string_view text);
  // parse() that also requires the value to be > 0.
  static Result<Amount> parse_positive(std::string_view text);

  constexpr std::int64_t units() const noexcept { return units_; }
  constexpr bool is_zero() const noexcept { return units_ == 0; }
  constexpr bool is_negative() const noexcept { return units_ < 0; }

  // Canonical decimal form: no exponent, no trailing fractional zeros, no '.' for whole
  // values: "70500", "152.25", "0.0001", "-3.5". parse(to_string()) == *this.
  std::string to_string() const;

  Result<Amount> checked_add(Amount other) const;
  Result<Amount> checked_sub(Amount other) const;
  // this x quantity (price x shares = notional), checked against kMaxUnits.
  Result<Amount> checked_mul(Quantity quantity) const;

  friend constexpr auto operator<=>(Amount, Amount) = default;

 private:
  constexpr explicit Amount(std::int64_t units) : units_(units) {}
  std::int64_t units_ = 0;
};

class Quantity {
 public:
  static constexpr std::int64_t kMax = limits::kMaxQuantity;

  constexpr Quantity() = default;
  // REQUIRES: |value| <= kMax (asserted).
  static Quantity of(std::int64_t value);
  static Result<Quantity> checked_of(std::int64_t value);

  constexpr std::int64_t value() const noexcept { return value_; }
  constexpr bool is_zero() const noexcept { return value_ == 0; }

  Result<Quantity> checked_add(Quantity other) const;
  Result<Quantity> checked_sub(Quantity other) const;

  friend constexpr auto operator<=>(Quantity, Quantity) = default;

 private:
  constexpr explicit Quantity(std::int64_t value) : value_(value) {}
  std::int64_t value_ = 0;
};

}  // namespace bourse
