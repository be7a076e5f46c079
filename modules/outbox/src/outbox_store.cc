#include "outbox_store.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/outbox/outbox_writer.h"
#include "bourse/outbox/relay_options.h"

namespace bourse::outbox {

OutboxStore::OutboxStore(db::ConnectionPool& pool, std::string table)
    : pool_(pool), table_(std::move(table)) {
  BOURSE_ASSERT(is_outbox_table_name(table_), "only known outbox tables reach SQL text");
}

db::SqlStatement OutboxStore::rows_after_query(std::int64_t after, std::size_t limit) const {
  BOURSE_ASSERT(limit >= 1 && limit <= kMaxRelayBatchSize, "batch size validated");
  BOURSE_ASSERT(after >= 0, "ids start at 1");
  return db::SqlStatement{
      fmt::format("SELECT id, event_id, event_type, topic, message_key, payload, "
                  "TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)) FROM {} WHERE id > :after "
                  "ORDER BY id LIMIT {}",
                  table_, limit),
      {static_cast<long long>(after)},
      std::nullopt,
      std::nullopt};
}

std::vector<OutboxRow> OutboxStore::rows_after(const std::vector<db::SqlRow>& rows,
                                               std::int64_t after, std::size_t limit) {
  BOURSE_ASSERT(rows.size() <= limit, "LIMIT honoured");
  std::vector<OutboxRow> out;
  out.reserve(rows.size());
  for (const db::SqlRow& row : rows) {
    BOURSE_ASSERT(row.size() == 7, "the query's seven columns");
    for (const auto& column : row) BOURSE_ASSERT(column.has_value(), "outbox columns are NOT NULL");
    OutboxRow& converted = out.emplace_back();
    converted.id = std::stoll(*row[0]);
    converted.event_id = *row[1];
    converted.event_type = *row[2];
    converted.topic = *row[3];
    converted.message_key = *row[4];
    converted.payload = *row[5];
    converted.age_at_fetch = std::chrono::microseconds(std::max(0LL, std::stoll(*row[6])));
    BOURSE_ASSERT(converted.id > (out.size() == 1 ? after : out[out.size() - 2].id),
                  "rows come in id order, above `after`");
  }
  return out;
}

db::SqlStatement OutboxStore::barrier_after_fetch() const {
  // FOUND_ROWS(): the rows the session's previous SELECT returned. INSERT ... SELECT
  // FROM DUAL reads no table, so it locks nothing but the barrier row.
  return db::SqlStatement{
      "INSERT INTO outbox_relay_barriers (outbox, barriers) SELECT :outbox, 1 FROM DUAL "
      "WHERE FOUND_ROWS() > 0 ON DUPLICATE KEY UPDATE barriers = barriers + 1",
      {table_},
      std::nullopt,
      std::nullopt};
}

db::SqlStatement OutboxStore::progress_statement(std::int64_t up_to) const {
  BOURSE_ASSERT(up_to >= 1, "progress names a row");
  return db::SqlStatement{
      "INSERT INTO outbox_relay_barriers (outbox, barriers, published_up_to) VALUES (:outbox, "
      "0, :up_to) ON DUPLICATE KEY UPDATE published_up_to = GREATEST(published_up_to, "
      "VALUES(published_up_to))",
      {table_, static_cast<long long>(up_to)},
      std::nullopt,
      std::nullopt};
}

Status OutboxStore::record_progress(std::int64_t up_to) {
  // One statement, autocommitted: atomic on its own. Only the lease holder writes it, so
  // it does not contend; a failure leaves the rows to be produced again (at-least-once).
  return pool_.with_session(
      [&](soci::session& session) { (void)db::execute_statement(session, progress_statement(up_to)); });
}

Result<std::int64_t> OutboxStore::published_up_to() {
  long long up_to = 0;
  Status status = pool_.with_session([&](soci::session& session) {
    session << "SELECT COALESCE(MAX(published_up_to), 0) FROM outbox_relay_barriers WHERE "
               "outbox = :outbox",
        soci::use(table_), soci::into(up_to);
  });
  if (!status) return status.error();
  BOURSE_ASSERT(up_to >= 0, "ids start at 1");
  return static_cast<std::int64_t>(up_to);
}

Status OutboxStore::durability_barrier() {
  // A real change (the counter moves), so the statement writes redo and its autocommit
  // waits for the log flush (innodb_flush_log_at_trx_commit = 1); a no-op UPDATE would not.
  return pool_.with_session([&](soci::session& session) {
    session << "INSERT INTO outbox_relay_barriers (outbox, barriers) VALUES (:t, 1)"
               " ON DUPLICATE KEY UPDATE barriers = barriers + 1",
        soci::use(table_);
  });
}

Result<PendingStats> OutboxStore::pending_stats() {
  PendingStats stats;
  long long rows = 0;
  long long age_micros = 0;
  const std::string sql = fmt::format(
      "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)), 0) "
      "FROM {} WHERE {}",
      table_, unpublished_condition(table_));
  Status status = pool_.with_session(
      [&](soci::session& session) { session << sql, soci::into(rows), soci::into(age_micros); });
  if (!status) return status.error();
  BOURSE_ASSERT(rows >= 0, "COUNT is never negative");
  stats.rows = rows;
  // created_at uses the server's clock at insert; a clock step back could make it
  // negative: report 0 rather than a negative age.
  stats.oldest_age_seconds = age_micros > 0 ? static_cast<double>(age_micros) / 1e6 : 0.0;
  return stats;
}

Result<std::size_t> OutboxStore::delete_published_before(std::chrono::seconds retention,
                                                         std::int64_t published_up_to) {
  if (published_up_to <= 0) return std::size_t{0};
  // Two primary-key range statements, each bounded by the chunk: read the oldest published
  // rows' ages, then delete the prefix of them that is expired. (One DELETE filtering on
  // created_at would scan every published row younger than the retention, up to a day's
  // worth, to find its LIMIT.) created_at follows the id closely (ids are in commit
  // order), and stopping at the first young row only ever keeps a row longer.
  const db::SqlStatement head{
      fmt::format("SELECT id, created_at < NOW(6) - INTERVAL {} SECOND FROM {} WHERE id <= {} "
                  "ORDER BY id LIMIT {}",
                  retention.count(), table_, published_up_to, kRelayCleanupChunkRows),
      {}, std::nullopt, std::nullopt};
  std::size_t deleted = 0;
  Status status = pool_.with_session([&](soci::session& session) {
    long long last_expired = 0;
    for (const db::SqlRow& row : db::execute_statement(session, head).rows) {
      BOURSE_ASSERT(row.size() == 2 && row[0] && row[1], "id and a comparison");
      if (*row[1] != "1") break;
      last_expired = std::stoll(*row[0]);
    }
    if (last_expired == 0) return;
    soci::statement statement =
        (session.prepare << fmt::format("DELETE FROM {} WHERE id <= {}", table_, last_expired));
    statement.execute(true);
    deleted = static_cast<std::size_t>(statement.get_affected_rows());
  });
  if (!status) return status.error();
  BOURSE_ASSERT(deleted <= kRelayCleanupChunkRows, "at most the chunk read is deleted");
  return deleted;
}

}  // namespace bourse::outbox
