// The SQL of the matching service's tables (migrations 0300-0302): matching_offsets,
// matching_snapshots, and its rows in the shared dead_letters table (0003).
//
// Every function runs on the caller's session (inside the caller's transaction where one
// is open) and throws SOCI exceptions: the caller translates them, usually through
// ConnectionPool::in_transaction / with_session.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/db/sql_batch.h"

namespace bourse::matching::service::detail {

// Largest snapshot stored: the INSERT carries the bytes escaped in the statement text
// (up to twice their size), which must fit the server's max_allowed_packet (16 MiB by
// default). A bigger state is not snapshotted (error log + counter): restores replay more.
inline constexpr std::size_t kMaxSnapshotBytes = 6 * 1024 * 1024;
// Longest error text stored in dead_letters.error (bytes), as platform/consumer does.
inline constexpr std::size_t kMaxDeadLetterErrorBytes = 8 * 1024;

// The committed next offset of the partition; std::nullopt when none is stored. With
// `for_update` the row (or the gap where it would be) stays locked until the end of the
// transaction: two members that both believe they own the partition serialise here.
std::optional<std::int64_t> load_committed_offset(soci::session& session, const std::string& topic,
                                                  std::int32_t partition, bool for_update);
// BEGIN and the locking read of several partitions' committed offsets (as
// load_committed_offset(for_update = true)) in ONE round trip (db/sql_batch.h): opens the
// batch's transaction (ConnectionPool::Begin::kByWork). Returns each partition's
// committed next offset, std::nullopt where none is stored.
// REQUIRES: 1..events::kMaxPartitions partitions, none twice.
std::map<std::int32_t, std::optional<std::int64_t>> begin_and_lock_committed_offsets(
    soci::session& session, const std::string& topic, const std::vector<std::int32_t>& partitions);
// The upsert of several partitions' committed next offsets in one statement, built and
// not run, for the batch's last writes. REQUIRES: 1..events::kMaxPartitions entries.
db::SqlStatement committed_offsets_upsert(
    const std::string& topic, const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets);

// next_offset of the partition's stored snapshots, newest first.
std::vector<std::int64_t> snapshot_offsets(soci::session& session, const std::string& topic,
                                           std::int32_t partition);
struct StoredSnapshot {
  std::int64_t next_offset = 0;
  int format = 0;
  std::string bytes;
};
std::optional<StoredSnapshot> load_snapshot(soci::session& session, const std::string& topic,
                                            std::int32_t partition, std::int64_t next_offset);
// Stores (or replaces) the snapshot, then deletes all but the newest `keep`.
void store_snapshot(soci::session& session, const std::string& topic, std::int32_t partition,
                    const StoredSnapshot& snapshot, int keep);

// A dead_letters row for an input that does not decode (attempts 1; the first write of a
// message wins: a re-run of the same offset writes the same row).
void insert_dead_letter(soci::session& session, const std::string& group, const std::string& topic,
                        std::int32_t partition, std::int64_t offset, const std::string& payload,
                        std::string_view error);

}  // namespace bourse::matching::service::detail
