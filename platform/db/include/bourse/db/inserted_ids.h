// The AUTO_INCREMENT ids of the rows a multi-row INSERT just wrote on this session.
//
// InnoDB numbers the rows of one simple multi-row insert first_id, first_id + increment,
// ... when innodb_autoinc_lock_mode is 0 or 1; mode 2 ("interleaved") may leave gaps, so
// a multi-row insert is refused there with kInternal (callers fall back to one row per
// statement, where LAST_INSERT_ID is always exact).
//
// REQUIRES: called right after the INSERT on the same session, inside its transaction.
// Asserts that the insert wrote exactly `rows` rows. SOCI exceptions propagate.
#pragma once

#include <soci/session.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bourse/common/error.h"

namespace bourse::db {

inline constexpr long long kInterleavedAutoIncLockMode = 2;

Result<std::vector<std::int64_t>> inserted_ids(soci::session& session, std::size_t rows);

}  // namespace bourse::db
