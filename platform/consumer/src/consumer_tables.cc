#include "consumer_tables.h"

#include <soci/soci.h>

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "bourse/common/assert.h"
#include "bourse/db/sql_batch.h"
#include "bourse/db/sql_text.h"

namespace bourse::consumer::detail {

std::optional<std::int64_t> load_next_offset(soci::session& session, const std::string& group,
                                             const std::string& topic, std::int32_t partition,
                                             bool for_update) {
  long long next_offset = 0;
  soci::indicator indicator = soci::i_null;
  int partition_id = partition;
  std::string sql =
      "SELECT next_offset FROM consumer_offsets"
      " WHERE consumer_group = :g AND topic = :t AND partition_id = :p";
  if (for_update) sql += " FOR UPDATE";
  session << sql, soci::use(group), soci::use(topic), soci::use(partition_id),
      soci::into(next_offset, indicator);
  if (!session.got_data() || indicator != soci::i_ok) return std::nullopt;
  BOURSE_ASSERT(next_offset >= 0, "stored consumer offsets are never negative");
  return static_cast<std::int64_t>(next_offset);
}

BatchStart begin_batch(soci::session& session, const std::string& group,
                       const std::vector<kafka::TopicPartition>& partitions,
                       const std::vector<std::string>& event_ids) {
  BOURSE_ASSERT(!partitions.empty() && partitions.size() <= kMaxLockedPartitions,
                "1..kMaxLockedPartitions partitions are locked at once");
  BOURSE_ASSERT(event_ids.size() <= kMaxClaimedEventsPerBatch, "a batch's ids fit its reads");
  BatchStart start;
  std::vector<db::SqlStatement> reads;
  db::SqlStatement& offsets =
      reads.emplace_back(db::SqlStatement{"SELECT topic, partition_id, next_offset FROM "
                                          "consumer_offsets WHERE consumer_group = :g AND "
                                          "(topic, partition_id) IN (" +
                                              db::row_placeholders(partitions.size(), 2) +
                                              ") FOR UPDATE",
                                          {group}, std::nullopt, std::nullopt});
  offsets.values.reserve(1 + 2 * partitions.size());
  for (const kafka::TopicPartition& tp : partitions) {
    BOURSE_ASSERT(start.next_offsets.emplace(tp, std::nullopt).second,
                  "no partition is locked twice");
    offsets.values.insert(offsets.values.end(), {tp.topic, static_cast<long long>(tp.partition)});
  }
  // After the lock, in statement order: claims of these partitions are serialised.
  for (std::size_t from = 0; from < event_ids.size(); from += kMaxClaimsPerStatement) {
    const std::size_t count = std::min(kMaxClaimsPerStatement, event_ids.size() - from);
    db::SqlStatement& processed = reads.emplace_back(db::SqlStatement{
        "SELECT event_id FROM processed_events FORCE INDEX (PRIMARY) WHERE consumer_group = :g "
        "AND event_id IN (" + db::row_placeholders(count, 1) + ")",
        {group}, std::nullopt, std::nullopt});
    processed.values.insert(processed.values.end(), event_ids.begin() + from,
                            event_ids.begin() + from + count);
  }
  std::vector<std::vector<db::SqlRow>> results = db::begin_reading(session, reads);
  BOURSE_ASSERT(results.size() == reads.size(), "one result per read");
  for (const db::SqlRow& row : results.front()) {
    BOURSE_ASSERT(row.size() == 3 && row[0] && row[1] && row[2],
                  "a consumer_offsets row has its key and next offset");
    const kafka::TopicPartition tp{*row[0], static_cast<std::int32_t>(std::stol(*row[1]))};
    const auto it = start.next_offsets.find(tp);
    BOURSE_ASSERT(it != start.next_offsets.end() && !it->second,
                  "one row per (group, topic, partition), of a partition asked for");
    it->second = std::stoll(*row[2]);
    BOURSE_ASSERT(*it->second >= 0, "stored consumer offsets are never negative");
  }
  for (std::size_t i = 1; i < results.size(); ++i) {
    for (db::SqlRow& row : results[i]) {
      BOURSE_ASSERT(row.size() == 1 && row[0], "a processed_events row has its event id");
      start.processed.insert(std::move(*row[0]));
    }
  }
  return start;
}

db::SqlStatement next_offsets_upsert(
    const std::string& group,
    const std::vector<std::pair<kafka::TopicPartition, std::int64_t>>& next_offsets) {
  BOURSE_ASSERT(!next_offsets.empty() && next_offsets.size() <= kMaxLockedPartitions,
                "1..kMaxLockedPartitions offsets are stored at once");
  db::SqlStatement upsert{"INSERT INTO consumer_offsets (consumer_group, topic, partition_id, "
                          "next_offset) VALUES " +
                              db::row_placeholders(next_offsets.size(), 4) +
                              " ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset)",
                          {}, std::nullopt, std::nullopt};
  upsert.values.reserve(4 * next_offsets.size());
  for (const auto& [tp, next_offset] : next_offsets) {
    BOURSE_ASSERT(next_offset >= 0, "a next offset is never negative");
    upsert.values.insert(upsert.values.end(), {group, tp.topic, static_cast<long long>(tp.partition),
                                               static_cast<long long>(next_offset)});
  }
  return upsert;
}

void store_next_offset(soci::session& session, const std::string& group, const std::string& topic,
                       std::int32_t partition, std::int64_t next_offset) {
  db::execute_statement(session, next_offsets_upsert(group, {{{topic, partition}, next_offset}}));
}

bool claim_event(soci::session& session, const std::string& group, const std::string& event_id) {
  soci::statement statement =
      (session.prepare << "INSERT IGNORE INTO processed_events (consumer_group, event_id)"
                          " VALUES (:g, :e)",
       soci::use(group), soci::use(event_id));
  statement.execute(true);
  const long long inserted = statement.get_affected_rows();
  BOURSE_ASSERT(inserted == 0 || inserted == 1, "INSERT IGNORE of one row affects 0 or 1 rows");
  return inserted == 1;
}

std::vector<bool> new_events(const std::vector<std::string>& event_ids,
                             const std::unordered_set<std::string>& processed) {
  std::vector<bool> fresh(event_ids.size(), false);
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < event_ids.size(); ++i) {
    // New to the group and to this batch.
    fresh[i] = processed.count(event_ids[i]) == 0 && seen.insert(event_ids[i]).second;
  }
  return fresh;
}

std::vector<db::SqlStatement> claims_insert(const std::string& group,
                                            const std::vector<std::string>& event_ids) {
  std::vector<db::SqlStatement> inserts;
  for (std::size_t from = 0; from < event_ids.size(); from += kMaxClaimsPerStatement) {
    const std::size_t count = std::min(kMaxClaimsPerStatement, event_ids.size() - from);
    db::SqlStatement& insert = inserts.emplace_back(
        db::SqlStatement{"INSERT INTO processed_events (consumer_group, event_id) VALUES " +
                             db::row_placeholders(count, 2),
                         {}, std::nullopt, static_cast<long long>(count)});
    insert.values.reserve(2 * count);
    for (std::size_t i = from; i < from + count; ++i) {
      insert.values.insert(insert.values.end(), {group, event_ids[i]});
    }
  }
  return inserts;
}

void insert_dead_letter(soci::session& session, const DeadLetter& letter) {
  std::string event_id = letter.event_id.value_or("");
  std::string event_type = letter.event_type.value_or("");
  soci::indicator event_id_indicator = letter.event_id ? soci::i_ok : soci::i_null;
  soci::indicator event_type_indicator = letter.event_type ? soci::i_ok : soci::i_null;
  int partition_id = letter.partition;
  long long offset = letter.offset;
  const std::string error = sanitize_error_text(letter.error);
  int attempts = letter.attempts;
  session << "INSERT INTO dead_letters (consumer_group, topic, partition_id, message_offset,"
             " event_id, event_type, payload, error, attempts)"
             " VALUES (:g, :t, :p, :o, :id, :type, :payload, :error, :attempts)"
             " ON DUPLICATE KEY UPDATE error = VALUES(error), attempts = VALUES(attempts),"
             " failed_at = CURRENT_TIMESTAMP(6)",
      soci::use(letter.group), soci::use(letter.topic), soci::use(partition_id), soci::use(offset),
      soci::use(event_id, event_id_indicator), soci::use(event_type, event_type_indicator),
      soci::use(letter.payload), soci::use(error), soci::use(attempts);
}

std::optional<std::string> sanitize_identifier(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return std::nullopt;
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return std::string(text);
}

std::string sanitize_error_text(std::string_view text) {
  std::string out(text.substr(0, kMaxDeadLetterErrorBytes));
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || (byte < 0x20 && c != '\n' && c != '\t')) c = '?';
  }
  return out;
}

}  // namespace bourse::consumer::detail
