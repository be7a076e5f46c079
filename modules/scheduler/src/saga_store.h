// The SQL the saga scheduler reads and writes (private to the module). Every function
// runs on the caller's session and throws SOCI exceptions (the caller translates them
// through ConnectionPool::with_session / in_transaction).
#pragma once

#include <soci/session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bourse::scheduler::detail {

// Microseconds since the epoch, as bound into "FROM_UNIXTIME(:us / 1000000.0)".
using Micros = long long;

// What an event payload (an envelope) says about the saga it belongs to. Ids are 0 when
// absent. Parsing is lenient: whatever does not parse stays empty.
struct EventRefs {
  bool envelope = false;  // the payload is a valid envelope
  std::string event_type;
  std::int64_t order_id = 0;       // aggregate order (OrderCreated ...) or data.order_id
  std::int64_t trade_id = 0;       // data.trade_id
  std::int64_t buy_order_id = 0;   // data.buy_order_id
  std::int64_t sell_order_id = 0;  // data.sell_order_id
  bool mentions_order(std::int64_t id) const {
    return id > 0 && (order_id == id || buy_order_id == id || sell_order_id == id);
  }
};
EventRefs event_refs(std::string_view payload);

struct UnpublishedRow {
  std::string table;
  std::int64_t id = 0;
  std::string event_type;
  EventRefs refs;
};
// Unpublished rows of `table` created before `cutoff`, oldest first, at most `limit`.
std::vector<UnpublishedRow> unpublished_rows(soci::session& session, const std::string& table,
                                             Micros cutoff, std::size_t limit);

struct DeadLetterRow {
  std::int64_t id = 0;
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string error;
  EventRefs refs;
};
// Unanswered dead letters, oldest id first, at most `limit`.
std::vector<DeadLetterRow> unanswered_dead_letters(soci::session& session, std::size_t limit);

struct StuckOrder {
  std::int64_t order_id = 0;
  std::string symbol;
};
std::vector<StuckOrder> pending_orders_before(soci::session& session, Micros cutoff,
                                              std::size_t limit);
struct StuckTrade {
  std::int64_t trade_id = 0;
  std::string symbol;
};
std::vector<StuckTrade> unsettled_trades_before(soci::session& session, Micros cutoff,
                                                std::size_t limit);

// A stage's stored position: the next offset and when it last moved (micros).
struct StoredPosition {
  std::int64_t next_offset = 0;
  Micros updated_at = 0;
};
std::optional<StoredPosition> matching_position(soci::session& session, const std::string& topic,
                                                std::int32_t partition);
std::optional<StoredPosition> consumer_position(soci::session& session, const std::string& group,
                                                const std::string& topic, std::int32_t partition);

// Who holds a named lock: "connection <id> (<user>@<host>)", or std::nullopt when free.
std::optional<std::string> lock_holder(soci::session& session, const std::string& lock_name);

// INSERT IGNORE of a saga_actions row: true when it is new.
bool record_action(soci::session& session, std::string_view subject, std::string_view saga_class,
                   std::string_view action, std::string_view detail);

// The order's status, std::nullopt when there is no such order.
std::optional<std::string> order_status(soci::session& session, std::int64_t order_id);
// PENDING -> REJECTED with `reason`; true when the row changed.
bool reject_pending_order(soci::session& session, std::int64_t order_id, std::string_view reason);
// Sets answered_at/answer once; true when the row changed.
bool answer_dead_letter(soci::session& session, std::int64_t id, std::string_view answer);

// Deletes up to `chunk` rows of `table` whose `column` is before `cutoff` (and
// `extra_condition`, SQL text of this module only); returns the rows deleted.
std::size_t delete_before(soci::session& session, std::string_view table, std::string_view column,
                          Micros cutoff, std::size_t chunk, std::string_view extra_condition = {});
// Deletes matching snapshots that restore no longer needs: per partition, those below
// the newest `keep` at or below the committed offset, created before `cutoff`.
std::size_t prune_matching_snapshots(soci::session& session, int keep, Micros cutoff);

}  // namespace bourse::scheduler::detail
