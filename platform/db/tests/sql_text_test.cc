// Goal: generated placeholder lists have one placeholder per value, in row order.
#include "bourse/db/sql_text.h"

#include <catch2/catch.hpp>

TEST_CASE("row placeholders list rows and columns", "[db]") {
  CHECK(bourse::db::row_placeholders(1, 1) == "(:p0_0)");
  CHECK(bourse::db::row_placeholders(2, 3) == "(:p0_0, :p0_1, :p0_2), (:p1_0, :p1_1, :p1_2)");
}
