// The ledger of record: every change of every balance, as rows (kind, reference, user_id,
// asset, total_delta, reserved_delta). Invariant (reconciliation proves it): each
// cash_balances / positions row equals the sums of its (user_id, asset) rows here.
//
// Two sources, one shape:
//   - ledger_entries: openings, deposits, reservations, releases (and the trades settled
//     before migration 0104);
//   - the trade journal: each settled trade's settled_trades row carries its four legs
//     (buyer, seller, paid_units, buyer_reserved_units), expanded here to four rows of kind
//     "trade", reference "trade:<id>":
//       buyer  cash      total -paid_units  reserved -buyer_reserved_units
//       buyer  shares    total +quantity    reserved 0
//       seller shares    total -quantity    reserved -quantity
//       seller cash      total +paid_units  reserved 0
//     A self-trade's legs name one user twice; their sums are its net change.
// One row per trade instead of four ledger rows (plus its claim) is what an order costs
// less; the legs balance by construction (each amount appears once with each sign).
//
// Header-only SQL text: readers outside the module (reconciliation, tests) use it as a
// derived table, `FROM (<ledger_of_record_sql()>) l`.
#pragma once

#include <string>

#include "bourse/account/account_snapshot.h"

namespace bourse::account {

// The legs of the journal rows (settled_trades with buyer set), one scan of the table.
inline std::string trade_legs_sql() {
  return std::string(
             "SELECT 'trade' AS kind, CONCAT('trade:', st.trade_id) AS reference,"
             " CASE WHEN g.leg <= 2 THEN st.buyer ELSE st.seller END AS user_id,"
             " CASE WHEN g.leg IN (1, 4) THEN 'cash:") +
         kCurrency +
         "' ELSE CONCAT('shares:', st.symbol) END AS asset,"
         " CASE g.leg WHEN 1 THEN -st.paid_units WHEN 2 THEN st.quantity"
         " WHEN 3 THEN -st.quantity ELSE st.paid_units END AS total_delta,"
         " CASE g.leg WHEN 1 THEN -st.buyer_reserved_units WHEN 3 THEN -st.quantity ELSE 0 END"
         " AS reserved_delta"
         " FROM settled_trades st JOIN (SELECT 1 AS leg UNION ALL SELECT 2 UNION ALL SELECT 3"
         " UNION ALL SELECT 4) g WHERE st.buyer IS NOT NULL";
}

// The legs' sums per (user_id, asset), as rows (user_id, asset, total_delta,
// reserved_delta): four grouped scans of the journal, one per leg, so a pair may appear up
// to four times (sum again). For readers that only need sums per account: the grouping
// happens before any union, on rows of the journal's width, instead of on four rows per
// trade.
inline std::string trade_leg_sums_sql() {
  const std::string cash = std::string("'cash:") + kCurrency + "'";
  const std::string from = " FROM settled_trades WHERE buyer IS NOT NULL GROUP BY ";
  return "SELECT buyer AS user_id, " + cash +
         " AS asset, -SUM(paid_units) AS total_delta, -SUM(buyer_reserved_units) AS"
         " reserved_delta" +
         from + "buyer UNION ALL SELECT seller, " + cash + ", SUM(paid_units), 0" + from +
         "seller UNION ALL SELECT buyer, CONCAT('shares:', symbol), SUM(quantity), 0" + from +
         "buyer, symbol UNION ALL SELECT seller, CONCAT('shares:', symbol), -SUM(quantity),"
         " -SUM(quantity)" +
         from + "seller, symbol";
}

// ledger_entries and the journal's legs, as one relation of the columns above.
inline std::string ledger_of_record_sql() {
  return "SELECT kind, reference, user_id, asset, total_delta, reserved_delta FROM"
         " ledger_entries UNION ALL " +
         trade_legs_sql();
}

}  // namespace bourse::account
