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
#include <string_view>
#include <unordered_set>
#include <vector>

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
// The first round trip of a batch (db/sql_batch.h: BEGIN and reads in ONE round trip)
// opens its transaction (ConnectionPool::Begin::kByWork) with:
//   - the locking read of `partitions`' stored next offsets: the rows (or the gaps where
//     they would be) stay locked until the end of the transaction, so two members that
//     both believe they own a partition are serialised;
//   - then the read of which of `event_ids` this group already processed (primary-key
//     lookups of processed_events, kMaxClaimsPerStatement ids per SELECT), made after
//     the lock is held.
// The claims of the new ones are written with the batch's last writes (claims_insert).
// REQUIRES: 1..kMaxLockedPartitions partitions, no partition twice; at most
// kMaxClaimedEventsPerBatch ids, each as for claim_event.
inline constexpr std::size_t kMaxLockedPartitions = 1'000;
inline constexpr std::size_t kMaxClaimsPerStatement = 1'000;
inline constexpr std::size_t kMaxClaimedEventsPerBatch = 10 * kMaxClaimsPerStatement;
struct BatchStart {
  // Per partition asked for: its stored next offset, std::nullopt where none is stored.
  std::map<kafka::TopicPartition, std::optional<std::int64_t>> next_offsets;
  // The ids asked for that the group already processed.
  std::unordered_set<std::string> processed;
};
BatchStart begin_batch(soci::session& session, const std::string& group,
                       const std::vector<kafka::TopicPartition>& partitions,
                       const std::vector<std::string>& event_ids);

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

// Per id of `event_ids` (a batch's claimable events, in batch order): true if it is new,
// i.e. not in `processed` (begin_batch) and not an earlier id of the same list (a
// re-published copy can follow its original in one batch).
std::vector<bool> new_events(const std::vector<std::string>& event_ids,
                             const std::unordered_set<std::string>& processed);

// The claims of a batch's new events: multi-row INSERTs into processed_events
// (kMaxClaimsPerStatement rows each), built and not run, for the batch's last writes.
// Each must insert all its rows: a concurrent claim of one of the ids (possible only for
// one id published under two keys: claims of one partition are serialised by its
// consumer_offsets lock) fails the batch's COMMIT round trip on the primary key, and the
// batch is retried, finding the id processed. REQUIRES: distinct ids, each as for claim_event.
std::vector<db::SqlStatement> claims_insert(const std::string& group,
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
