#include "saga_store.h"

#include <soci/soci.h>

#include <boost/json.hpp>
#include <charconv>

#include "bourse/envelope/envelope.h"
#include "bourse/outbox/outbox_writer.h"

namespace bourse::scheduler::detail {
namespace {

constexpr const char* kBefore = " < FROM_UNIXTIME(:cutoff / 1000000.0)";

std::int64_t int_field(const boost::json::object& data, std::string_view name) {
  const boost::json::value* value = data.if_contains(name);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->as_uint64());
  return 0;
}

long long micros_column(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return 0;
  return row.get<long long>(i);
}

}  // namespace

EventRefs event_refs(std::string_view payload) {
  EventRefs refs;
  auto parsed = envelope::parse(payload);
  if (!parsed) return refs;
  refs.envelope = true;
  refs.event_type = parsed->event_type;
  refs.order_id = int_field(parsed->data, "order_id");
  if (refs.order_id == 0 && parsed->aggregate_type == "order") {
    std::int64_t id = 0;
    const std::string& text = parsed->aggregate_id;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error == std::errc() && end == text.data() + text.size() && id > 0) refs.order_id = id;
  }
  refs.trade_id = int_field(parsed->data, "trade_id");
  refs.buy_order_id = int_field(parsed->data, "buy_order_id");
  refs.sell_order_id = int_field(parsed->data, "sell_order_id");
  return refs;
}

std::vector<UnpublishedRow> unpublished_rows(soci::session& session, const std::string& table,
                                             Micros cutoff, std::size_t limit) {
  // `table` is one of the wiring table's outbox names (never input). Unpublished: above the
  // outbox's "published up to" id, a primary-key range.
  const long long fetch = static_cast<long long>(limit);
  const std::string sql = "SELECT id, event_type, payload FROM " + table + " WHERE " +
                          outbox::unpublished_condition(table) + " AND created_at" + kBefore +
                          " ORDER BY id LIMIT :n";
  soci::rowset<soci::row> rows =
      (session.prepare << sql, soci::use(cutoff, "cutoff"), soci::use(fetch, "n"));
  std::vector<UnpublishedRow> out;
  for (const soci::row& row : rows) {
    UnpublishedRow item;
    item.table = table;
    item.id = row.get<long long>(0);
    item.event_type = row.get<std::string>(1);
    item.refs = event_refs(row.get<std::string>(2));
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<DeadLetterRow> unanswered_dead_letters(soci::session& session, std::size_t limit) {
  const long long fetch = static_cast<long long>(limit);
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT dead_letter_id, consumer_group, topic, partition_id, message_offset,"
                          " error, payload FROM dead_letters WHERE answered_at IS NULL"
                          " ORDER BY dead_letter_id LIMIT :n",
       soci::use(fetch, "n"));
  std::vector<DeadLetterRow> out;
  for (const soci::row& row : rows) {
    DeadLetterRow item;
    item.id = row.get<long long>(0);
    item.group = row.get<std::string>(1);
    item.topic = row.get<std::string>(2);
    item.partition = row.get<int>(3);
    item.offset = row.get<long long>(4);
    item.error = row.get<std::string>(5);
    item.refs = event_refs(row.get<std::string>(6));
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<StuckOrder> pending_orders_before(soci::session& session, Micros cutoff,
                                              std::size_t limit) {
  const long long fetch = static_cast<long long>(limit);
  soci::rowset<soci::row> rows =
      (session.prepare << std::string("SELECT order_id, symbol FROM orders WHERE status = 'PENDING'"
                                      " AND created_at") +
                              kBefore + " ORDER BY order_id LIMIT :n",
       soci::use(cutoff, "cutoff"), soci::use(fetch, "n"));
  std::vector<StuckOrder> out;
  for (const soci::row& row : rows) out.push_back({row.get<long long>(0), row.get<std::string>(1)});
  return out;
}

std::vector<StuckTrade> unsettled_trades_before(soci::session& session, Micros cutoff,
                                                std::size_t limit) {
  const long long fetch = static_cast<long long>(limit);
  soci::rowset<soci::row> rows =
      (session.prepare << std::string("SELECT trade_id, symbol FROM trades WHERE settled_at IS NULL"
                                      " AND executed_at") +
                              kBefore + " ORDER BY executed_at, trade_id LIMIT :n",
       soci::use(cutoff, "cutoff"), soci::use(fetch, "n"));
  std::vector<StuckTrade> out;
  for (const soci::row& row : rows) out.push_back({row.get<long long>(0), row.get<std::string>(1)});
  return out;
}

std::optional<StoredPosition> matching_position(soci::session& session, const std::string& topic,
                                                std::int32_t partition) {
  int partition_id = partition;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT next_offset, CAST(UNIX_TIMESTAMP(updated_at) * 1000000 AS SIGNED)"
                          " FROM matching_offsets WHERE topic = :t AND partition_id = :p",
       soci::use(topic, "t"), soci::use(partition_id, "p"));
  for (const soci::row& row : rows) return StoredPosition{row.get<long long>(0), micros_column(row, 1)};
  return std::nullopt;
}

std::optional<StoredPosition> consumer_position(soci::session& session, const std::string& group,
                                                const std::string& topic, std::int32_t partition) {
  int partition_id = partition;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT next_offset, CAST(UNIX_TIMESTAMP(updated_at) * 1000000 AS SIGNED)"
                          " FROM consumer_offsets WHERE consumer_group = :g AND topic = :t"
                          " AND partition_id = :p",
       soci::use(group, "g"), soci::use(topic, "t"), soci::use(partition_id, "p"));
  for (const soci::row& row : rows) return StoredPosition{row.get<long long>(0), micros_column(row, 1)};
  return std::nullopt;
}

std::optional<std::string> lock_holder(soci::session& session, const std::string& lock_name) {
  long long connection = 0;
  soci::indicator held = soci::i_null;
  session << "SELECT IS_USED_LOCK(:n)", soci::use(lock_name), soci::into(connection, held);
  if (held == soci::i_null) return std::nullopt;
  std::string user;
  std::string host;
  soci::indicator user_ind = soci::i_null;
  soci::indicator host_ind = soci::i_null;
  session << "SELECT USER, HOST FROM information_schema.PROCESSLIST WHERE ID = :id",
      soci::use(connection), soci::into(user, user_ind), soci::into(host, host_ind);
  std::string text = "connection " + std::to_string(connection);
  if (session.got_data() && host_ind == soci::i_ok) {
    text += " (" + (user_ind == soci::i_ok ? user : std::string("?")) + "@" + host + ")";
  }
  return text;
}

bool record_action(soci::session& session, std::string_view subject, std::string_view saga_class,
                   std::string_view action, std::string_view detail) {
  const std::string s(subject), c(saga_class), a(action), d(detail);
  soci::statement statement =
      (session.prepare << "INSERT IGNORE INTO saga_actions (subject, class, action, detail)"
                          " VALUES (:s, :c, :a, :d)",
       soci::use(s), soci::use(c), soci::use(a), soci::use(d));
  statement.execute(true);
  return statement.get_affected_rows() == 1;
}

std::optional<std::string> order_status(soci::session& session, std::int64_t order_id) {
  long long id = order_id;
  std::string status;
  session << "SELECT status FROM orders WHERE order_id = :id", soci::use(id), soci::into(status);
  if (!session.got_data()) return std::nullopt;
  return status;
}

bool reject_pending_order(soci::session& session, std::int64_t order_id, std::string_view reason) {
  long long id = order_id;
  const std::string why(reason);
  soci::statement statement =
      (session.prepare << "UPDATE orders SET status = 'REJECTED', reject_reason = :r"
                          " WHERE order_id = :id AND status = 'PENDING'",
       soci::use(why), soci::use(id));
  statement.execute(true);
  return statement.get_affected_rows() == 1;
}

bool answer_dead_letter(soci::session& session, std::int64_t id, std::string_view answer) {
  long long dead_letter_id = id;
  const std::string how(answer);
  soci::statement statement =
      (session.prepare << "UPDATE dead_letters SET answered_at = NOW(6), answer = :a"
                          " WHERE dead_letter_id = :id AND answered_at IS NULL",
       soci::use(how), soci::use(dead_letter_id));
  statement.execute(true);
  return statement.get_affected_rows() == 1;
}

std::size_t delete_before(soci::session& session, std::string_view table, std::string_view column,
                          Micros cutoff, std::size_t chunk, std::string_view extra_condition) {
  const long long limit = static_cast<long long>(chunk);
  std::string sql = "DELETE FROM " + std::string(table) + " WHERE " + std::string(column) + kBefore;
  if (!extra_condition.empty()) sql += " AND " + std::string(extra_condition);
  sql += " LIMIT :n";
  soci::statement statement =
      (session.prepare << sql, soci::use(cutoff, "cutoff"), soci::use(limit, "n"));
  statement.execute(true);
  return static_cast<std::size_t>(statement.get_affected_rows());
}

std::size_t prune_matching_snapshots(soci::session& session, int keep, Micros cutoff) {
  struct Partition {
    std::string topic;
    int partition = 0;
    long long committed = 0;
  };
  std::vector<Partition> partitions;
  {
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT topic, partition_id, next_offset FROM matching_offsets");
    for (const soci::row& row : rows) {
      partitions.push_back({row.get<std::string>(0), row.get<int>(1), row.get<long long>(2)});
    }
  }
  std::size_t deleted = 0;
  for (const Partition& p : partitions) {
    // The newest `keep` snapshots a restore could use (at or below the committed offset).
    long long oldest_kept = 0;
    const long long skip = keep - 1;
    soci::indicator found = soci::i_null;
    session << "SELECT next_offset FROM matching_snapshots WHERE topic = :t AND partition_id = :p"
               " AND next_offset <= :c ORDER BY next_offset DESC LIMIT 1 OFFSET :k",
        soci::use(p.topic), soci::use(p.partition), soci::use(p.committed), soci::use(skip),
        soci::into(oldest_kept, found);
    if (!session.got_data() || found != soci::i_ok) continue;
    soci::statement statement =
        (session.prepare << std::string("DELETE FROM matching_snapshots WHERE topic = :t AND"
                                        " partition_id = :p AND next_offset < :o AND created_at") +
                                kBefore,
         soci::use(p.topic, "t"), soci::use(p.partition, "p"), soci::use(oldest_kept, "o"),
         soci::use(cutoff, "cutoff"));
    statement.execute(true);
    deleted += static_cast<std::size_t>(statement.get_affected_rows());
  }
  return deleted;
}

}  // namespace bourse::scheduler::detail
