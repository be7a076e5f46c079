#include "bourse/scheduler/dead_letters.h"

#include <soci/soci.h>

#include <chrono>

#include "bourse/common/timestamp.h"
#include "bourse/db/sql_error.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/message.h"
#include "bourse/log/log.h"
#include "saga_store.h"

namespace bourse::scheduler {
namespace {

constexpr const char* kColumns =
    "SELECT dead_letter_id, consumer_group, topic, partition_id, message_offset, event_id, event_type,"
    " payload, error, attempts, CAST(UNIX_TIMESTAMP(failed_at) * 1000000 AS SIGNED),"
    " CAST(UNIX_TIMESTAMP(answered_at) * 1000000 AS SIGNED), answer FROM dead_letters";

std::string rfc3339(long long micros) {
  return format_rfc3339_utc(std::chrono::system_clock::time_point(std::chrono::microseconds(micros)));
}

std::optional<std::string> optional_text(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return std::nullopt;
  return row.get<std::string>(i);
}

// `full_payload`: keep the raw payload (retry) instead of the printable listing form.
DeadLetter from_row(const soci::row& row, bool full_payload) {
  DeadLetter letter;
  letter.id = row.get<long long>(0);
  letter.consumer_group = row.get<std::string>(1);
  letter.topic = row.get<std::string>(2);
  letter.partition = row.get<int>(3);
  letter.offset = row.get<long long>(4);
  letter.event_id = optional_text(row, 5);
  letter.event_type = optional_text(row, 6);
  const std::string payload = row.get<std::string>(7);
  if (full_payload) {
    letter.payload = payload;
  } else {
    for (const char c : std::string_view(payload).substr(0, kMaxListedPayloadBytes)) {
      letter.payload.push_back((c >= ' ' && c <= '~') ? c : '?');
    }
  }
  letter.error = row.get<std::string>(8);
  letter.attempts = row.get<int>(9);
  letter.failed_at = rfc3339(row.get<long long>(10));
  if (row.get_indicator(11) != soci::i_null) letter.answered_at = rfc3339(row.get<long long>(11));
  letter.answer = optional_text(row, 12);
  return letter;
}

}  // namespace

DeadLetterAdmin::DeadLetterAdmin(db::ConnectionPool& pool,
                                 std::map<std::string, consumer::EventHandler*> handlers,
                                 metrics::Registry& registry)
    : pool_(pool),
      handlers_(std::move(handlers)),
      retries_(registry.counter("bourse_dead_letter_retries_total",
                                "Dead-letter retries through the admin API, by outcome (applied, failed)",
                                {"outcome"})) {}

Result<DeadLetterPage> DeadLetterAdmin::list(const DeadLetterQuery& query) {
  if (query.limit < 1 || query.limit > kMaxDeadLetterPageLimit) {
    return Error::invalid("limit must be an integer 1.." + std::to_string(kMaxDeadLetterPageLimit),
                          "invalid_limit");
  }
  DeadLetterPage page;
  Status done = pool_.with_session([&](soci::session& session) {
    page = {};
    const long long after = query.starting_after.value_or(0);
    const long long fetch = query.limit + 1;
    const std::string group = query.consumer_group.value_or("");
    std::string sql = std::string(kColumns) + " WHERE dead_letter_id > :after";
    if (query.consumer_group) sql += " AND consumer_group = :g";
    if (query.unanswered_only) sql += " AND answered_at IS NULL";
    sql += " ORDER BY dead_letter_id LIMIT :n";
    soci::rowset<soci::row> rows =
        query.consumer_group
            ? (session.prepare << sql, soci::use(after, "after"), soci::use(group, "g"), soci::use(fetch, "n"))
            : (session.prepare << sql, soci::use(after, "after"), soci::use(fetch, "n"));
    for (const soci::row& row : rows) page.data.push_back(from_row(row, false));
    if (page.data.size() > static_cast<std::size_t>(query.limit)) {
      page.data.pop_back();
      page.has_more = true;
    }
  });
  if (!done) return done.error();
  return page;
}

Result<DeadLetter> DeadLetterAdmin::retry(std::int64_t id) {
  DeadLetter answered;
  Status done = pool_.in_transaction(
      [&](soci::session& session) -> Status {
        const long long dead_letter_id = id;
        std::optional<DeadLetter> letter;
        {
          soci::rowset<soci::row> rows =
              (session.prepare << std::string(kColumns) + " WHERE dead_letter_id = :id FOR UPDATE",
               soci::use(dead_letter_id, "id"));
          for (const soci::row& row : rows) letter = from_row(row, true);
        }
        if (!letter) {
          return Error{ErrorCode::kNotFound, "no dead letter " + std::to_string(id), "dead_letter_not_found"};
        }
        if (letter->answered_at) {
          return Error{ErrorCode::kConflict,
                       "dead letter " + std::to_string(id) + " was already answered (" +
                           letter->answer.value_or("?") + ")",
                       "dead_letter_already_answered"};
        }
        const auto handler = handlers_.find(letter->consumer_group);
        if (handler == handlers_.end() || handler->second == nullptr) {
          return Error{ErrorCode::kConflict,
                       "dead letters of " + letter->consumer_group +
                           " are not retried here (matching inputs that do not decode are compensated "
                           "by the saga scheduler)",
                       "dead_letter_not_retryable"};
        }
        auto event = envelope::parse(letter->payload);
        if (!event) {
          return Error{ErrorCode::kConflict, "the payload is not an envelope: " + event.error().message,
                       "dead_letter_not_retryable"};
        }
        kafka::Message message;
        message.topic = letter->topic;
        message.partition = letter->partition;
        message.offset = letter->offset;
        message.value = letter->payload;
        const consumer::DeliveredEvent delivered{*event, message};
        // Through the handler, as the consumer would apply it; the processed_events claim
        // of this event id (written when it was dead-lettered) is not consulted.
        Status applied = handler->second->handle_batch(session, std::span(&delivered, 1));
        if (!applied) {
          if (db::is_retryable(applied.error()) || applied.error().code == ErrorCode::kUnavailable ||
              applied.error().code == ErrorCode::kTimeout) {
            return applied;
          }
          return Error{ErrorCode::kConflict, "the retry failed again: " + applied.error().message,
                       "dead_letter_retry_failed"};
        }
        session << "INSERT IGNORE INTO processed_events (consumer_group, event_id) VALUES (:g, :e)",
            soci::use(letter->consumer_group), soci::use(event->event_id);
        detail::answer_dead_letter(session, id, "retried");
        answered = *letter;
        answered.answer = "retried";
        answered.answered_at = format_rfc3339_utc(std::chrono::system_clock::now());
        return Status::success();
      },
      3, db::Isolation::kReadCommitted);
  if (!done) {
    if (done.error().reason == "dead_letter_retry_failed") retries_.with({"failed"}).inc();
    return done.error();
  }
  retries_.with({"applied"}).inc();
  log::warn("dead letter retried and applied",
            {{"dead_letter_id", id}, {"group", answered.consumer_group}, {"offset", answered.offset}});
  // The listing form of the payload.
  std::string printable;
  for (const char c : std::string_view(answered.payload).substr(0, kMaxListedPayloadBytes)) {
    printable.push_back((c >= ' ' && c <= '~') ? c : '?');
  }
  answered.payload = std::move(printable);
  return answered;
}

}  // namespace bourse::scheduler
