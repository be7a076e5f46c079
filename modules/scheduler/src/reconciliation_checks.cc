#include "reconciliation_checks.h"

#include <soci/soci.h>

#include <functional>
#include <string>

#include "bourse/common/assert.h"
#include "bourse/scheduler/reconciler.h"

namespace bourse::scheduler::checks {
namespace {

// Every balance as one relation: (user_id, asset, total, reserved), asset spelled as in
// the ledger ("cash:USD", "shares:AAPL").
constexpr const char* kBalances =
    "(SELECT user_id, CONCAT('cash:', currency) AS asset, total_units AS total,"
    " reserved_units AS reserved FROM cash_balances"
    " UNION ALL SELECT user_id, CONCAT('shares:', symbol), total_quantity, reserved_quantity"
    " FROM positions)";

// Rows read per statement: one more than kept, so a check knows it was truncated.
std::string limit_clause() { return " LIMIT " + std::to_string(kMaxMismatchesPerCheck + 1); }

// Rows read by a cross-module statement before in-flight events are subtracted.
std::string in_flight_limit_clause() {
  return " LIMIT " + std::to_string(2 * kMaxInFlightEvents + kMaxMismatchesPerCheck + 1);
}

// An integer column, whatever integer type the backend reports for it.
std::int64_t int_at(const soci::row& row, std::size_t index) {
  if (row.get_indicator(index) == soci::i_null) return 0;
  switch (row.get_properties(index).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(index);
    case soci::dt_long_long:
      return row.get<long long>(index);
    case soci::dt_unsigned_long_long: {
      const unsigned long long value = row.get<unsigned long long>(index);
      BOURSE_ASSERT(value <= static_cast<unsigned long long>(INT64_MAX), "column fits int64");
      return static_cast<std::int64_t>(value);
    }
    case soci::dt_string:
      return std::stoll(row.get<std::string>(index));
    default:
      BOURSE_ASSERT(false, "reconciliation column is an integer");
  }
  return 0;
}

std::string text_at(const soci::row& row, std::size_t index) {
  if (row.get_indicator(index) == soci::i_null) return {};
  return row.get<std::string>(index);
}

bool is_cash(const std::string& asset) { return asset.rfind("cash:", 0) == 0; }

void for_each_row(soci::session& session, const std::string& sql,
                  const std::function<void(const soci::row&)>& visit) {
  soci::rowset<soci::row> rows = session.prepare << sql;
  for (const soci::row& row : rows) visit(row);
}

Mismatch account_mismatch(const std::string& user, const std::string& asset, std::string field,
                          std::int64_t expected, std::int64_t actual) {
  return Mismatch{"account",      user, asset, std::move(field), expected, actual,
                  is_cash(asset), {},   {}};
}

Mismatch order_mismatch(std::int64_t order_id, std::string field, std::int64_t expected,
                        std::int64_t actual, bool cash = false) {
  return Mismatch{
      "order", std::to_string(order_id), {}, std::move(field), expected, actual, cash, {}, {}};
}

Mismatch order_text_mismatch(std::int64_t order_id, std::string field, std::string expected,
                             std::string actual) {
  return Mismatch{"order",
                  std::to_string(order_id),
                  {},
                  std::move(field),
                  0,
                  0,
                  false,
                  std::move(expected),
                  std::move(actual)};
}

Mismatch trade_mismatch(std::int64_t trade_id, std::string field, std::int64_t expected,
                        std::int64_t actual, bool cash = false) {
  return Mismatch{
      "trade", std::to_string(trade_id), {}, std::move(field), expected, actual, cash, {}, {}};
}

}  // namespace

CheckResult balances_match_ledger(soci::session& session) {
  CheckResult check{"balances_match_ledger", {}, false, 0};
  for_each_row(
      session,
      std::string("SELECT b.user_id, b.asset, b.total, b.reserved,"
                  " CAST(COALESCE(l.t, 0) AS SIGNED), CAST(COALESCE(l.r, 0) AS SIGNED) FROM ") +
          kBalances +
          " b LEFT JOIN (SELECT user_id, asset, SUM(total_delta) AS t, SUM(reserved_delta) AS r"
          " FROM ledger_entries WHERE user_id <> '@external' GROUP BY user_id, asset) l"
          " ON l.user_id = b.user_id AND l.asset = b.asset"
          " WHERE b.total <> COALESCE(l.t, 0) OR b.reserved <> COALESCE(l.r, 0)"
          " ORDER BY b.user_id, b.asset" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::string user = text_at(row, 0);
        const std::string asset = text_at(row, 1);
        const std::int64_t total = int_at(row, 2), reserved = int_at(row, 3);
        const std::int64_t ledger_total = int_at(row, 4), ledger_reserved = int_at(row, 5);
        if (total != ledger_total)
          check.add(account_mismatch(user, asset, "total", ledger_total, total));
        if (reserved != ledger_reserved) {
          check.add(account_mismatch(user, asset, "reserved", ledger_reserved, reserved));
        }
      });
  // Ledger entries of an account and asset with no balance row to hold them (the module
  // creates the row before booking). A loose index scan of (user_id, asset).
  for_each_row(session,
               "SELECT l.user_id, l.asset FROM (SELECT DISTINCT user_id, asset FROM ledger_entries"
               " WHERE user_id <> '@external') l WHERE NOT EXISTS (SELECT 1 FROM cash_balances c"
               " WHERE c.user_id = l.user_id AND CONCAT('cash:', c.currency) = l.asset) AND NOT"
               " EXISTS (SELECT 1 FROM positions p WHERE p.user_id = l.user_id AND"
               " CONCAT('shares:', p.symbol) = l.asset) ORDER BY l.user_id, l.asset" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(Mismatch{"account", text_at(row, 0), text_at(row, 1), "balance_row", 0,
                                    0, false, "present", "missing"});
               });
  return check;
}

CheckResult asset_totals_match_inflows(soci::session& session) {
  CheckResult check{"asset_totals_match_inflows", {}, false, 0};
  // Held over all accounts vs what came in from outside (booked against @external).
  for_each_row(
      session,
      std::string("SELECT asset, CAST(SUM(held) AS SIGNED), CAST(SUM(inflow) AS SIGNED) FROM"
                  " (SELECT asset, total AS held, 0 AS inflow FROM ") +
          kBalances +
          " b UNION ALL SELECT asset, 0, -total_delta FROM ledger_entries"
          " WHERE user_id = '@external') x GROUP BY asset HAVING SUM(held) <> SUM(inflow)"
          " ORDER BY asset" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::string asset = text_at(row, 0);
        check.add(Mismatch{"asset",
                           asset,
                           {},
                           "total_held",
                           int_at(row, 2),
                           int_at(row, 1),
                           is_cash(asset),
                           {},
                           {}});
      });
  // The deposits table and the ledger's deposit entries agree per asset.
  for_each_row(session,
               "SELECT asset, CAST(SUM(deposited) AS SIGNED), CAST(SUM(booked) AS SIGNED) FROM"
               " (SELECT asset, amount AS deposited, 0 AS booked FROM deposits"
               " UNION ALL SELECT asset, 0, total_delta FROM ledger_entries"
               " WHERE kind = 'deposit' AND user_id <> '@external') x"
               " GROUP BY asset HAVING SUM(deposited) <> SUM(booked) ORDER BY asset" +
                   limit_clause(),
               [&](const soci::row& row) {
                 const std::string asset = text_at(row, 0);
                 check.add(Mismatch{"asset",
                                    asset,
                                    {},
                                    "deposits_booked",
                                    int_at(row, 1),
                                    int_at(row, 2),
                                    is_cash(asset),
                                    {},
                                    {}});
               });
  // Double entry: every event's deltas sum to zero per asset. Grouped by (kind,
  // reference), a prefix of the ledger's unique key, so the index is read in order and no
  // temporary table is built; cash is one currency (exact sum), shares may be several
  // symbols in one event (an opening), summed with a per-symbol weight (CRC32 of the
  // asset, in DECIMAL so nothing overflows): each symbol summing to zero gives zero, and
  // errors in two symbols cannot cancel unless they happen to be in the weights' ratio.
  // Only the kinds with counter-entries are grouped: `reserve` and `release` entries move
  // reserved amounts of one account (total_delta 0), and a total moved by one of them
  // would break the held-vs-inflows equality above.
  for_each_row(session,
               "SELECT kind, reference, CAST(SUM(CASE WHEN asset LIKE 'cash:%' THEN total_delta"
               " ELSE 0 END) AS SIGNED) FROM ledger_entries"
               " WHERE kind IN ('opening', 'deposit', 'trade') GROUP BY kind, reference"
               " HAVING SUM(CASE WHEN asset LIKE 'cash:%' THEN total_delta ELSE 0 END) <> 0 OR"
               " SUM(CASE WHEN asset LIKE 'cash:%' THEN 0 ELSE CAST(total_delta AS DECIMAL(30, 0))"
               " * CRC32(asset) END) <> 0 ORDER BY kind, reference" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(Mismatch{"reference",
                                    text_at(row, 0) + " " + text_at(row, 1),
                                    {},
                                    "sum_of_total_deltas",
                                    0,
                                    int_at(row, 2),
                                    false,
                                    {},
                                    {}});
               });
  return check;
}

CheckResult reserved_matches_reservations(soci::session& session) {
  CheckResult check{"reserved_matches_reservations", {}, false, 0};
  for_each_row(session,
               std::string("SELECT b.user_id, b.asset, b.reserved, CAST(COALESCE(r.held, 0) AS "
                           "SIGNED) FROM ") +
                   kBalances +
                   " b LEFT JOIN (SELECT user_id, asset, SUM(remaining) AS held FROM reservations"
                   " WHERE status = 'RESERVED' GROUP BY user_id, asset) r"
                   " ON r.user_id = b.user_id AND r.asset = b.asset"
                   " WHERE b.reserved <> COALESCE(r.held, 0) ORDER BY b.user_id, b.asset" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(account_mismatch(text_at(row, 0), text_at(row, 1), "reserved",
                                            int_at(row, 3), int_at(row, 2)));
               });
  // A closed reservation holds nothing.
  for_each_row(session,
               "SELECT order_id, asset, remaining FROM reservations"
               " WHERE status <> 'RESERVED' AND remaining <> 0 ORDER BY order_id" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(order_mismatch(int_at(row, 0), "remaining", 0, int_at(row, 2),
                                          is_cash(text_at(row, 1))));
               });
  return check;
}

CheckResult balances_not_negative(soci::session& session) {
  CheckResult check{"balances_not_negative", {}, false, 0};
  for_each_row(
      session,
      std::string("SELECT user_id, asset, total, reserved FROM ") + kBalances +
          " b WHERE total < 0 OR reserved < 0 OR reserved > total"
          " ORDER BY user_id, asset" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::string user = text_at(row, 0), asset = text_at(row, 1);
        const std::int64_t total = int_at(row, 2), reserved = int_at(row, 3);
        if (total < 0) check.add(account_mismatch(user, asset, "total", 0, total));
        if (reserved < 0) check.add(account_mismatch(user, asset, "reserved", 0, reserved));
        if (reserved > total) {
          check.add(account_mismatch(user, asset, "reserved_at_most_total", total, reserved));
        }
      });
  return check;
}

CheckResult reservation_fills_match_settled_trades(soci::session& session) {
  CheckResult check{"reservation_fills_match_settled_trades", {}, false, 0};
  for_each_row(session,
               "SELECT r.order_id, r.filled_quantity, CAST(COALESCE(s.q, 0) AS SIGNED)"
               " FROM reservations r LEFT JOIN (SELECT order_id, SUM(q) AS q FROM"
               " (SELECT buy_order_id AS order_id, quantity AS q FROM settled_trades"
               " UNION ALL SELECT sell_order_id, quantity FROM settled_trades) x"
               " GROUP BY order_id) s ON s.order_id = r.order_id"
               " WHERE r.filled_quantity <> COALESCE(s.q, 0) ORDER BY r.order_id" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(order_mismatch(int_at(row, 0), "filled_quantity", int_at(row, 2),
                                          int_at(row, 1)));
               });
  // COMPLETED exactly when every share is filled.
  for_each_row(session,
               "SELECT order_id, quantity, filled_quantity, status FROM reservations"
               " WHERE (status = 'COMPLETED') <> (filled_quantity = quantity)"
               " ORDER BY order_id" +
                   limit_clause(),
               [&](const soci::row& row) {
                 const bool completed = text_at(row, 3) == "COMPLETED";
                 check.add(order_text_mismatch(int_at(row, 0), "reservation_status",
                                               completed ? "RESERVED or RELEASED" : "COMPLETED",
                                               text_at(row, 3)));
               });
  return check;
}

CheckResult trades_settled_once(soci::session& session) {
  CheckResult check{"trades_settled_once", {}, false, 0};
  // Each settled trade moved its quantity of shares to the buyer exactly once, and every
  // ledger trade entry belongs to a settled trade: one pass, grouped by trade id.
  for_each_row(
      session,
      "SELECT trade_id, CAST(SUM(settled) AS SIGNED), CAST(SUM(received) AS SIGNED),"
      " CAST(SUM(claims) AS SIGNED) FROM (SELECT trade_id, quantity AS settled, 0 AS received,"
      " 1 AS claims FROM settled_trades UNION ALL SELECT CAST(SUBSTRING(reference, 7)"
      " AS SIGNED), 0, CASE WHEN total_delta > 0 AND asset LIKE 'shares:%' THEN"
      " total_delta ELSE 0 END, 0 FROM ledger_entries WHERE kind = 'trade') x"
      " GROUP BY trade_id HAVING SUM(settled) <> SUM(received) OR SUM(claims) <> 1"
      " ORDER BY trade_id" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::int64_t trade = int_at(row, 0);
        if (int_at(row, 3) == 0) {
          check.add(trade_mismatch(trade, "settled_trade_claim", 1, 0));
          return;
        }
        check.add(trade_mismatch(trade, "shares_delivered", int_at(row, 1), int_at(row, 2)));
      });
  // A trade the order module shows settled is settled by the account module, with the
  // same terms (the account module commits first, so this is exact).
  for_each_row(
      session,
      "SELECT t.trade_id, t.quantity, CAST(COALESCE(st.quantity, 0) AS SIGNED),"
      " t.price_units, CAST(COALESCE(st.price_units, 0) AS SIGNED) FROM trades t"
      " LEFT JOIN settled_trades st ON st.trade_id = t.trade_id"
      " WHERE t.settled_at IS NOT NULL AND (st.trade_id IS NULL OR"
      " st.quantity <> t.quantity OR st.price_units <> t.price_units OR"
      " st.buy_order_id <> t.buy_order_id OR st.sell_order_id <> t.sell_order_id)"
      " ORDER BY t.trade_id" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::int64_t trade = int_at(row, 0);
        if (int_at(row, 1) != int_at(row, 2)) {
          check.add(trade_mismatch(trade, "settled_quantity", int_at(row, 1), int_at(row, 2)));
        } else if (int_at(row, 3) != int_at(row, 4)) {
          check.add(trade_mismatch(trade, "settled_price", int_at(row, 3), int_at(row, 4), true));
        } else {
          check.add(Mismatch{"trade",
                             std::to_string(trade),
                             {},
                             "settled_orders",
                             0,
                             0,
                             false,
                             "the trade record's orders",
                             "other orders"});
        }
      });
  return check;
}

CheckResult order_fills_match_trades(soci::session& session) {
  CheckResult check{"order_fills_match_trades", {}, false, 0};
  for_each_row(
      session,
      "SELECT o.order_id, o.filled_quantity, o.filled_notional_units,"
      " CAST(COALESCE(t.q, 0) AS SIGNED), CAST(COALESCE(t.n, 0) AS SIGNED)"
      " FROM orders o LEFT JOIN (SELECT order_id, SUM(q) AS q, SUM(n) AS n FROM"
      " (SELECT buy_order_id AS order_id, quantity AS q, price_units * quantity AS n"
      " FROM trades WHERE settled_at IS NOT NULL UNION ALL SELECT sell_order_id, quantity,"
      " price_units * quantity FROM trades WHERE settled_at IS NOT NULL) x"
      " GROUP BY order_id) t ON t.order_id = o.order_id"
      " WHERE o.filled_quantity <> COALESCE(t.q, 0) OR o.filled_notional_units <> COALESCE(t.n, 0)"
      " ORDER BY o.order_id" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::int64_t order = int_at(row, 0);
        if (int_at(row, 1) != int_at(row, 3)) {
          check.add(order_mismatch(order, "filled_quantity", int_at(row, 3), int_at(row, 1)));
        }
        if (int_at(row, 2) != int_at(row, 4)) {
          check.add(order_mismatch(order, "filled_notional", int_at(row, 4), int_at(row, 2), true));
        }
      });
  for_each_row(session,
               "SELECT order_id, quantity, filled_quantity FROM orders"
               " WHERE status = 'FILLED' AND filled_quantity <> quantity ORDER BY order_id" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(order_mismatch(int_at(row, 0), "filled_quantity_of_filled_order",
                                          int_at(row, 1), int_at(row, 2)));
               });
  return check;
}

CheckResult orders_match_reservations(soci::session& session) {
  CheckResult check{"orders_match_reservations", {}, false, 0};
  bool orders_without_reservation = false;
  for_each_row(
      session,
      "SELECT o.order_id, r.order_id IS NULL, (r.user_id <> o.user_id OR r.side <> o.side OR"
      " r.symbol <> o.symbol), o.quantity, CAST(COALESCE(r.quantity, 0) AS SIGNED),"
      " CAST(COALESCE(o.reserved_cash_units, o.reserved_quantity, 0) AS SIGNED),"
      " CAST(COALESCE(r.reserved, 0) AS SIGNED), o.side"
      " FROM orders o LEFT JOIN reservations r ON r.order_id = o.order_id"
      " WHERE r.order_id IS NULL OR r.user_id <> o.user_id OR r.side <> o.side OR"
      " r.symbol <> o.symbol OR r.quantity <> o.quantity OR"
      " r.reserved <> COALESCE(o.reserved_cash_units, o.reserved_quantity, 0)"
      " ORDER BY o.order_id" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::int64_t order = int_at(row, 0);
        if (int_at(row, 1) != 0) {
          orders_without_reservation = true;
          check.add(order_text_mismatch(order, "reservation", "present", "missing"));
          return;
        }
        if (int_at(row, 2) != 0) {
          check.add(order_text_mismatch(order, "reservation_terms",
                                        "the order's user, side and symbol", "other terms"));
        }
        if (int_at(row, 3) != int_at(row, 4)) {
          check.add(order_mismatch(order, "reservation_quantity", int_at(row, 3), int_at(row, 4)));
        }
        if (int_at(row, 5) != int_at(row, 6)) {
          check.add(order_mismatch(order, "reserved", int_at(row, 5), int_at(row, 6),
                                   text_at(row, 7) == "BUY"));
        }
      });
  // Reservations without their order. Order ids are unique in both tables, so when every
  // order has its reservation and the counts are equal there is none: the anti-join only
  // runs when the cheap counts say it will find something.
  long long orders = 0, reservations = 0;
  session << "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM reservations)",
      soci::into(orders), soci::into(reservations);
  if (orders_without_reservation || orders != reservations) {
    for_each_row(session,
                 "SELECT r.order_id FROM reservations r LEFT JOIN orders o"
                 " ON o.order_id = r.order_id WHERE o.order_id IS NULL ORDER BY r.order_id" +
                     limit_clause(),
                 [&](const soci::row& row) {
                   check.add(order_text_mismatch(int_at(row, 0), "order", "present", "missing"));
                 });
  }
  return check;
}

CheckResult order_fills_match_settlement(soci::session& session, const InFlightEvents& in_flight) {
  CheckResult check{"order_fills_match_settlement", {}, false, 0};
  for_each_row(
      session,
      "SELECT r.order_id, r.filled_quantity, o.filled_quantity, r.status, o.status"
      " FROM reservations r JOIN orders o ON o.order_id = r.order_id"
      " WHERE r.filled_quantity <> o.filled_quantity OR"
      " (r.status = 'RELEASED') <> (o.status IN ('CANCELLED', 'REJECTED')) OR"
      " (r.status = 'COMPLETED') <> (o.status = 'FILLED') ORDER BY r.order_id" +
          in_flight_limit_clause(),
      [&](const soci::row& row) {
        const std::int64_t order = int_at(row, 0);
        const std::int64_t settled = int_at(row, 1), followed = int_at(row, 2);
        const std::string reservation_status = text_at(row, 3), order_status = text_at(row, 4);
        const auto pending = in_flight.pending_fills.find(order);
        const std::int64_t pending_fill =
            pending == in_flight.pending_fills.end() ? 0 : pending->second;
        const bool release_pending = in_flight.pending_releases.count(order) > 0;
        if (followed != settled - pending_fill) {
          check.add(order_mismatch(order, "filled_quantity", settled - pending_fill, followed));
        }
        const bool order_ended_unfilled = order_status == "CANCELLED" || order_status == "REJECTED";
        if (reservation_status == "RELEASED" && !order_ended_unfilled && !release_pending) {
          check.add(order_text_mismatch(order, "status", "CANCELLED or REJECTED", order_status));
        } else if (reservation_status != "RELEASED" && order_ended_unfilled) {
          check.add(order_text_mismatch(
              order, "status", "not final (reservation " + reservation_status + ")", order_status));
        } else if (reservation_status == "COMPLETED" && order_status != "FILLED" &&
                   pending_fill == 0) {
          check.add(order_text_mismatch(order, "status", "FILLED", order_status));
        } else if (reservation_status != "COMPLETED" && order_status == "FILLED") {
          check.add(order_text_mismatch(order, "status",
                                        "not FILLED (reservation " + reservation_status + ")",
                                        order_status));
        }
      });
  // Settled by the account module but not in the order module's trade record as settled.
  for_each_row(session,
               "SELECT st.trade_id FROM settled_trades st LEFT JOIN trades t"
               " ON t.trade_id = st.trade_id WHERE t.settled_at IS NULL ORDER BY st.trade_id" +
                   in_flight_limit_clause(),
               [&](const soci::row& row) {
                 const std::int64_t trade = int_at(row, 0);
                 if (in_flight.pending_settled_trades.count(trade) > 0) return;
                 check.add(Mismatch{"trade",
                                    std::to_string(trade),
                                    {},
                                    "settled_in_trade_record",
                                    0,
                                    0,
                                    false,
                                    "settled",
                                    "not settled"});
               });
  return check;
}

}  // namespace bourse::scheduler::checks
