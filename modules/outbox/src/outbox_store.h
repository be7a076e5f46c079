// The relay's SQL on one outbox table (standard outbox shape, migrations/0201_*.sql, with
// dense ids: migrations/0005_outbox_sequences.sql).
//
// Every query goes through the ConnectionPool (or the lease's session) in autocommit mode
// (a fresh snapshot per statement; each statement is atomic on its own). Ids are dense and
// in commit order (outbox_writer.h, "Ids"), so the relay remembers ONE id per outbox:
// published_up_to in outbox_relay_barriers, every row at or below it acknowledged by the
// broker. Selection is a primary-key range, "WHERE id > <acknowledged up to> ORDER BY id";
// no per-row mark and no secondary index to keep up (modules/outbox/README.md, "Ids and
// progress").
//
// Thread-safety: thread-safe (it only holds the pool and the table name). Blocking.
#pragma once

#include <chrono>
#include <cstdint>
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
  // The row's age when the fetch read it (database clock: NOW(6) - created_at), for the
  // relay's delay histogram; 0 if the clock stepped back.
  std::chrono::microseconds age_at_fetch{0};
};

struct PendingStats {
  std::int64_t rows = 0;            // unpublished rows
  double oldest_age_seconds = 0.0;  // database now - MIN(created_at); 0 if none
};

class OutboxStore {
 public:
  // REQUIRES: is_outbox_table_name(table) (the name is put into SQL text).
  OutboxStore(db::ConnectionPool& pool, std::string table);

  // The read of the first `limit` rows with id > `after` (the relay's acknowledged-up-to
  // id), in id order, as a statement for the session the caller chooses (the relay sends
  // it with its lease check: db::SessionLease::still_held_running), and its rows turned
  // into OutboxRows (asserting what the query promises: ids ascending and above `after`,
  // at most `limit`).
  // REQUIRES: 1 <= limit <= kMaxRelayBatchSize; after >= 0.
  db::SqlStatement rows_after_query(std::int64_t after, std::size_t limit) const;
  static std::vector<OutboxRow> rows_after(const std::vector<db::SqlRow>& rows,
                                           std::int64_t after, std::size_t limit);

  // The durability barrier as the statement right after the fetch in its round trip:
  // the same autocommitted write as durability_barrier(), made only when the fetch
  // returned rows (FOUND_ROWS() > 0), so an idle poll writes nothing. affected_rows > 0:
  // it wrote, and its commit flushed the redo log past every row the fetch saw.
  db::SqlStatement barrier_after_fetch() const;

  // Records that every row with id <= `up_to` is published: published_up_to becomes
  // GREATEST(itself, up_to) (a deposed relay's late write never moves it back). As the
  // statement after a fetch it is that fetch's durability barrier as well when it changes
  // the row (affected_rows > 0: a write, whose autocommit waits for the log flush); it
  // changes nothing only if another holder recorded further meanwhile.
  // REQUIRES: up_to >= 1.
  db::SqlStatement progress_statement(std::int64_t up_to) const;
  // The same now, autocommitted on a pool session.
  Status record_progress(std::int64_t up_to);

  // The recorded published_up_to (0 when the outbox has no row in outbox_relay_barriers).
  Result<std::int64_t> published_up_to();

  // The durability barrier: one autocommitted write to outbox_relay_barriers. When it
  // returns, the redo log is flushed past every transaction that was visible before it
  // started, so rows fetched before it are durable (relay.h, "Durability").
  Status durability_barrier();

  // COUNT(*) and the age of MIN(created_at) over the unpublished rows (id above the
  // recorded published_up_to; database time, the same clock that wrote created_at).
  Result<PendingStats> pending_stats();

  // Deletes at most kRelayCleanupChunkRows published rows (id <= published_up_to) created
  // more than `retention` ago (database time); returns the rows deleted.
  Result<std::size_t> delete_published_before(std::chrono::seconds retention,
                                              std::int64_t published_up_to);

  const std::string& table() const noexcept { return table_; }

 private:
  db::ConnectionPool& pool_;
  const std::string table_;
};

}  // namespace bourse::outbox
