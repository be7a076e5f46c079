// The dead-letter admin: list the dead letters every consumer group wrote
// (migrations 0003 + 0611), and retry one once its cause is fixed.
//
// retry(id) re-applies the dead letter's event through its group's EventHandler (the same
// handler the exactly-once consumer calls), in ONE transaction that also marks the dead
// letter answered ('retried'). The processed_events claim that the consumer wrote when it
// dead-lettered the event is deliberately NOT consulted for that event id (it is what
// makes the consumer skip a republished copy); it is (re)inserted so the claim stays.
// The dead letter's row is locked FOR UPDATE first, so two concurrent retries serialise
// and the second finds it answered: kConflict "dead_letter_already_answered" (409).
// Other errors: kNotFound "dead_letter_not_found"; kConflict "dead_letter_not_retryable"
// (its group has no handler here, e.g. matching, whose dead letters the saga scheduler
// compensates; or the payload is not an envelope); kConflict "dead_letter_retry_failed"
// when the handler fails again (the cause is not fixed: nothing is written).
//
// Thread-safety: stateless apart from references; any thread. Blocking (database).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/consumer/event_handler.h"
#include "bourse/db/connection_pool.h"
#include "bourse/metrics/registry.h"

namespace bourse::scheduler {

// Page size of list(): default and largest.
inline constexpr int kDefaultDeadLetterPageLimit = 50;
inline constexpr int kMaxDeadLetterPageLimit = 500;
// Longest payload text shown per dead letter in a listing (bytes; longer is cut).
inline constexpr std::size_t kMaxListedPayloadBytes = 4'096;

struct DeadLetter {
  std::int64_t id = 0;
  std::string consumer_group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> event_id;
  std::optional<std::string> event_type;
  std::string payload;  // at most kMaxListedPayloadBytes, non-printable bytes as '?'
  std::string error;
  std::int64_t attempts = 0;
  std::string failed_at;  // RFC 3339 UTC
  std::optional<std::string> answered_at;
  std::optional<std::string> answer;  // retried | compensated
};

struct DeadLetterQuery {
  int limit = kDefaultDeadLetterPageLimit;   // 1..kMaxDeadLetterPageLimit
  std::optional<std::int64_t> starting_after;  // the last id of the previous page
  std::optional<std::string> consumer_group;
  bool unanswered_only = false;
};

struct DeadLetterPage {
  std::vector<DeadLetter> data;  // ascending id
  bool has_more = false;
};

class DeadLetterAdmin {
 public:
  // handlers: consumer group (full name) -> its handler. REQUIRES: all outlive this.
  DeadLetterAdmin(db::ConnectionPool& pool, std::map<std::string, consumer::EventHandler*> handlers,
                  metrics::Registry& registry);

  // Errors: kInvalidArgument "invalid_limit"; database errors.
  Result<DeadLetterPage> list(const DeadLetterQuery& query);
  // See the file comment. Returns the answered dead letter.
  Result<DeadLetter> retry(std::int64_t id);

 private:
  db::ConnectionPool& pool_;
  std::map<std::string, consumer::EventHandler*> handlers_;
  metrics::CounterFamily& retries_;
};

}  // namespace bourse::scheduler
