#include "bourse/common/money.h"

#include <array>
#include <charconv>

namespace bourse {
namespace {

Error out_of_range(std::string what) {
  return Error{ErrorCode::kOutOfRange, std::move(what), "amount_out_of_range"};
}

bool within_amount_limit(std::int64_t units) {
  return units <= Amount::kMaxUnits && units >= -Amount::kMaxUnits;
}

}  // namespace

Amount Amount::from_units(std::int64_t units) {
  BOURSE_ASSERT(within_amount_limit(units), "Amount::from_units past kMaxUnits");
  return Amount(units);
}

Result<Amount> Amount::checked_from_units(std::int64_t units) {
  if (!within_amount_limit(units)) return out_of_range("amount exceeds the maximum");
  return Amount(units);
}

Result<Amount> Amount::parse(std::string_view text) {
  auto malformed = [&](std::string why) {
    return Error{ErrorCode::kInvalidArgument,
                 "invalid decimal amount: " + why, "invalid_amount"};
  };
  if (text.empty()) return malformed("empty");
  if (text.size() > limits::kMaxAmountTextLength) return out_of_range("amount is too long");
  std::size_t pos = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    pos = 1;
  }
  std::int64_t whole = 0;
  std::size_t whole_digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    // kMaxAmountTextLength bounds the digits, but check anyway: no silent wrap.
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, text[pos] - '0', &whole)) {
      return out_of_range("amount exceeds the maximum");
    }
    ++pos;
    ++whole_digits;
  }
  if (whole_digits == 0) return malformed("expected a digit");
  std::int64_t fraction = 0;
  int fraction_digits = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (fraction_digits == kScaleDigits) {
        return Error{ErrorCode::kInvalidArgument,
                     "amount has more than " + std::to_string(kScaleDigits) + " decimal places",
                     "amount_scale"};
      }
      fraction = fraction * 10 + (text[pos] - '0');
      ++fraction_digits;
      ++pos;
    }
    if (fraction_digits == 0) return malformed("expected a digit after '.'");
  }
  if (pos != text.size()) return malformed("unexpected character");
  for (int i = fraction_digits; i < kScaleDigits; ++i) fraction *= 10;
  std::int64_t units = 0;
  if (__builtin_mul_overflow(whole, kScale, &units) ||
      __builtin_add_overflow(units, fraction, &units) || !within_amount_limit(units)) {
    return out_of_range("amount exceeds the maximum");
  }
  return Amount(negative ? -units : units);
}

Result<Amount> Amount::parse_positive(std::string_view text) {
  auto parsed = parse(text);
  if (!parsed) return parsed;
  if (parsed->units() <= 0) {
    return Error{ErrorCode::kInvalidArgument, "amount must be positive", "amount_not_positive"};
  }
  return parsed;
}

std::string Amount::to_string() const {
  // |units_| <= kMaxUnits, so negation cannot overflow.
  std::int64_t magnitude = units_ < 0 ? -units_ : units_;
  std::string out = units_ < 0 ? "-" : "";
  out += std::to_string(magnitude / kScale);
  std::int64_t fraction = magnitude % kScale;
  if (fraction != 0) {
    std::array<char, kScaleDigits> digits{};
    for (int i = kScaleDigits - 1; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    int length = kScaleDigits;
    while (length > 0 && digits[length - 1] == '0') --length;
    out += '.';
    out.append(digits.data(), length);
  }
  return out;
}

Result<Amount> Amount::checked_add(Amount other) const {
  // Both operands are within +-10^15, so the int64 sum cannot overflow.
  return checked_from_units(units_ + other.units_);
}

Result<Amount> Amount::checked_sub(Amount other) const {
  return checked_from_units(units_ - other.units_);
}

Result<Amount> Amount::checked_mul(Quantity quantity) const {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(units_, quantity.value(), &product) || !within_amount_limit(product)) {
    return out_of_range("amount x quantity exceeds the maximum");
  }
  return Amount(product);
}

Quantity Quantity::of(std::int64_t value) {
  BOURSE_ASSERT(value <= kMax && value >= -kMax, "Quantity::of past kMax");
  return Quantity(value);
}

Result<Quantity> Quantity::checked_of(std::int64_t value) {
  if (value > kMax || value < -kMax) {
    return Error{ErrorCode::kOutOfRange, "quantity exceeds the maximum", "quantity_out_of_range"};
  }
  return Quantity(value);
}

Result<Quantity> Quantity::checked_add(Quantity other) const {
  return checked_of(value_ + other.value_);
}

Result<Quantity> Quantity::checked_sub(Quantity other) const {
  return checked_of(value_ - other.value_);
}

}  // namespace bourse
