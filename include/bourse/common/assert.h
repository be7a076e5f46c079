// BOURSE_ASSERT: invariant checks that stay on in every build type.
//
// A broken invariant in a ledger or an order book is a crash, not a log line: the
// process stops before it can write a wrong balance or publish a wrong trade, and the
// supervisor restarts it from the last committed state. Use it before a write and
// after a read (TigerBeetle style). Never use it to validate client input: bad input
// is an Error value, not a crash.
#pragma once

namespace bourse::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* message, const char* file,
                                   int line) noexcept;
}  // namespace bourse::detail

#define BOURSE_ASSERT(condition, message)                                                  \
  do {                                                                                     \
    if (!(condition)) [[unlikely]] {                                                       \
      ::bourse::detail::assertion_failed(#condition, (message), __FILE__, __LINE__);       \
    }                                                                                      \
  } while (false)
