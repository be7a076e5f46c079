// Errors as values at module boundaries.
//
// Every facade function that can fail returns Result<T> (or Status). The ErrorCode is
// stable and maps one-to-one to an HTTP status and an RFC 9457 problem `type` in the
// composition root (src/http/problem.h); modules never know about HTTP. Exceptions from
// SOCI, librdkafka or Boost are caught in the adapter that called them and turned into
// an Error here; they never cross a module facade.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "bourse/common/assert.h"

namespace bourse {

enum class ErrorCode {
  kInvalidArgument,   // malformed or semantically invalid input (422 / 400)
  kMalformed,         // not parseable at all (400)
  kNotFound,          // unknown resource (404)
  kConflict,          // state does not allow it, e.g. already exists (409)
  kTooLarge,          // exceeds a named limit on size (413)
  kOutOfRange,        // a number past a named limit (422)
  kUnavailable,       // a dependency is down or the process sheds load (503)
  kTimeout,           // a dependency did not answer in time (503)
  kInternal,          // a bug or an unexpected dependency failure (500)
};

const char* to_string(ErrorCode code) noexcept;

struct Error {
  ErrorCode code;
  std::string message;
  // A stable machine-readable reason within the code, e.g. "off_tick_price"; the HTTP
  // layer turns it into the problem `type`. Empty means "use the code's default".
  std::string reason;

  static Error invalid(std::string message, std::string reason = {}) {
    return {ErrorCode::kInvalidArgument, std::move(message), std::move(reason)};
  }
  static Error internal(std::string message) { return {ErrorCode::kInternal, std::move(message), {}}; }
  static Error unavailable(std::string message) {
    return {ErrorCode::kUnavailable, std::move(message), {}};
  }
};

// Result<T>: either a T or an Error. Accessing the wrong alternative is a bug and
// asserts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  const T& value() const& {
    BOURSE_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(state_);
  }
  T& value() & {
    BOURSE_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(state_);
  }
  T&& value() && {
    BOURSE_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(std::move(state_));
  }
  const Error& error() const& {
    BOURSE_ASSERT(!ok(), "Result::error() on a value");
    return std::get<1>(state_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Error> state_;
};

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status success() { return {}; }

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& {
    BOURSE_ASSERT(!ok_, "Status::error() on success");
    return error_;
  }

 private:
  Error error_{ErrorCode::kInternal, {}, {}};
  bool ok_ = true;
};

}  // namespace bourse
