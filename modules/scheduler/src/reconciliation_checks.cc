#include "reconciliation_checks.h"

#include <soci/soci.h>

#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "bourse/account/ledger.h"
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

std::int64_t elapsed_ms(const Clock& clock, std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - since).count();
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

// A mismatch of a `kind` ("order" or "trade") whose values are words, not numbers.
Mismatch text_mismatch(std::string kind, std::int64_t id, std::string field,
                       std::string expected, std::string actual) {
  return Mismatch{std::move(kind),
                  std::to_string(id),
                  {},
                  std::move(field),
                  0,
                  0,
                  false,
                  std::move(expected),
                  std::move(actual)};
}

Mismatch order_text_mismatch(std::int64_t order_id, std::string field, std::string expected,
                             std::string actual) {
  return text_mismatch("order", order_id, std::move(field), std::move(expected),
                       std::move(actual));
}

Mismatch trade_mismatch(std::int64_t trade_id, std::string field, std::int64_t expected,
                        std::int64_t actual, bool cash = false) {
  return Mismatch{
      "trade", std::to_string(trade_id), {}, std::move(field), expected, actual, cash, {}, {}};
}

}  // namespace

CheckResult balances_match_ledger(soci::session& session) {
  CheckResult check{"balances_match_ledger", {}, false, 0};
  // One statement: the balance rows and the ledger's sums per (user_id, asset) side by
  // side, grouped again by (user_id, asset). The ledger of record is ledger_entries plus
  // the trade journal's legs (bourse/account/ledger.h), summed per account and asset in
  // the journal before the union (grouping four rows per trade here took 3-4x as long).
  // The ledger_entries sums come from its index (user_id, asset, total_delta,
  // reserved_delta) read in order (migration 0620): no table lookups and no temporary
  // table for the ledger's side. A row either compares a
  // balance with its ledger sums (0 when the account has no entries), or is a ledger sum
  // with no balance row to hold it (the module creates the row before booking).
  for_each_row(
      session,
      std::string("SELECT user_id, asset, CAST(SUM(total) AS SIGNED),"
                  " CAST(SUM(reserved) AS SIGNED), CAST(SUM(ledger_total) AS SIGNED),"
                  " CAST(SUM(ledger_reserved) AS SIGNED), CAST(SUM(balance_rows) AS SIGNED)"
                  " FROM (SELECT user_id, asset, total, reserved, 0 AS ledger_total,"
                  " 0 AS ledger_reserved, 1 AS balance_rows FROM ") +
          kBalances +
          " b UNION ALL SELECT user_id, asset, 0, 0, SUM(total_delta), SUM(reserved_delta), 0"
          " FROM ledger_entries WHERE user_id <> '@external' GROUP BY user_id, asset"
          " UNION ALL SELECT user_id, asset, 0, 0, total_delta, reserved_delta, 0 FROM (" +
          account::trade_leg_sums_sql() +
          ") legs) x"
          " GROUP BY user_id, asset HAVING SUM(balance_rows) = 0 OR"
          " SUM(total) <> SUM(ledger_total) OR SUM(reserved) <> SUM(ledger_reserved)"
          " ORDER BY user_id, asset" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::string user = text_at(row, 0);
        const std::string asset = text_at(row, 1);
        if (int_at(row, 6) == 0) {
          check.add(Mismatch{"account", user, asset, "balance_row", 0, 0, false, "present",
                             "missing"});
          return;
        }
        const std::int64_t total = int_at(row, 2), reserved = int_at(row, 3);
        const std::int64_t ledger_total = int_at(row, 4), ledger_reserved = int_at(row, 5);
        if (total != ledger_total)
          check.add(account_mismatch(user, asset, "total", ledger_total, total));
        if (reserved != ledger_reserved) {
          check.add(account_mismatch(user, asset, "reserved", ledger_reserved, reserved));
        }
      });
  return check;
}

TradeLedgerPass trade_ledger_pass(soci::session& session, const Clock& clock) {
  const auto started = clock.steady_now();
  TradeLedgerPass pass;
  // The distinct trade references (a scan of the ledger's unique key (kind, reference)
  // in order), how many are not spelled "trade:<id>" (then two references could share an
  // id and grouping by id is not grouping by reference: the pass is not used), and the
  // number of settled trades.
  long long noncanonical = 0;
  session << "SELECT COUNT(*), CAST(COALESCE(SUM(reference <> CONCAT('trade:',"
             " CAST(SUBSTRING(reference, 7) AS SIGNED))), 0) AS SIGNED),"
             " (SELECT COUNT(*) FROM settled_trades WHERE buyer IS NULL) FROM (SELECT DISTINCT"
             " reference FROM"
             " ledger_entries WHERE kind = 'trade') r",
      soci::into(pass.trade_references), soci::into(noncanonical), soci::into(pass.settled_trades);
  if (noncanonical == 0) {
    // The ledger's `trade` entries grouped by trade id: the shares received (positive
    // share deltas) and the double-entry sums (cash exact; shares weighted per symbol as
    // in asset_totals_match_inflows); each id then looks up its settled trade by primary
    // key. Only disagreeing ids come back (a settled trade with legs has no entries here).
    const std::size_t limit = kTradeLedgerPassRows;
    for_each_row(
        session,
        "SELECT l.trade_id, CAST(l.received AS SIGNED), CAST(l.cash AS SIGNED), l.shares = 0,"
        " st.trade_id IS NOT NULL, COALESCE(st.buyer IS NOT NULL, 0),"
        " CAST(COALESCE(st.quantity, 0) AS SIGNED)"
        " FROM (SELECT CAST(SUBSTRING(reference, 7) AS SIGNED) AS trade_id,"
        " SUM(CASE WHEN total_delta > 0 AND asset LIKE 'shares:%' THEN total_delta ELSE 0 END)"
        " AS received, SUM(CASE WHEN asset LIKE 'cash:%' THEN total_delta ELSE 0 END) AS cash,"
        " SUM(CASE WHEN asset LIKE 'cash:%' THEN 0 ELSE CAST(total_delta AS DECIMAL(30, 0))"
        " * CRC32(asset) END) AS shares"
        " FROM ledger_entries WHERE kind = 'trade' GROUP BY trade_id) l"
        " LEFT JOIN settled_trades st ON st.trade_id = l.trade_id"
        " WHERE st.trade_id IS NULL OR st.buyer IS NOT NULL OR l.received <> st.quantity OR"
        " l.cash <> 0 OR l.shares <> 0 ORDER BY l.trade_id LIMIT " +
            std::to_string(limit),
        [&](const soci::row& row) {
          pass.rows.push_back(TradeLedgerPass::Row{int_at(row, 0), int_at(row, 1), int_at(row, 2),
                                                   int_at(row, 3) != 0, int_at(row, 4) != 0,
                                                   int_at(row, 5) != 0, int_at(row, 6)});
        });
    pass.usable = pass.rows.size() < limit;
  }
  if (!pass.usable) pass.rows.clear();
  pass.duration_ms = elapsed_ms(clock, started);
  return pass;
}

CheckResult asset_totals_match_inflows(soci::session& session, const TradeLedgerPass& trades) {
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
  // The `trade` events come from the trade ledger pass (grouped by trade id, with the
  // same two sums) when it is usable; otherwise, and always for `opening` and `deposit`,
  // from this statement.
  const std::string kinds =
      trades.usable ? "('opening', 'deposit')" : "('opening', 'deposit', 'trade')";
  for_each_row(session,
               "SELECT kind, reference, CAST(SUM(CASE WHEN asset LIKE 'cash:%' THEN total_delta"
               " ELSE 0 END) AS SIGNED) FROM ledger_entries"
               " WHERE kind IN " +
                   kinds +
                   " GROUP BY kind, reference"
                   " HAVING SUM(CASE WHEN asset LIKE 'cash:%' THEN total_delta ELSE 0 END) <> 0 OR"
                   " SUM(CASE WHEN asset LIKE 'cash:%' THEN 0 ELSE CAST(total_delta AS"
                   " DECIMAL(30, 0)) * CRC32(asset) END) <> 0 ORDER BY kind, reference" +
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
  if (trades.usable) {
    for (const TradeLedgerPass::Row& trade : trades.rows) {
      if (trade.cash_sum == 0 && trade.shares_balanced) continue;
      check.add(Mismatch{"reference",
                         "trade trade:" + std::to_string(trade.trade_id),
                         {},
                         "sum_of_total_deltas",
                         0,
                         trade.cash_sum,
                         false,
                         {},
                         {}});
    }
  }
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
  // One pass over the reservations: filled_quantity is the sum of the settled trades, and
  // COMPLETED exactly when every share is filled.
  for_each_row(session,
               "SELECT r.order_id, r.filled_quantity, CAST(COALESCE(s.q, 0) AS SIGNED),"
               " r.quantity, r.status"
               " FROM reservations r LEFT JOIN (SELECT order_id, SUM(q) AS q FROM"
               " (SELECT buy_order_id AS order_id, quantity AS q FROM settled_trades"
               " UNION ALL SELECT sell_order_id, quantity FROM settled_trades) x"
               " GROUP BY order_id) s ON s.order_id = r.order_id"
               " WHERE r.filled_quantity <> COALESCE(s.q, 0) OR"
               " (r.status = 'COMPLETED') <> (r.filled_quantity = r.quantity)"
               " ORDER BY r.order_id" +
                   limit_clause(),
               [&](const soci::row& row) {
                 const std::int64_t order = int_at(row, 0), filled = int_at(row, 1);
                 if (filled != int_at(row, 2)) {
                   check.add(order_mismatch(order, "filled_quantity", int_at(row, 2), filled));
                 }
                 const std::string status = text_at(row, 4);
                 const bool completed = status == "COMPLETED";
                 if (completed != (filled == int_at(row, 3))) {
                   check.add(order_text_mismatch(order, "reservation_status",
                                                 completed ? "RESERVED or RELEASED" : "COMPLETED",
                                                 status));
                 }
               });
  return check;
}

CheckResult trades_settled_once(soci::session& session, const TradeLedgerPass& trades) {
  CheckResult check{"trades_settled_once", {}, false, 0};
  // Each settled trade moved its quantity of shares to the buyer exactly once, and every
  // ledger trade entry belongs to a settled trade. A trade settled since migration 0104
  // books its legs in its settled_trades row (bourse/account/ledger.h): it delivers its
  // quantity by construction, and must have no ledger entries besides (booked twice).
  if (trades.usable) {
    // The ledger's trade ids, from the trade ledger pass: an id without its settled trade,
    // booked in the journal too, or with another quantity of shares received.
    long long ids_without_claim = 0, ids_booked_twice = 0;
    for (const TradeLedgerPass::Row& trade : trades.rows) {
      if (!trade.settled) {
        ++ids_without_claim;
        check.add(trade_mismatch(trade.trade_id, "settled_trade_claim", 1, 0));
      } else if (trade.journal) {
        ++ids_booked_twice;
        check.add(trade_mismatch(trade.trade_id, "booked_twice", 0, 1));
      } else if (trade.received != trade.settled_quantity) {
        check.add(trade_mismatch(trade.trade_id, "shares_delivered", trade.settled_quantity,
                                 trade.received));
      }
    }
    // Settled trades without legs and with no ledger entry at all received nothing. Every
    // trade reference is canonical (the pass is usable), one per trade id, so the ids
    // with their settled trade without legs number (distinct trade references) - (ids
    // without a claim) - (ids booked twice): when that is the number of settled trades
    // without legs, each has entries and the anti-join is skipped.
    if (trades.trade_references - ids_without_claim - ids_booked_twice != trades.settled_trades) {
      for_each_row(session,
                   "SELECT st.trade_id, st.quantity FROM settled_trades st WHERE st.quantity <> 0"
                   " AND st.buyer IS NULL AND NOT EXISTS (SELECT 1 FROM ledger_entries l"
                   " WHERE l.kind = 'trade' AND l.reference = CONCAT('trade:', st.trade_id)) ORDER BY st.trade_id" +
                       limit_clause(),
                   [&](const soci::row& row) {
                     check.add(
                         trade_mismatch(int_at(row, 0), "shares_delivered", int_at(row, 1), 0));
                   });
    }
  } else {
    // One pass, grouped by trade id.
    for_each_row(
        session,
        "SELECT trade_id, CAST(SUM(settled) AS SIGNED), CAST(SUM(received) AS SIGNED),"
        " CAST(SUM(claims) AS SIGNED), CAST(SUM(journal) AS SIGNED) * CAST(SUM(entries) AS"
        " SIGNED) FROM (SELECT trade_id, quantity AS settled, IF(buyer IS NULL, 0, quantity) AS"
        " received, 1 AS claims, buyer IS NOT NULL AS journal, 0 AS entries FROM settled_trades"
        " UNION ALL SELECT CAST(SUBSTRING(reference, 7) AS SIGNED), 0, CASE WHEN total_delta > 0"
        " AND asset LIKE 'shares:%' THEN total_delta ELSE 0 END, 0, 0, 1 FROM ledger_entries"
        " WHERE kind = 'trade') x GROUP BY trade_id HAVING SUM(settled) <> SUM(received) OR"
        " SUM(claims) <> 1 OR SUM(journal) * SUM(entries) <> 0 ORDER BY trade_id" +
            limit_clause(),
        [&](const soci::row& row) {
          const std::int64_t trade = int_at(row, 0);
          if (int_at(row, 3) == 0) {
            check.add(trade_mismatch(trade, "settled_trade_claim", 1, 0));
            return;
          }
          if (int_at(row, 4) != 0) {
            check.add(trade_mismatch(trade, "booked_twice", 0, 1));
            return;
          }
          check.add(trade_mismatch(trade, "shares_delivered", int_at(row, 1), int_at(row, 2)));
        });
  }
  // A journal row pays price x quantity (in DECIMAL: a corrupted row must not overflow).
  for_each_row(session,
               "SELECT trade_id, CAST(LEAST(CAST(price_units AS DECIMAL(30, 0)) * quantity,"
               " 9223372036854775807) AS SIGNED), paid_units FROM settled_trades"
               " WHERE buyer IS NOT NULL AND"
               " paid_units <> CAST(price_units AS DECIMAL(30, 0)) * quantity ORDER BY trade_id" +
                   limit_clause(),
               [&](const soci::row& row) {
                 check.add(trade_mismatch(int_at(row, 0), "paid", int_at(row, 1), int_at(row, 2),
                                          true));
               });
  // A trade the order module shows settled is settled by the account module, with the
  // same terms and, for a journal row, the same buyer and seller (the account module
  // commits first, so this is exact).
  for_each_row(
      session,
      "SELECT t.trade_id, t.quantity, CAST(COALESCE(st.quantity, 0) AS SIGNED),"
      " t.price_units, CAST(COALESCE(st.price_units, 0) AS SIGNED),"
      " COALESCE(st.buyer <> t.buyer OR st.seller <> t.seller, 0) FROM trades t"
      " LEFT JOIN settled_trades st ON st.trade_id = t.trade_id"
      " WHERE t.settled_at IS NOT NULL AND (st.trade_id IS NULL OR"
      " st.quantity <> t.quantity OR st.price_units <> t.price_units OR"
      " st.buy_order_id <> t.buy_order_id OR st.sell_order_id <> t.sell_order_id OR"
      " st.buyer <> t.buyer OR st.seller <> t.seller)"
      " ORDER BY t.trade_id" +
          limit_clause(),
      [&](const soci::row& row) {
        const std::int64_t trade = int_at(row, 0);
        if (int_at(row, 1) != int_at(row, 2)) {
          check.add(trade_mismatch(trade, "settled_quantity", int_at(row, 1), int_at(row, 2)));
        } else if (int_at(row, 3) != int_at(row, 4)) {
          check.add(trade_mismatch(trade, "settled_price", int_at(row, 3), int_at(row, 4), true));
        } else if (int_at(row, 5) != 0) {
          check.add(text_mismatch("trade", trade, "settled_parties",
                                  "the trade record's buyer and seller", "other users"));
        } else {
          check.add(text_mismatch("trade", trade, "settled_orders", "the trade record's orders",
                                  "other orders"));
        }
      });
  return check;
}

namespace {

// One row of the order pass: an order, its reservation (if any) and the sums over its
// settled trades in the order module's trade record.
struct OrderRow {
  std::int64_t order_id = 0;
  std::string side, status;
  std::int64_t quantity = 0, filled = 0, filled_notional = 0, reserved = 0;
  bool has_reservation = false, other_terms = false;
  std::int64_t reservation_quantity = 0, reservation_reserved = 0, reservation_filled = 0;
  std::string reservation_status;
  std::int64_t traded_quantity = 0, traded_notional = 0;
};

// One row of the order pass's statement (its columns in that order).
OrderRow order_row(const soci::row& row) {
  OrderRow o;
  o.order_id = int_at(row, 0);
  o.side = text_at(row, 1);
  o.status = text_at(row, 2);
  o.quantity = int_at(row, 3);
  o.filled = int_at(row, 4);
  o.filled_notional = int_at(row, 5);
  o.reserved = int_at(row, 6);
  o.has_reservation = int_at(row, 7) != 0;
  o.other_terms = int_at(row, 8) != 0;
  o.reservation_quantity = int_at(row, 9);
  o.reservation_reserved = int_at(row, 10);
  o.reservation_filled = int_at(row, 11);
  o.reservation_status = text_at(row, 12);
  o.traded_quantity = int_at(row, 13);
  o.traded_notional = int_at(row, 14);
  return o;
}

// order_fills_match_trades: the trade record's sums; FILLED means fully filled.
void check_fills_against_trades(const OrderRow& o, CheckResult& check) {
  if (o.filled != o.traded_quantity) {
    check.add(order_mismatch(o.order_id, "filled_quantity", o.traded_quantity, o.filled));
  }
  if (o.filled_notional != o.traded_notional) {
    check.add(
        order_mismatch(o.order_id, "filled_notional", o.traded_notional, o.filled_notional, true));
  }
  if (o.status == "FILLED" && o.filled != o.quantity) {
    check.add(
        order_mismatch(o.order_id, "filled_quantity_of_filled_order", o.quantity, o.filled));
  }
}

// orders_match_reservations, order side: the reservation exists with the order's terms.
void check_reservation_terms(const OrderRow& o, CheckResult& check) {
  if (!o.has_reservation) {
    check.add(order_text_mismatch(o.order_id, "reservation", "present", "missing"));
    return;
  }
  if (o.other_terms) {
    check.add(order_text_mismatch(o.order_id, "reservation_terms",
                                  "the order's user, side and symbol", "other terms"));
  }
  if (o.quantity != o.reservation_quantity) {
    check.add(order_mismatch(o.order_id, "reservation_quantity", o.quantity,
                             o.reservation_quantity));
  }
  if (o.reserved != o.reservation_reserved) {
    check.add(order_mismatch(o.order_id, "reserved", o.reserved, o.reservation_reserved,
                             o.side == "BUY"));
  }
}

// order_fills_match_settlement, for an order whose fill or final status differs from its
// reservation's: explained by the account events in flight, or a mismatch.
void check_settlement_followed(const OrderRow& o, const InFlightEvents& in_flight,
                               CheckResult& check) {
  const bool order_ended_unfilled = o.status == "CANCELLED" || o.status == "REJECTED";
  const bool differs = o.reservation_filled != o.filled ||
                       (o.reservation_status == "RELEASED") != order_ended_unfilled ||
                       (o.reservation_status == "COMPLETED") != (o.status == "FILLED");
  if (!o.has_reservation || !differs) return;
  const auto pending = in_flight.pending_fills.find(o.order_id);
  const std::int64_t pending_fill = pending == in_flight.pending_fills.end() ? 0 : pending->second;
  const bool release_pending = in_flight.pending_releases.count(o.order_id) > 0;
  if (o.filled != o.reservation_filled - pending_fill) {
    check.add(order_mismatch(o.order_id, "filled_quantity", o.reservation_filled - pending_fill,
                             o.filled));
  }
  const std::string& reservation_status = o.reservation_status;
  if (reservation_status == "RELEASED" && !order_ended_unfilled && !release_pending) {
    check.add(order_text_mismatch(o.order_id, "status", "CANCELLED or REJECTED", o.status));
  } else if (reservation_status != "RELEASED" && order_ended_unfilled) {
    check.add(order_text_mismatch(o.order_id, "status",
                                  "not final (reservation " + reservation_status + ")", o.status));
  } else if (reservation_status == "COMPLETED" && o.status != "FILLED" && pending_fill == 0) {
    check.add(order_text_mismatch(o.order_id, "status", "FILLED", o.status));
  } else if (reservation_status != "COMPLETED" && o.status == "FILLED") {
    check.add(order_text_mismatch(o.order_id, "status",
                                  "not FILLED (reservation " + reservation_status + ")", o.status));
  }
}

}  // namespace

std::vector<CheckResult> order_checks(soci::session& session, const InFlightEvents& in_flight,
                                      const Clock& clock, std::size_t slice_orders,
                                      const Paused& paused) {
  BOURSE_ASSERT(slice_orders >= 1, "an order pass slice holds at least one order");
  CheckResult fills{"order_fills_match_trades", {}, false, 0};
  CheckResult terms{"orders_match_reservations", {}, false, 0};
  CheckResult settlement{"order_fills_match_settlement", {}, false, 0};
  // The order pass: every order once, its reservation by primary key, and its settled
  // trades' sums from the trade record (both sides of each trade, found by the trade
  // record's order indexes). Only the orders some check disagrees with come back (each
  // check's predicate, OR-ed); each check then applies exactly its own test to a row. The
  // limit is order_fills_match_settlement's: the in-flight rows, then one more than kept.
  // Read in slices of `slice_orders` consecutive order ids [first, last], which
  // together cover every order id exactly once.
  std::chrono::steady_clock::duration pass_busy{};
  std::size_t pass_rows = 0;
  bool orders_without_reservation = false;
  const std::size_t pass_limit = 2 * kMaxInFlightEvents + kMaxMismatchesPerCheck + 1;
  constexpr std::int64_t kNoId = std::numeric_limits<std::int64_t>::max();
  std::int64_t first = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    const auto slice_started = clock.steady_now();
    // The slice's last id: the slice_orders-th order from `first`; none: the rest.
    std::int64_t last = kNoId;
    session << "SELECT order_id FROM orders WHERE order_id >= :first ORDER BY order_id LIMIT 1"
                   " OFFSET " + std::to_string(slice_orders - 1),
        soci::use(first), soci::into(last);
    if (!session.got_data()) last = kNoId;
    const std::string range = " BETWEEN " + std::to_string(first) + " AND " + std::to_string(last);
    for_each_row(
        session,
        "SELECT o.order_id, o.side, o.status, o.quantity, o.filled_quantity,"
        " o.filled_notional_units, CAST(COALESCE(o.reserved_cash_units, o.reserved_quantity, 0)"
        " AS SIGNED), r.order_id IS NOT NULL, COALESCE(r.user_id <> o.user_id OR"
        " r.side <> o.side OR r.symbol <> o.symbol, 0), CAST(COALESCE(r.quantity, 0) AS SIGNED),"
        " CAST(COALESCE(r.reserved, 0) AS SIGNED), CAST(COALESCE(r.filled_quantity, 0) AS SIGNED),"
        " r.status, CAST(COALESCE(t.q, 0) AS SIGNED), CAST(COALESCE(t.n, 0) AS SIGNED)"
        " FROM orders o LEFT JOIN reservations r ON r.order_id = o.order_id"
        " LEFT JOIN (SELECT order_id, SUM(q) AS q, SUM(n) AS n FROM"
        " (SELECT buy_order_id AS order_id, quantity AS q, price_units * quantity AS n"
        " FROM trades WHERE settled_at IS NOT NULL AND buy_order_id" + range +
            " UNION ALL SELECT sell_order_id, quantity, price_units * quantity FROM trades"
            " WHERE settled_at IS NOT NULL AND sell_order_id" + range +
            ") x GROUP BY order_id) t ON t.order_id = o.order_id"
            " WHERE o.order_id" + range + " AND ("
            // order_fills_match_trades
            "o.filled_quantity <> COALESCE(t.q, 0) OR o.filled_notional_units <> COALESCE(t.n, 0)"
            " OR (o.status = 'FILLED' AND o.filled_quantity <> o.quantity)"
            // orders_match_reservations
            " OR r.order_id IS NULL OR r.user_id <> o.user_id OR r.side <> o.side OR"
            " r.symbol <> o.symbol OR r.quantity <> o.quantity OR"
            " r.reserved <> COALESCE(o.reserved_cash_units, o.reserved_quantity, 0)"
            // order_fills_match_settlement
            " OR r.filled_quantity <> o.filled_quantity OR"
            " (r.status = 'RELEASED') <> (o.status IN ('CANCELLED', 'REJECTED')) OR"
            " (r.status = 'COMPLETED') <> (o.status = 'FILLED'))"
            " ORDER BY o.order_id LIMIT " +
            std::to_string(pass_limit - pass_rows),
        [&](const soci::row& row) {
          ++pass_rows;
          const OrderRow o = order_row(row);
          if (!o.has_reservation) orders_without_reservation = true;
          check_fills_against_trades(o, fills);
          check_reservation_terms(o, terms);
          check_settlement_followed(o, in_flight, settlement);
        });
    const auto slice_busy = clock.steady_now() - slice_started;
    pass_busy += slice_busy;
    if (last == kNoId || pass_rows == pass_limit) break;
    paused(slice_busy);
    first = last + 1;
  }
  if (pass_rows == pass_limit) {
    // Orders past the limit were not read: no check fed by the pass is complete.
    fills.truncated = terms.truncated = settlement.truncated = true;
  }
  const std::int64_t pass_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(pass_busy).count();

  // Reservations without their order. Order ids are unique in both tables, so when every
  // order has its reservation and the counts are equal there is none: the anti-join only
  // runs when the cheap counts say it will find something.
  auto started = clock.steady_now();
  long long orders = 0, reservations = 0;
  session << "SELECT (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM reservations)",
      soci::into(orders), soci::into(reservations);
  if (orders_without_reservation || pass_rows == pass_limit || orders != reservations) {
    for_each_row(session,
                 "SELECT r.order_id FROM reservations r LEFT JOIN orders o"
                 " ON o.order_id = r.order_id WHERE o.order_id IS NULL ORDER BY r.order_id" +
                     limit_clause(),
                 [&](const soci::row& row) {
                   terms.add(order_text_mismatch(int_at(row, 0), "order", "present", "missing"));
                 });
  }
  terms.duration_ms = pass_ms + elapsed_ms(clock, started);

  // Settled by the account module but not in the order module's trade record as settled.
  started = clock.steady_now();
  for_each_row(session,
               "SELECT st.trade_id FROM settled_trades st LEFT JOIN trades t"
               " ON t.trade_id = st.trade_id WHERE t.settled_at IS NULL ORDER BY st.trade_id" +
                   in_flight_limit_clause(),
               [&](const soci::row& row) {
                 const std::int64_t trade = int_at(row, 0);
                 if (in_flight.pending_settled_trades.count(trade) > 0) return;
                 settlement.add(Mismatch{"trade",
                                         std::to_string(trade),
                                         {},
                                         "settled_in_trade_record",
                                         0,
                                         0,
                                         false,
                                         "settled",
                                         "not settled"});
               });
  settlement.duration_ms = pass_ms + elapsed_ms(clock, started);
  fills.duration_ms = pass_ms;
  std::vector<CheckResult> results;
  results.push_back(std::move(fills));
  results.push_back(std::move(terms));
  results.push_back(std::move(settlement));
  return results;
}

}  // namespace bourse::scheduler::checks
