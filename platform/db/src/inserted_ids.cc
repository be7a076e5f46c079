#include "bourse/db/inserted_ids.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"

namespace bourse::db {

Result<std::vector<std::int64_t>> inserted_ids(soci::session& session, std::size_t rows) {
  long long first_id = 0;
  long long row_count = 0;
  long long increment = 0;
  long long lock_mode = 0;
  session << "SELECT LAST_INSERT_ID(), ROW_COUNT(), @@auto_increment_increment, "
             "@@innodb_autoinc_lock_mode",
      soci::into(first_id), soci::into(row_count), soci::into(increment), soci::into(lock_mode);
  BOURSE_ASSERT(row_count == static_cast<long long>(rows), "the insert wrote one row per item");
  BOURSE_ASSERT(first_id > 0 && increment > 0, "AUTO_INCREMENT assigned the ids");
  if (rows > 1 && lock_mode == kInterleavedAutoIncLockMode) {
    return Error::internal(
        "innodb_autoinc_lock_mode 2 does not number a multi-row insert consecutively");
  }
  std::vector<std::int64_t> ids;
  ids.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) ids.push_back(first_id + static_cast<long long>(i) * increment);
  return ids;
}

}  // namespace bourse::db
