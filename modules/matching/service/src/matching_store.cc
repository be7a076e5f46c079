#include "matching_store.h"

#include <soci/soci.h>

#include "bourse/common/assert.h"
#include "bourse/db/sql_text.h"
#include "bourse/matching/events.h"

namespace bourse::matching::service::detail {

std::optional<std::int64_t> load_committed_offset(soci::session& session, const std::string& topic,
                                                  std::int32_t partition, bool for_update) {
  long long next_offset = 0;
  int partition_id = partition;
  soci::statement select =
      (session.prepare << std::string("SELECT next_offset FROM matching_offsets"
                                      " WHERE topic = :t AND partition_id = :p") +
                              (for_update ? " FOR UPDATE" : ""),
       soci::into(next_offset), soci::use(topic), soci::use(partition_id));
  select.execute(true);
  if (!select.got_data()) return std::nullopt;
  BOURSE_ASSERT(next_offset >= 0, "a committed matching offset is never negative");
  return next_offset;
}

std::map<std::int32_t, std::optional<std::int64_t>> begin_and_lock_committed_offsets(
    soci::session& session, const std::string& topic, const std::vector<std::int32_t>& partitions) {
  BOURSE_ASSERT(!partitions.empty() && partitions.size() <= static_cast<std::size_t>(events::kMaxPartitions),
                "1..kMaxPartitions partitions are locked at once");
  std::map<std::int32_t, std::optional<std::int64_t>> committed;
  db::SqlStatement query{"SELECT partition_id, next_offset FROM matching_offsets WHERE topic = :t "
                         "AND partition_id IN (" +
                             db::row_placeholders(partitions.size(), 1) + ") FOR UPDATE",
                         {topic}, std::nullopt, std::nullopt};
  for (const std::int32_t partition : partitions) {
    BOURSE_ASSERT(committed.emplace(partition, std::nullopt).second, "no partition twice");
    query.values.emplace_back(static_cast<long long>(partition));
  }
  for (const db::SqlRow& row : db::begin_reading(session, query)) {
    BOURSE_ASSERT(row.size() == 2 && row[0] && row[1], "partition_id and next_offset NOT NULL");
    const auto it = committed.find(static_cast<std::int32_t>(std::stol(*row[0])));
    BOURSE_ASSERT(it != committed.end() && !it->second,
                  "one row per (topic, partition), of a partition asked for");
    it->second = std::stoll(*row[1]);
    BOURSE_ASSERT(*it->second >= 0, "a committed matching offset is never negative");
  }
  return committed;
}

db::SqlStatement committed_offsets_upsert(
    const std::string& topic, const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets) {
  BOURSE_ASSERT(!offsets.empty() && offsets.size() <= static_cast<std::size_t>(events::kMaxPartitions),
                "1..kMaxPartitions offsets are stored at once");
  db::SqlStatement upsert{"INSERT INTO matching_offsets (topic, partition_id, next_offset) VALUES " +
                              db::row_placeholders(offsets.size(), 3) +
                              " ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset)",
                          {}, std::nullopt, std::nullopt};
  for (const auto& [partition, next_offset] : offsets) {
    BOURSE_ASSERT(next_offset >= 0, "a committed matching offset is never negative");
    upsert.values.insert(upsert.values.end(), {topic, static_cast<long long>(partition),
                                               static_cast<long long>(next_offset)});
  }
  return upsert;
}

std::vector<std::int64_t> snapshot_offsets(soci::session& session, const std::string& topic,
                                           std::int32_t partition) {
  int partition_id = partition;
  std::vector<std::int64_t> offsets;
  long long offset = 0;
  soci::statement select =
      (session.prepare << "SELECT next_offset FROM matching_snapshots"
                          " WHERE topic = :t AND partition_id = :p ORDER BY next_offset DESC",
       soci::into(offset), soci::use(topic), soci::use(partition_id));
  select.execute();
  while (select.fetch()) offsets.push_back(offset);
  return offsets;
}

std::optional<StoredSnapshot> load_snapshot(soci::session& session, const std::string& topic,
                                            std::int32_t partition, std::int64_t next_offset) {
  int partition_id = partition;
  long long offset = next_offset;
  StoredSnapshot snapshot;
  snapshot.next_offset = next_offset;
  soci::statement select =
      (session.prepare << "SELECT format, bytes FROM matching_snapshots"
                          " WHERE topic = :t AND partition_id = :p AND next_offset = :o",
       soci::into(snapshot.format), soci::into(snapshot.bytes), soci::use(topic),
       soci::use(partition_id), soci::use(offset));
  select.execute(true);
  if (!select.got_data()) return std::nullopt;
  return snapshot;
}

void store_snapshot(soci::session& session, const std::string& topic, std::int32_t partition,
                    const StoredSnapshot& snapshot, int keep) {
  BOURSE_ASSERT(keep >= 1, "at least the new snapshot is kept");
  int partition_id = partition;
  long long offset = snapshot.next_offset;
  int format = snapshot.format;
  session << "REPLACE INTO matching_snapshots (topic, partition_id, next_offset, format, bytes)"
             " VALUES (:t, :p, :o, :f, :b)",
      soci::use(topic), soci::use(partition_id), soci::use(offset), soci::use(format),
      soci::use(snapshot.bytes);
  // The oldest offset still kept; everything older goes.
  long long oldest_kept = 0;
  int skip = keep - 1;
  soci::statement select =
      (session.prepare << "SELECT next_offset FROM matching_snapshots WHERE topic = :t AND"
                          " partition_id = :p ORDER BY next_offset DESC LIMIT 1 OFFSET :k",
       soci::into(oldest_kept), soci::use(topic), soci::use(partition_id), soci::use(skip));
  select.execute(true);
  if (!select.got_data()) return;
  session << "DELETE FROM matching_snapshots WHERE topic = :t AND partition_id = :p"
             " AND next_offset < :o",
      soci::use(topic), soci::use(partition_id), soci::use(oldest_kept);
}

void insert_dead_letter(soci::session& session, const std::string& group, const std::string& topic,
                        std::int32_t partition, std::int64_t offset, const std::string& payload,
                        std::string_view error) {
  std::string text;
  text.reserve(std::min(error.size(), kMaxDeadLetterErrorBytes));
  for (const char c : error.substr(0, kMaxDeadLetterErrorBytes)) {
    text.push_back((c >= ' ' && c <= '~') ? c : '?');
  }
  int partition_id = partition;
  long long message_offset = offset;
  session << "INSERT IGNORE INTO dead_letters (consumer_group, topic, partition_id, message_offset,"
             " payload, error, attempts) VALUES (:g, :t, :p, :o, :b, :e, 1)",
      soci::use(group), soci::use(topic), soci::use(partition_id), soci::use(message_offset),
      soci::use(payload), soci::use(text);
}

}  // namespace bourse::matching::service::detail
