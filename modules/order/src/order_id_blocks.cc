#include "order_id_blocks.h"

#include "bourse/common/assert.h"
#include "bourse/db/sql_batch.h"

namespace bourse::order {

Status OrderIdBlocks::reserve(std::size_t count) {
  BOURSE_ASSERT(count >= 1 && static_cast<std::int64_t>(count) <= kOrderIdBlockSize,
                "1..kOrderIdBlockSize ids per reservation");
  if (available() >= count) return Status::success();
  // LAST_INSERT_ID(expr) hands the new value back with the UPDATE's own reply
  // (mysql_insert_id), so the reservation is one autocommitted round trip.
  const db::SqlStatement update{
      "UPDATE order_id_blocks SET next_order_id = LAST_INSERT_ID(next_order_id + :n) "
      "WHERE id = 1",
      {static_cast<long long>(kOrderIdBlockSize)},
      std::nullopt,
      1};
  std::int64_t end = 0;
  Status reserved = pool_.with_session(
      [&](soci::session& session) { end = db::execute_statement(session, update).last_insert_id; });
  if (!reserved) return reserved;
  BOURSE_ASSERT(end > kOrderIdBlockSize && end - kOrderIdBlockSize >= end_,
                "blocks are positive and move forward");
  next_ = end - kOrderIdBlockSize;
  end_ = end;
  return Status::success();
}

OrderId OrderIdBlocks::take() {
  BOURSE_ASSERT(next_ < end_, "an id was reserved");
  return OrderId(next_++);
}

}  // namespace bourse::order
