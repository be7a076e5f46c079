#include "order_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <tuple>

#include "bourse/db/sql_batch.h"
#include "bourse/db/sql_text.h"

namespace bourse::order::store {
namespace {

// Column list shared by every read, in the order row_to_order expects.
constexpr const char* kOrderColumns =
    "order_id, user_id, symbol, side, order_type, time_in_force, quantity, price_units, status, "
    "filled_quantity, filled_notional_units, reserved_cash_units, reserved_quantity, "
    "cash_cap_units, reject_reason, CAST(cancel_requested_at IS NOT NULL AS SIGNED), "
    "CAST(UNIX_TIMESTAMP(created_at) * 1000000 AS SIGNED), "
    "CAST(UNIX_TIMESTAMP(updated_at) * 1000000 AS SIGNED), cancel_reason";

// An integer column, whatever integer type the backend reports for it (expressions such
// as CAST(... AS SIGNED) or a flag may come back as int or long long).
long long int_column(const soci::row& row, std::size_t index) {
  switch (row.get_properties(index).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(index);
    case soci::dt_long_long:
      return row.get<long long>(index);
    case soci::dt_unsigned_long_long: {
      const unsigned long long value = row.get<unsigned long long>(index);
      BOURSE_ASSERT(value <= static_cast<unsigned long long>(INT64_MAX),
                    "integer column fits int64");
      return static_cast<long long>(value);
    }
    case soci::dt_string:
      return std::stoll(row.get<std::string>(index));
    default:
      BOURSE_ASSERT(false, "orders column is an integer");
  }
  return 0;
}

std::optional<long long> nullable_int(const soci::row& row, std::size_t index) {
  if (row.get_indicator(index) == soci::i_null) return std::nullopt;
  return int_column(row, index);
}

std::chrono::system_clock::time_point from_micros(long long micros) {
  return std::chrono::system_clock::time_point(std::chrono::microseconds(micros));
}

Order row_to_order(const soci::row& row) {
  Order order;
  order.order_id = OrderId(int_column(row, 0));
  order.user_id = row.get<std::string>(1);
  order.symbol = row.get<std::string>(2);
  auto side = parse_side(row.get<std::string>(3));
  auto type = parse_order_type(row.get<std::string>(4));
  auto time_in_force = parse_time_in_force(row.get<std::string>(5));
  auto status = parse_order_status(row.get<std::string>(8));
  BOURSE_ASSERT(side && type && time_in_force && status, "orders row holds known terms");
  order.side = *side;
  order.type = *type;
  order.time_in_force = *time_in_force;
  order.status = *status;
  order.quantity = Quantity::of(int_column(row, 6));
  if (auto price = nullable_int(row, 7)) order.price = Amount::from_units(*price);
  order.filled_quantity = Quantity::of(int_column(row, 9));
  order.filled_notional = Amount::from_units(int_column(row, 10));
  if (auto cash = nullable_int(row, 11)) order.reserved_cash = Amount::from_units(*cash);
  if (auto shares = nullable_int(row, 12)) order.reserved_quantity = Quantity::of(*shares);
  if (auto cap = nullable_int(row, 13)) order.cash_cap = Amount::from_units(*cap);
  if (row.get_indicator(14) != soci::i_null) order.reject_reason = row.get<std::string>(14);
  order.cancel_requested = int_column(row, 15) != 0;
  order.created_at = from_micros(int_column(row, 16));
  order.updated_at = from_micros(int_column(row, 17));
  if (row.get_indicator(18) != soci::i_null) order.cancel_reason = row.get<std::string>(18);

  BOURSE_ASSERT(order.order_id.valid(), "order ids are positive");
  BOURSE_ASSERT(order.quantity.value() > 0, "order quantity is positive");
  BOURSE_ASSERT(order.filled_quantity.value() >= 0 && order.filled_quantity <= order.quantity,
                "0 <= filled_quantity <= quantity");
  BOURSE_ASSERT(order.filled_notional.units() >= 0, "filled notional is never negative");
  BOURSE_ASSERT(order.price.has_value() == (order.type == OrderType::kLimit), "a price iff LIMIT");
  BOURSE_ASSERT(!order.reject_reason || order.status == OrderStatus::kRejected,
                "a reject reason only on REJECTED orders");
  BOURSE_ASSERT(!order.cancel_reason || order.status == OrderStatus::kCancelled,
                "a cancel reason only on CANCELLED orders");
  return order;
}

// A stored answer is a 202 with its order or a 422 without one.
void assert_answer(const StoredAnswer& answer) {
  BOURSE_ASSERT((answer.http_status == 202 && answer.order_id && answer.order_id->valid()) ||
                    (answer.http_status == 422 && !answer.order_id),
                "a stored answer is a 202 with an order or a 422 without");
  BOURSE_ASSERT(!answer.body.empty() && answer.request_hash.size() == 40,
                "a stored answer is complete");
}

}  // namespace

db::SqlStatement orders_insert(std::span<const NewOrder> orders, std::span<const OrderId> ids) {
  BOURSE_ASSERT(!orders.empty() && orders.size() <= limits::kMaxGroupSize,
                "1..kMaxGroupSize orders per insert");
  BOURSE_ASSERT(ids.size() == orders.size(), "one id per order");
  static const std::string kPending(to_string(OrderStatus::kPending));
  db::SqlStatement insert{
      "INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force, quantity, "
      "price_units, reserved_cash_units, reserved_quantity, cash_cap_units, status) VALUES " +
          db::row_placeholders(orders.size(), 12),
      {}, std::nullopt, static_cast<long long>(orders.size())};
  insert.values.reserve(12 * orders.size());
  // Pushed one by one: GCC 12 warns (maybe-uninitialized) on a brace list of SqlValues
  // built from conditionals.
  const auto push_units = [&](const std::optional<Amount>& amount) {
    if (amount) {
      insert.values.emplace_back(static_cast<long long>(amount->units()));
    } else {
      insert.values.emplace_back();  // NULL
    }
  };
  for (std::size_t i = 0; i < orders.size(); ++i) {
    const NewOrder& order = orders[i];
    const OrderRequest& request = *order.request;
    BOURSE_ASSERT(ids[i].valid(), "order ids are positive");
    BOURSE_ASSERT(request.quantity.value() > 0, "validated quantity");
    BOURSE_ASSERT(request.price.has_value() == (request.type == OrderType::kLimit),
                  "validated price");
    const bool buy = request.side == Side::kBuy;
    BOURSE_ASSERT(order.reserved_cash.has_value() == buy &&
                      order.reserved_quantity.has_value() == !buy &&
                      order.cash_cap.has_value() == (buy && request.type == OrderType::kMarket),
                  "an inserted order is reserved");
    insert.values.emplace_back(static_cast<long long>(ids[i].value()));
    insert.values.emplace_back(request.user_id);
    insert.values.emplace_back(request.symbol);
    insert.values.emplace_back(std::string(to_string(request.side)));
    insert.values.emplace_back(std::string(to_string(request.type)));
    insert.values.emplace_back(std::string(to_string(request.time_in_force)));
    insert.values.emplace_back(static_cast<long long>(request.quantity.value()));
    push_units(request.price);
    push_units(order.reserved_cash);
    if (order.reserved_quantity) {
      insert.values.emplace_back(static_cast<long long>(order.reserved_quantity->value()));
    } else {
      insert.values.emplace_back();
    }
    push_units(order.cash_cap);
    insert.values.emplace_back(kPending);
  }
  return insert;
}

std::optional<Order> find_order(soci::session& session, OrderId order_id, bool for_update) {
  const long long id = order_id.value();
  const std::string sql = std::string("SELECT ") + kOrderColumns +
                          " FROM orders WHERE order_id = :order_id" +
                          (for_update ? " FOR UPDATE" : "");
  soci::rowset<soci::row> rows = (session.prepare << sql, soci::use(id));
  for (const soci::row& row : rows) return row_to_order(row);
  return std::nullopt;
}

std::map<OrderId, Order> lock_orders(soci::session& session, std::span<const OrderId> order_ids) {
  BOURSE_ASSERT(!order_ids.empty() && order_ids.size() <= limits::kMaxStatusRowsPerStatement,
                "1..kMaxStatusRowsPerStatement orders per lock");
  std::vector<long long> ids;  // never reallocated: the statement binds references
  ids.reserve(order_ids.size());
  for (OrderId id : order_ids) {
    BOURSE_ASSERT(ids.empty() || ids.back() < id.value(), "orders are locked in ascending order");
    ids.push_back(id.value());
  }
  soci::details::prepare_temp_type select =
      (session.prepare << std::string("SELECT ") + kOrderColumns +
                              " FROM orders WHERE order_id IN (" +
                              db::row_placeholders(ids.size(), 1) +
                              ") ORDER BY order_id FOR UPDATE");
  for (const long long& id : ids) select, soci::use(id);
  soci::rowset<soci::row> rows(select);
  std::map<OrderId, Order> orders;
  for (const soci::row& row : rows) {
    Order order = row_to_order(row);
    const OrderId id = order.order_id;
    orders.emplace(id, std::move(order));
  }
  return orders;
}

OrderPage list_orders(soci::session& session, const ListQuery& query) {
  BOURSE_ASSERT(query.limit >= 1 && query.limit <= limits::kMaxListLimit, "validated limit");
  // Only present filters become conditions, so each query shape can use its index
  // ((user_id, order_id), (symbol, order_id), (status, order_id) or the primary key).
  std::string sql = std::string("SELECT ") + kOrderColumns + " FROM orders WHERE 1 = 1";
  const std::string status = query.status ? std::string(to_string(*query.status)) : std::string();
  const long long cursor = query.starting_after ? query.starting_after->value() : 0;
  const int fetch = query.limit + 1;  // one more tells whether there is a next page
  if (query.user_id) sql += " AND user_id = :user_id";
  if (query.symbol) sql += " AND symbol = :symbol";
  if (query.status) sql += " AND status = :status";
  if (query.starting_after) sql += " AND order_id < :cursor";
  sql += " ORDER BY order_id DESC LIMIT :fetch";

  soci::details::prepare_temp_type statement = (session.prepare << sql);
  if (query.user_id) statement, soci::use(*query.user_id);
  if (query.symbol) statement, soci::use(*query.symbol);
  if (query.status) statement, soci::use(status);
  if (query.starting_after) statement, soci::use(cursor);
  statement, soci::use(fetch);
  soci::rowset<soci::row> rows(statement);

  OrderPage page;
  for (const soci::row& row : rows) {
    if (page.orders.size() == static_cast<std::size_t>(query.limit)) {
      page.has_more = true;
      break;
    }
    page.orders.push_back(row_to_order(row));
  }
  return page;
}

std::map<IdempotencyKey, StoredAnswer> find_idempotency_keys(soci::session& session,
                                                             std::span<const IdempotencyKey> keys) {
  BOURSE_ASSERT(keys.size() <= limits::kMaxGroupSize, "at most kMaxGroupSize keys per lookup");
  std::map<IdempotencyKey, StoredAnswer> found;
  if (keys.empty()) return found;
  // A row-constructor IN list: a range scan of the primary key (user_id, idem_key).
  std::string sql =
      "SELECT user_id, idem_key, request_hash, order_id, response_status, response_body "
      "FROM order_idempotency_keys WHERE (user_id, idem_key) IN (";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string n = std::to_string(i);
    sql += (i == 0 ? "(" : ", (");
    sql += ":user_id" + n + ", :idem_key" + n + ")";
  }
  sql += ")";
  soci::details::prepare_temp_type select = (session.prepare << sql);
  for (const IdempotencyKey& key : keys) select, soci::use(key.first), soci::use(key.second);
  soci::rowset<soci::row> rows(select);
  for (const soci::row& row : rows) {
    StoredAnswer answer;
    answer.request_hash = row.get<std::string>(2);
    if (auto order_id = nullable_int(row, 3)) answer.order_id = OrderId(*order_id);
    answer.http_status = static_cast<int>(int_column(row, 4));
    answer.body = row.get<std::string>(5);
    assert_answer(answer);
    IdempotencyKey key(row.get<std::string>(0), row.get<std::string>(1));
    BOURSE_ASSERT(std::find(keys.begin(), keys.end(), key) != keys.end(),
                  "the lookup returns only the keys asked for");
    const bool inserted = found.emplace(std::move(key), std::move(answer)).second;
    BOURSE_ASSERT(inserted, "(user_id, idem_key) is the primary key");
  }
  return found;
}

db::SqlStatement idempotency_keys_insert(std::span<const IdempotencyKeyRow> rows) {
  BOURSE_ASSERT(!rows.empty() && rows.size() <= limits::kMaxGroupSize,
                "1..kMaxGroupSize keys per insert");
  db::SqlStatement insert{
      "INSERT INTO order_idempotency_keys (user_id, idem_key, request_hash, order_id, "
      "response_status, response_body) VALUES " +
          db::row_placeholders(rows.size(), 6),
      {}, std::nullopt, static_cast<long long>(rows.size())};
  insert.values.reserve(6 * rows.size());
  for (const IdempotencyKeyRow& row : rows) {
    assert_answer(row.answer);
    insert.values.insert(insert.values.end(),
                         {row.key.first, row.key.second, row.answer.request_hash});
    if (row.answer.order_id) {
      insert.values.emplace_back(static_cast<long long>(row.answer.order_id->value()));
    } else {
      insert.values.emplace_back();  // NULL
    }
    insert.values.insert(insert.values.end(),
                         {static_cast<long long>(row.answer.http_status), row.answer.body});
  }
  return insert;
}

void insert_idempotency_keys(soci::session& session, std::span<const IdempotencyKeyRow> rows) {
  if (rows.empty()) return;
  db::execute_statement(session, idempotency_keys_insert(rows));
}

void mark_cancel_requested(soci::session& session, OrderId order_id) {
  const long long id = order_id.value();
  session << "UPDATE orders SET cancel_requested_at = CURRENT_TIMESTAMP(6) "
             "WHERE order_id = :order_id AND cancel_requested_at IS NULL",
      soci::use(id);
}

db::SqlStatement order_states_update(std::span<const OrderStateChange> changes) {
  BOURSE_ASSERT(!changes.empty() && changes.size() <= limits::kMaxStatusRowsPerStatement,
                "1..kMaxStatusRowsPerStatement orders per update");
  std::string status_cases, filled_cases, notional_cases, cancel_cases, reject_cases;
  // The values in the text's order: each CASE list's (order id, value) pairs, then the ids.
  std::vector<db::SqlValue> status_values, filled_values, notional_values, cancel_values,
      reject_values;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const OrderStateUpdate& update = changes[i].update;
    const long long order_id = changes[i].order_id.value();
    BOURSE_ASSERT(i == 0 || changes[i - 1].order_id < changes[i].order_id,
                  "orders are updated in ascending order id order");
    BOURSE_ASSERT(update.filled_quantity.value() >= 0 && update.filled_notional.units() >= 0,
                  "fill counters are never negative");
    BOURSE_ASSERT(!update.cancel_reason || update.status == OrderStatus::kCancelled,
                  "a cancel reason only with CANCELLED");
    BOURSE_ASSERT(!update.reject_reason || update.status == OrderStatus::kRejected,
                  "a reject reason only with REJECTED");
    const std::string n = std::to_string(i);
    status_cases += " WHEN :so" + n + " THEN :s" + n;
    status_values.insert(status_values.end(), {order_id, std::string(to_string(update.status))});
    filled_cases += " WHEN :fo" + n + " THEN :f" + n;
    filled_values.insert(filled_values.end(), {order_id, update.filled_quantity.value()});
    notional_cases += " WHEN :no" + n + " THEN :n" + n;
    notional_values.insert(notional_values.end(), {order_id, update.filled_notional.units()});
    if (update.cancel_reason) {
      cancel_cases += " WHEN :co" + n + " THEN :c" + n;
      cancel_values.insert(cancel_values.end(), {order_id, *update.cancel_reason});
    }
    if (update.reject_reason) {
      reject_cases += " WHEN :ro" + n + " THEN :r" + n;
      reject_values.insert(reject_values.end(), {order_id, *update.reject_reason});
    }
  }
  // Assignments run left to right; none reads a column an earlier one writes.
  // FORCE INDEX: a list naming a large share of a small table is otherwise a full scan,
  // which under REPEATABLE READ would lock every row and gap of orders.
  db::SqlStatement statement;
  statement.text = "UPDATE orders FORCE INDEX (PRIMARY) SET status = CASE order_id" +
                   status_cases + " END, filled_quantity = CASE order_id" + filled_cases +
                   " END, filled_notional_units = CASE order_id" + notional_cases + " END";
  if (!cancel_cases.empty()) {
    statement.text += ", cancel_reason = CASE order_id" + cancel_cases + " ELSE cancel_reason END";
  }
  if (!reject_cases.empty()) {
    statement.text += ", reject_reason = CASE order_id" + reject_cases + " ELSE reject_reason END";
  }
  statement.text += " WHERE order_id IN (" + db::row_placeholders(changes.size(), 1) + ")";
  for (auto* values : {&status_values, &filled_values, &notional_values, &cancel_values,
                       &reject_values}) {
    statement.values.insert(statement.values.end(), std::make_move_iterator(values->begin()),
                            std::make_move_iterator(values->end()));
  }
  for (const OrderStateChange& change : changes) {
    statement.values.emplace_back(static_cast<long long>(change.order_id.value()));
  }
  // Every order named exists and changes.
  statement.expected_rows = static_cast<long long>(changes.size());
  return statement;
}

}  // namespace bourse::order::store
