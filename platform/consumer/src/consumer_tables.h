// The SQL of the consumer framework's three tables (migrations 0001-0003):
// consumer_offsets, processed_events and dead_letters. Private to platform/consumer.
//
// Every function runs on the caller's session (inside the caller's transaction where one
// is open) and throws SOCI exceptions: the caller translates them
// (db::translate_current_exception), usually through ConnectionPool::in_transaction.
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "bourse/db/sql_batch.h"
#include "bourse/kafka/message.h"

namespace bourse::consumer::detail {

// Longest error text stored in dead_letters.error (bytes); longer texts are truncated.
inline constexpr std::size_t kMaxDeadLetterErrorBytes = 8 * 1024;

// The stored next offset of a partition, std::nullopt when none is stored. With
// `for_update` the row (or the gap where it would be) stays locked until the end of the
// transaction: two members that both believe they own the partition are serialised here.
std::optional<std::int64_t> load_next_offset(soci::session& session, const std::string& group,
                                             const std::string& topic, std::int32_t partition,
                                             bool for_update);
// BEGIN and the locking read of several partitions' stored next offsets in ONE round
// trip (db/sql_batch.h): opens a batch's transaction (ConnectionPool::Begin::kByWork).
// Returns each of `partitions`' stored next offset, std::nullopt where none is stored;
// the rows (or the gaps where they would be) stay locked until the end of the
// transaction, so two members that both believe they own a partition are serialised.
// REQUIRES: 1..kMaxLockedPartitions partitions, no partition twice.
inline constexpr std::size_t kMaxLockedPartitions = 1'000;
std::map<kafka::TopicPartition, std::optional<std::int64_t>> begin_and_lock_next_offsets(
    soci::session& session, const std::string& group,
    const std::vector<kafka::TopicPartition>& partitions);

// Inserts or moves the partition's next offset.
void store_next_offset(soci::session& session, const std::string& group, const std::string& topic,
                       std::int32_t partition, std::int64_t next_offset);
// The same for several partitions in one multi-row statement, built and not run: a
// batch sends it with its COMMIT (db/sql_batch.h).
// REQUIRES: 1..kMaxLockedPartitions entries, no partition twice, offsets >= 0.
db::SqlStatement next_offsets_upsert(
    const std::string& group,
    const std::vector<std::pair<kafka::TopicPartition, std::int64_t>>& next_offsets);

// INSERT IGNORE of (group, event_id) into processed_events: true if the row is new (the
// event was never applied by this group), false for a duplicate.
// REQUIRES: event_id is 1..kMaxEventIdLength printable ASCII (envelope::parse checks it).
bool claim_event(soci::session& session, const std::string& group, const std::string& event_id);

// Claims a batch's events with two statements per kMaxClaimsPerStatement ids (so two for
// any batch of the default size): one SELECT of the ids this group already processed
// (primary-key lookups), one multi-row INSERT of the others.
// Returns, per id, true if it is new: never processed by the group and not an earlier id
// of the same batch (a re-published copy can follow its original in one batch).
// REQUIRES: the caller holds the partition's consumer_offsets row FOR UPDATE (claims of
// one partition are serialized; a concurrent claim of the same id anyway fails the INSERT
// on the primary key, and the batch is retried); ids as for claim_event.
inline constexpr std::size_t kMaxClaimsPerStatement = 1'000;
std::vector<bool> claim_events(soci::session& session, const std::string& group,
                               const std::vector<std::string>& event_ids);

struct DeadLetter {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> event_id;    // valid ids only (see sanitize_identifier)
  std::optional<std::string> event_type;  // idem
  std::string payload;                    // the raw Kafka value
  std::string error;                      // any text; stored sanitised and truncated
  int attempts = 0;
};

// Inserts the row (a row already there for the same message is overwritten: the latest
// failure wins).
void insert_dead_letter(soci::session& session, const DeadLetter& letter);

// `text` if it is 1..max_length printable ASCII characters, else std::nullopt: header
// values of a malformed message are untrusted.
std::optional<std::string> sanitize_identifier(std::string_view text, std::size_t max_length);

// ASCII-only (other bytes become '?', so any server charset accepts it), at most
// kMaxDeadLetterErrorBytes.
std::string sanitize_error_text(std::string_view text);

}  // namespace bourse::consumer::detail
