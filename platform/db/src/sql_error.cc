#include "bourse/db/sql_error.h"

#include <exception>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

namespace bourse::db {
namespace {

// MySQL client (CR_*) and server (ER_*) error numbers we treat specially.
constexpr unsigned kErrLockWaitTimeout = 1205;
constexpr unsigned kErrDeadlock = 1213;
constexpr unsigned kErrCheckConstraint = 4025;
constexpr unsigned kErrDuplicateKey = 1062;
constexpr unsigned kErrServerShutdown = 1053;
constexpr unsigned kCrConnectionError = 2002;
constexpr unsigned kCrConnHostError = 2003;
constexpr unsigned kCrServerGone = 2006;
constexpr unsigned kCrServerLost = 2013;
constexpr unsigned kCrServerLostExtended = 2055;

Error from_mysql(unsigned err_num, const std::string& message) {
  switch (err_num) {
    case kErrDeadlock:
    case kErrLockWaitTimeout:
      return Error{ErrorCode::kConflict, message, kRetryableReason};
    case kErrDuplicateKey:
      return Error{ErrorCode::kConflict, message, kDuplicateKeyReason};
    case kErrServerShutdown:
    case kCrConnectionError:
    case kCrConnHostError:
    case kCrServerGone:
    case kCrServerLost:
    case kCrServerLostExtended:
      return Error{ErrorCode::kUnavailable, message, kUnavailableReason};
    default:
      return Error{ErrorCode::kInternal, message, {}};
  }
}

}  // namespace

Error translate_current_exception() {
  try {
    throw;
  } catch (const soci::mysql_soci_error& e) {
    return from_mysql(e.err_num_, e.get_error_message());
  } catch (const soci::soci_error& e) {
    if (e.get_error_category() == soci::soci_error::connection_error) {
      return Error{ErrorCode::kUnavailable, e.get_error_message(), kUnavailableReason};
    }
    return Error{ErrorCode::kInternal, e.get_error_message(), {}};
  } catch (const std::exception& e) {
    return Error{ErrorCode::kInternal, e.what(), {}};
  } catch (...) {
    return Error{ErrorCode::kInternal, "unknown exception from the database layer", {}};
  }
}

bool is_connection_error(const Error& error) { return error.reason == kUnavailableReason; }

bool is_retryable(const Error& error) { return error.reason == kRetryableReason; }

bool is_duplicate_key(const std::exception& exception) noexcept {
  const auto* mysql = dynamic_cast<const soci::mysql_soci_error*>(&exception);
  return mysql != nullptr && mysql->err_num_ == kErrDuplicateKey;
}

bool is_check_violation(const std::exception& exception) noexcept {
  const auto* mysql = dynamic_cast<const soci::mysql_soci_error*>(&exception);
  return mysql != nullptr && mysql->err_num_ == kErrCheckConstraint;
}

}  // namespace bourse::db
