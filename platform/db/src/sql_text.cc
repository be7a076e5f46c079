#include "bourse/db/sql_text.h"

#include "bourse/common/assert.h"

namespace bourse::db {

std::string row_placeholders(std::size_t rows, std::size_t columns) {
  BOURSE_ASSERT(rows >= 1 && columns >= 1, "at least one row and one column");
  std::string text;
  text.reserve(rows * columns * 10);
  for (std::size_t row = 0; row < rows; ++row) {
    text += row == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < columns; ++column) {
      if (column > 0) text += ", ";
      text += ":p" + std::to_string(row) + "_" + std::to_string(column);
    }
    text += ")";
  }
  return text;
}

}  // namespace bourse::db
