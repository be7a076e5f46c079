// Translation of SOCI / MySQL exceptions into bourse::Error values.
//
// Every SOCI call in Bourse runs inside a try block whose catch calls
// translate_current_exception(); nothing SOCI throws crosses a module facade.
//   - connection lost / refused / server gone -> kUnavailable (reason "db_unavailable")
//   - deadlock (1213) and lock wait timeout (1205) -> kConflict with reason
//     "db_retryable": the whole transaction should be retried
//   - duplicate key (1062) -> kConflict with reason "db_duplicate_key"
//   - anything else -> kInternal
#pragma once

#include <exception>

#include "bourse/common/error.h"

namespace bourse::db {

inline constexpr const char* kRetryableReason = "db_retryable";
inline constexpr const char* kDuplicateKeyReason = "db_duplicate_key";
inline constexpr const char* kUnavailableReason = "db_unavailable";

// REQUIRES: called inside a catch block.
Error translate_current_exception();

// True for errors after which the session must not be reused.
bool is_connection_error(const Error& error);
// True when retrying the whole transaction may succeed (deadlock, lock timeout).
bool is_retryable(const Error& error);

// True if `exception` is MySQL's duplicate-key error (ER_DUP_ENTRY, 1062). For code that
// claims a unique key by inserting it: the failed statement is rolled back alone and the
// transaction stays usable.
bool is_duplicate_key(const std::exception& exception) noexcept;

// True if `exception` is MySQL's failed CHECK constraint (ER_CONSTRAINT_FAILED, 4025): a
// row the statement wrote would break a table invariant; the statement wrote nothing.
bool is_check_violation(const std::exception& exception) noexcept;

}  // namespace bourse::db
