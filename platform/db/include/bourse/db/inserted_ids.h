// The AUTO_INCREMENT ids of the rows a multi-row INSERT just wrote on this session.
//
// InnoDB numbers the rows of one simple multi-row insert first_id, first_id + increment,
// ... when innodb_autoinc_lock_mode is 0 or 1; mode 2 ("interleaved") may leave gaps, so
// a multi-row insert is refused there with kInternal (callers fall back to one row per
// statement, where LAST_INSERT_ID is always exact).
//
// The first id and the row count come from the client library (mysql_insert_id,
// mysql_affected_rows: no round trip); auto_increment_increment and
// innodb_autoinc_lock_mode are read from the server once per process (changing them
// takes a restart of bourse).
//
// REQUIRES: called right after `statement` (the INSERT) executed on `session`, inside its
// transaction. Asserts that the insert wrote exactly `rows` rows. SOCI exceptions
// propagate.
#pragma once

#include <soci/session.h>
#include <soci/statement.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/sql_batch.h"

namespace bourse::db {

inline constexpr long long kInterleavedAutoIncLockMode = 2;

Result<std::vector<std::int64_t>> inserted_ids(soci::session& session,
                                               soci::statement& statement, std::size_t rows);
// The same from the outcome of a statement run by execute_statement(s) (sql_batch.h).
Result<std::vector<std::int64_t>> inserted_ids(soci::session& session,
                                               const StatementOutcome& outcome,
                                               std::size_t rows);

}  // namespace bourse::db
