#include "bourse/common/uuid.h"

#include <cstdint>
#include <random>

namespace bourse {
namespace {

// Writes the `digits` lowest hex digits of `value` at `out`.
char* put_hex(char* out, std::uint64_t value, int digits) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kHex[value & 0xF];
    value >>= 4;
  }
  return out + digits;
}

}  // namespace

std::string random_uuid_v4() {
  // One generator per thread, seeded from the OS: no lock, no shared state.
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }()};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;    // RFC 4122 variant
  std::string text(36, '-');
  char* out = text.data();
  out = put_hex(out, high >> 32, 8) + 1;
  out = put_hex(out, (high >> 16) & 0xFFFF, 4) + 1;
  out = put_hex(out, high & 0xFFFF, 4) + 1;
  out = put_hex(out, low >> 48, 4) + 1;
  put_hex(out, low & 0xFFFFFFFFFFFFull, 12);
  return text;
}

}  // namespace bourse
