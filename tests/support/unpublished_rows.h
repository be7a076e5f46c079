// The outbox rows no relay has published yet, for tests that wait until a system is quiet.
// A row is unpublished when its id is above its outbox's "published up to" id
// (outbox::unpublished_condition, modules/outbox/README.md): there is no per-row mark.
// A target that includes this links bourse_outbox_writer.
#pragma once

#include <string>

#include "bourse/outbox/outbox_writer.h"

namespace bourse::testing {

// A statement returning the number of unpublished rows over the process's three outboxes.
inline std::string count_unpublished_rows_sql() {
  std::string sql = "SELECT 0";
  for (const char* table : {"order_outbox", "matching_outbox", "account_outbox"}) {
    sql += " + (SELECT COUNT(*) FROM " + std::string(table) + " WHERE " +
           outbox::unpublished_condition(table) + ")";
  }
  return sql;
}

}  // namespace bourse::testing
