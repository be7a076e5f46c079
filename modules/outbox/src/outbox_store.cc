#include "outbox_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/outbox/outbox_writer.h"
#include "bourse/outbox/relay_options.h"

namespace bourse::outbox {

OutboxStore::OutboxStore(db::ConnectionPool& pool, std::string table)
    : pool_(pool), table_(std::move(table)) {
  BOURSE_ASSERT(is_outbox_table_name(table_), "only known outbox tables reach SQL text");
}

db::SqlStatement OutboxStore::unpublished_query(std::size_t limit,
                                                std::span<const std::int64_t> in_flight) const {
  BOURSE_ASSERT(limit >= 1 && limit <= kMaxRelayBatchSize, "batch size validated");
  BOURSE_ASSERT(in_flight.size() <= kMaxRelayBatchSize, "one batch in flight at most");
  // ids are integers from our own SELECT: safe to put in the SQL text.
  const std::string excluded =
      in_flight.empty() ? std::string() : fmt::format(" AND id NOT IN ({})", fmt::join(in_flight, ","));
  return db::SqlStatement{fmt::format("SELECT id, event_id, event_type, topic, message_key, "
                                      "payload FROM {} WHERE published_at IS NULL{} ORDER BY id "
                                      "LIMIT {}",
                                      table_, excluded, limit),
                          {},
                          std::nullopt,
                          std::nullopt};
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

db::SqlStatement OutboxStore::mark_published_statement(
    const std::vector<std::int64_t>& ids) const {
  BOURSE_ASSERT(ids.size() <= kMaxRelayBatchSize, "one batch at most");
  return db::SqlStatement{mark_published_sql(table_, ids), {}, std::nullopt, std::nullopt};
}

std::vector<OutboxRow> OutboxStore::unpublished_rows(const std::vector<db::SqlRow>& rows,
                                                     std::size_t limit) {
  BOURSE_ASSERT(rows.size() <= limit, "LIMIT honoured");
  std::vector<OutboxRow> out;
  out.reserve(rows.size());
  for (const db::SqlRow& row : rows) {
    BOURSE_ASSERT(row.size() == 6, "the query's six columns");
    for (const auto& column : row) BOURSE_ASSERT(column.has_value(), "outbox columns are NOT NULL");
    OutboxRow& converted = out.emplace_back();
    converted.id = std::stoll(*row[0]);
    converted.event_id = *row[1];
    converted.event_type = *row[2];
    converted.topic = *row[3];
    converted.message_key = *row[4];
    converted.payload = *row[5];
    BOURSE_ASSERT(out.size() == 1 || out[out.size() - 2].id < converted.id,
                  "unpublished rows come in id order");
  }
  return out;
}

std::string mark_published_sql(const std::string& table, const std::vector<std::int64_t>& ids) {
  BOURSE_ASSERT(!ids.empty(), "a mark names rows");
  // ids are integers from our own SELECT: safe to put in the SQL text.
  return fmt::format(
      "UPDATE {} FORCE INDEX (PRIMARY) SET published_at = NOW(6) WHERE id IN ({}) AND "
      "published_at IS NULL",
      table, fmt::join(ids, ","));
}

Result<std::size_t> OutboxStore::mark_published(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return std::size_t{0};
  BOURSE_ASSERT(ids.size() <= kMaxRelayBatchSize, "one batch at most");
  const std::string sql = mark_published_sql(table_, ids);
  // One statement, autocommitted: atomic on its own, and no BEGIN / COMMIT round trips
  // (the relays' marks were ~40% of all transactions under load). Only the lease holder
  // writes published_at, so it does not contend; a failure leaves the rows unpublished
  // and they are produced again (at-least-once).
  std::size_t changed = 0;
  Status status = pool_.with_session([&](soci::session& session) {
    soci::statement statement = (session.prepare << sql);
    statement.execute(true);
    changed = static_cast<std::size_t>(statement.get_affected_rows());
  });
  if (!status) return status.error();
  BOURSE_ASSERT(changed <= ids.size(), "UPDATE touched only the given ids");
  return changed;
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
      "FROM {} WHERE published_at IS NULL",
      table_);
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

Result<std::size_t> OutboxStore::delete_published_before(std::chrono::seconds retention) {
  const std::string sql = fmt::format(
      "DELETE FROM {} WHERE published_at IS NOT NULL "
      "AND published_at < NOW(6) - INTERVAL {} SECOND ORDER BY published_at LIMIT {}",
      table_, retention.count(), kRelayCleanupChunkRows);
  std::size_t deleted = 0;
  Status status = pool_.with_session([&](soci::session& session) {
    soci::statement statement = (session.prepare << sql);
    statement.execute(true);
    deleted = static_cast<std::size_t>(statement.get_affected_rows());
  });
  if (!status) return status.error();
  BOURSE_ASSERT(deleted <= kRelayCleanupChunkRows, "DELETE honoured its LIMIT");
  return deleted;
}

}  // namespace bourse::outbox
