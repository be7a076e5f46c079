// Building the text of multi-row statements: one statement for a whole batch keeps the
// number of round trips constant whatever the batch size. Values are always bound
// parameters (SOCI binds them by position); only placeholders are generated here.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace bourse::db {

// "(:p0_0, :p0_1), (:p1_0, :p1_1)" for rows = 2, columns = 2: the VALUES list of a
// multi-row INSERT, or the list of a row-constructor IN ((...), (...)).
// REQUIRES: rows >= 1, columns >= 1.
std::string row_placeholders(std::size_t rows, std::size_t columns);

}  // namespace bourse::db
