#include "reservation_store.h"

#include <soci/soci.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "bourse/account/reservation.h"
#include "bourse/common/assert.h"
#include "bourse/db/sql_batch.h"
#include "bourse/db/sql_text.h"

namespace bourse::account {
namespace {

std::optional<ReservationRow> select_reservation(soci::session& session, std::int64_t order_id,
                                                 bool for_update) {
  ReservationRow row;
  long long id = order_id;
  long long quantity = 0, filled = 0, limit_price = 0, reserved = 0, remaining = 0;
  soci::indicator limit_indicator = soci::i_ok;
  const std::string sql =
      std::string(
          "SELECT user_id, side, order_type, symbol, asset, quantity, filled_quantity, "
          "limit_price_units, reserved, remaining, status "
          "FROM reservations WHERE order_id = :v1") +
      (for_update ? " FOR UPDATE" : "");
  session << sql, soci::use(id), soci::into(row.user_id), soci::into(row.side),
      soci::into(row.order_type), soci::into(row.symbol), soci::into(row.asset),
      soci::into(quantity), soci::into(filled), soci::into(limit_price, limit_indicator),
      soci::into(reserved), soci::into(remaining), soci::into(row.status);
  if (!session.got_data()) return std::nullopt;
  row.order_id = order_id;
  row.quantity = quantity;
  row.filled_quantity = filled;
  if (limit_indicator == soci::i_ok) row.limit_price_units = limit_price;
  row.reserved = reserved;
  row.remaining = remaining;
  assert_reservation(row);
  return row;
}

std::map<std::int64_t, ReservationRow> select_reservations_for_update(
    soci::session& session, std::span<const std::int64_t> order_ids) {
  BOURSE_ASSERT(!order_ids.empty() && order_ids.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch reservations per read");
  BOURSE_ASSERT(std::adjacent_find(order_ids.begin(), order_ids.end(), std::greater_equal<>()) ==
                    order_ids.end(),
                "reservations are read in ascending order id");
  const std::string sql =
      "SELECT order_id, user_id, side, order_type, symbol, asset, quantity, filled_quantity, "
      "limit_price_units, reserved, remaining, status FROM reservations FORCE INDEX (PRIMARY) "
      "WHERE order_id IN (" +
      db::row_placeholders(order_ids.size(), 1) + ") ORDER BY order_id FOR UPDATE";
  std::vector<long long> ids(order_ids.begin(), order_ids.end());  // bound by reference
  soci::details::prepare_temp_type select = (session.prepare << sql);
  for (const long long& id : ids) select, soci::use(id);
  soci::rowset<soci::row> rows(select);
  std::map<std::int64_t, ReservationRow> result;
  for (const soci::row& row : rows) {
    ReservationRow reservation;
    reservation.order_id = row.get<long long>(0);
    reservation.user_id = row.get<std::string>(1);
    reservation.side = row.get<std::string>(2);
    reservation.order_type = row.get<std::string>(3);
    reservation.symbol = row.get<std::string>(4);
    reservation.asset = row.get<std::string>(5);
    reservation.quantity = row.get<long long>(6);
    reservation.filled_quantity = row.get<long long>(7);
    if (row.get_indicator(8) == soci::i_ok) reservation.limit_price_units = row.get<long long>(8);
    reservation.reserved = row.get<long long>(9);
    reservation.remaining = row.get<long long>(10);
    reservation.status = row.get<std::string>(11);
    assert_reservation(reservation);
    const bool inserted = result.emplace(reservation.order_id, std::move(reservation)).second;
    BOURSE_ASSERT(inserted, "a read returns each reservation once");
  }
  return result;
}

}  // namespace

void assert_reservation(const ReservationRow& row) {
  BOURSE_ASSERT(row.order_id > 0, "reservation order id is positive");
  BOURSE_ASSERT(row.side == "BUY" || row.side == "SELL", "reservation side");
  BOURSE_ASSERT(row.quantity > 0, "reservation quantity is positive");
  BOURSE_ASSERT(row.filled_quantity >= 0 && row.filled_quantity <= row.quantity,
                "reservation filled within quantity");
  BOURSE_ASSERT(row.remaining >= 0 && row.remaining <= row.reserved,
                "reservation remaining within reserved");
  const bool open = row.status == kStatusReserved;
  BOURSE_ASSERT(open || row.remaining == 0, "a closed reservation holds nothing");
  BOURSE_ASSERT(open || row.status == kStatusCompleted || row.status == kStatusReleased,
                "a known reservation status");
  if (open && row.side == "SELL") {
    BOURSE_ASSERT(row.remaining == row.quantity - row.filled_quantity,
                  "an open sell holds exactly its unfilled shares");
  }
  if (open && row.side == "BUY" && row.limit_price_units.has_value()) {
    // limit x unfilled quantity was within limits when reserved, so no overflow.
    BOURSE_ASSERT(row.remaining == *row.limit_price_units * (row.quantity - row.filled_quantity),
                  "an open limit buy holds exactly limit x unfilled quantity");
  }
}

db::SqlStatement reservations_insert(std::span<const ReservationRow> rows) {
  BOURSE_ASSERT(!rows.empty() && rows.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch rows per INSERT");
  db::SqlStatement insert{
      "INSERT INTO reservations (order_id, user_id, side, order_type, symbol, asset, quantity, "
      "filled_quantity, limit_price_units, reserved, remaining, status) VALUES " +
          db::row_placeholders(rows.size(), 12),
      {}, std::nullopt, static_cast<long long>(rows.size())};
  insert.values.reserve(12 * rows.size());
  for (const ReservationRow& row : rows) {
    assert_reservation(row);
    insert.values.insert(insert.values.end(),
                         {row.order_id, row.user_id, row.side, row.order_type, row.symbol,
                          row.asset, row.quantity, row.filled_quantity});
    if (row.limit_price_units) {
      insert.values.emplace_back(static_cast<long long>(*row.limit_price_units));
    } else {
      insert.values.emplace_back();  // NULL
    }
    insert.values.insert(insert.values.end(), {row.reserved, row.remaining, row.status});
  }
  return insert;
}

void insert_reservations(soci::session& session, std::span<const ReservationRow> rows) {
  if (rows.empty()) return;
  db::execute_statement(session, reservations_insert(rows));
}

std::optional<ReservationRow> lock_reservation(soci::session& session, std::int64_t order_id) {
  return select_reservation(session, order_id, true);
}

std::optional<ReservationRow> read_reservation(soci::session& session, std::int64_t order_id) {
  return select_reservation(session, order_id, false);
}

void update_reservation(soci::session& session, const ReservationRow& row) {
  assert_reservation(row);
  long long id = row.order_id, filled = row.filled_quantity, remaining = row.remaining;
  soci::statement update =
      (session.prepare
           << "UPDATE reservations SET filled_quantity = :v15, remaining = :v16, status = :v17 "
              "WHERE order_id = :v18",
       soci::use(filled), soci::use(remaining), soci::use(row.status), soci::use(id));
  update.execute(true);
  BOURSE_ASSERT(update.get_affected_rows() == 1, "the locked reservation row was updated");
}

}  // namespace bourse::account

namespace bourse::account {

std::map<std::int64_t, ReservationRow> lock_reservations(soci::session& session,
                                                         std::span<const std::int64_t> order_ids) {
  return select_reservations_for_update(session, order_ids);
}

db::SqlStatement reservations_update(std::span<const ReservationRow> rows) {
  BOURSE_ASSERT(!rows.empty() && rows.size() <= kMaxReservationBatch,
                "1..kMaxReservationBatch rows per UPDATE");
  std::string filled_cases, remaining_cases, status_cases;
  db::SqlStatement update{{}, {}, std::nullopt, std::nullopt};
  update.values.reserve(7 * rows.size());
  for (std::size_t i = 1; i <= rows.size(); ++i) {
    const std::string n = std::to_string(i);
    filled_cases += " WHEN :fo" + n + " THEN :f" + n;
    remaining_cases += " WHEN :ro" + n + " THEN :r" + n;
    status_cases += " WHEN :so" + n + " THEN :s" + n;
  }
  // FORCE INDEX: a list naming a large share of a small table is otherwise a full scan.
  update.text = "UPDATE reservations FORCE INDEX (PRIMARY) SET filled_quantity = CASE order_id" +
                filled_cases + " END, remaining = CASE order_id" + remaining_cases +
                " END, status = CASE order_id" + status_cases + " END WHERE order_id IN (" +
                db::row_placeholders(rows.size(), 1) + ")";
  for (const ReservationRow& row : rows) {
    assert_reservation(row);
    update.values.insert(update.values.end(), {row.order_id, row.filled_quantity});
  }
  for (const ReservationRow& row : rows) {
    update.values.insert(update.values.end(), {row.order_id, row.remaining});
  }
  for (const ReservationRow& row : rows) {
    update.values.insert(update.values.end(), {row.order_id, row.status});
  }
  for (const ReservationRow& row : rows) update.values.emplace_back(row.order_id);
  return update;
}

void update_reservations(soci::session& session, std::span<const ReservationRow> rows) {
  if (rows.empty()) return;
  const long long changed = db::execute_statement(session, reservations_update(rows)).affected_rows;
  BOURSE_ASSERT(changed <= static_cast<long long>(rows.size()),
                "only the named reservations were updated");
}

}  // namespace bourse::account
