// The relay's SQL on one outbox table (standard outbox shape, migrations/0101_*.sql).
//
// Every query goes through the ConnectionPool and runs in autocommit mode (a fresh
// snapshot per statement; each statement is atomic on its own). Selection
// is always "WHERE published_at IS NULL ORDER BY id": the relay never remembers a last
// published id, because AUTO_INCREMENT ids are assigned at insert, not at commit, and a
// row that commits late below an already published id would be skipped forever
// (docs/ARCHITECTURE.md, "Known traps"). The (published_at, id) index serves every query
// here but the mark, which names its rows by primary key.
//
// Thread-safety: thread-safe (it only holds the pool and the table name). Blocking.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/sql_batch.h"

namespace bourse::outbox {

struct OutboxRow {
  std::int64_t id = 0;
  std::string event_id;
  std::string event_type;
  std::string topic;
  std::string message_key;
  std::string payload;
};

// The mark statement of mark_published(), exposed for its EXPLAIN test. It names the
// primary key: left to itself MariaDB 10.11 walks (published_at, id) - the very index the
// UPDATE changes - and buffers the rows first ("Using buffer"); a batch of 35 marks took
// ~25 % longer that way (300 marks, autocommitted, on an idle server).
// REQUIRES: is_outbox_table_name(table); !ids.empty().
std::string mark_published_sql(const std::string& table, const std::vector<std::int64_t>& ids);

struct PendingStats {
  std::int64_t rows = 0;            // unpublished rows
  double oldest_age_seconds = 0.0;  // database now - MIN(created_at); 0 if none
};

class OutboxStore {
 public:
  // REQUIRES: is_outbox_table_name(table) (the name is put into SQL text).
  OutboxStore(db::ConnectionPool& pool, std::string table);

  // The read of the first `limit` unpublished rows in id order but `in_flight` (rows
  // produced and acknowledged, whose mark follows this read in its round trip), as a
  // statement for the session the caller chooses (the relay sends it with its lease
  // check: db::SessionLease::still_held_running), and its rows turned into OutboxRows
  // (asserting what the query promises: ids ascending, at most `limit`).
  // REQUIRES: 1 <= limit <= kMaxRelayBatchSize; in_flight.size() <= kMaxRelayBatchSize.
  db::SqlStatement unpublished_query(std::size_t limit,
                                     std::span<const std::int64_t> in_flight = {}) const;
  static std::vector<OutboxRow> unpublished_rows(const std::vector<db::SqlRow>& rows,
                                                 std::size_t limit);

  // The durability barrier as the statement right after the fetch in its round trip:
  // the same autocommitted write as durability_barrier(), made only when the fetch
  // returned rows (FOUND_ROWS() > 0), so an idle poll writes nothing. affected_rows > 0:
  // it wrote, and its commit flushed the redo log past every row the fetch saw.
  db::SqlStatement barrier_after_fetch() const;

  // mark_published() as a statement, for the round trip of the next fetch, where it
  // follows the fetch and so is that fetch's durability barrier as well (when it changes
  // a row: a write, whose autocommit waits for the log flush).
  // REQUIRES: !ids.empty(), at most kMaxRelayBatchSize.
  db::SqlStatement mark_published_statement(const std::vector<std::int64_t>& ids) const;

  // Sets published_at = NOW(6) on `ids` (still unpublished ones) in one autocommitted
  // statement; returns the rows changed.
  Result<std::size_t> mark_published(const std::vector<std::int64_t>& ids);

  // The durability barrier: one autocommitted write to outbox_relay_barriers. When it
  // returns, the redo log is flushed past every transaction that was visible before it
  // started, so rows fetched before it are durable (relay.h, "Durability").
  Status durability_barrier();

  // COUNT(*) and the age of MIN(created_at) over the unpublished rows (database time,
  // the same clock that wrote created_at).
  Result<PendingStats> pending_stats();

  // Deletes at most kRelayCleanupChunkRows published rows whose published_at is older
  // than `retention` (database time); returns the rows deleted.
  Result<std::size_t> delete_published_before(std::chrono::seconds retention);

  const std::string& table() const noexcept { return table_; }

 private:
  db::ConnectionPool& pool_;
  const std::string table_;
};

}  // namespace bourse::outbox
