// The invariants of a quiet system (no order PENDING, every trade settled, every outbox
// published), checked in the database after faults: used by the chaos suite.
//
//   auto problems = check_flow_invariants(pool, expectations);   // empty = all hold
//
// "Duplicates" are reported by the problems that start with "duplicate" or "settlements
// of no trade"; a lost acknowledged order by "orders answered 202 but missing".
// Each problem is one human-readable line naming the invariant and the offending ids.
// Expectations give what the test deposited: cash conservation over the test's users and
// shares per symbol.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bourse/account/ledger.h"
#include "bourse/db/connection_pool.h"
#include "unpublished_rows.h"

namespace bourse::testing {

struct FlowExpectations {
  long long cash_units = 0;                    // SUM(total_units) over non-external users
  std::map<std::string, long long> shares;     // symbol -> SUM(total_quantity)
  const std::set<std::int64_t>* accepted = nullptr;  // order ids answered 202
};

inline long long flow_scalar(soci::session& s, const std::string& sql) {
  long long value = 0;
  soci::indicator indicator = soci::i_ok;
  s << sql, soci::into(value, indicator);
  return indicator == soci::i_ok ? value : 0;
}

// True when nothing is in flight: no PENDING order, every trade settled once, every
// outbox row published.
inline bool flow_quiet(db::ConnectionPool& pool) {
  bool quiet = false;
  auto status = pool.with_session([&](soci::session& s) {
    quiet = flow_scalar(s, "SELECT COUNT(*) FROM orders WHERE status = 'PENDING'") == 0 &&
            flow_scalar(s, "SELECT COUNT(*) FROM trades WHERE settled_at IS NULL") == 0 &&
            flow_scalar(s, "SELECT COUNT(*) FROM settled_trades") ==
                flow_scalar(s, "SELECT COUNT(*) FROM trades") &&
            flow_scalar(s, count_unpublished_rows_sql()) == 0;
  });
  return status.ok() && quiet;
}

inline std::vector<std::string> check_flow_invariants(db::ConnectionPool& pool,
                                                      const FlowExpectations& expected) {
  std::vector<std::string> problems;
  auto status = pool.with_session([&](soci::session& s) {
    const auto expect_zero = [&](const std::string& what, const std::string& sql) {
      const long long n = flow_scalar(s, sql);
      if (n != 0) problems.push_back(what + ": " + std::to_string(n));
    };
    if (expected.accepted != nullptr) {
      std::set<std::int64_t> present;
      soci::rowset<long long> ids = (s.prepare << "SELECT order_id FROM orders");
      for (long long id : ids) present.insert(id);
      long long lost = 0;
      std::string sample;
      for (std::int64_t id : *expected.accepted) {
        if (present.count(id) == 0) {
          if (++lost <= 5) sample += " " + std::to_string(id);
        }
      }
      if (lost > 0) problems.push_back("orders answered 202 but missing: " + std::to_string(lost) + sample);
    }
    expect_zero("orders still PENDING", "SELECT COUNT(*) FROM orders WHERE status = 'PENDING'");
    // Set-based (GROUP BY + join) so that the checks stay fast with many orders.
    expect_zero("orders whose filled quantity differs from their trades",
                "SELECT COUNT(*) FROM orders o LEFT JOIN (SELECT order_id, SUM(quantity) AS q FROM "
                "(SELECT buy_order_id AS order_id, quantity FROM trades UNION ALL SELECT "
                "sell_order_id, quantity FROM trades) sides GROUP BY order_id) t ON t.order_id = "
                "o.order_id WHERE o.filled_quantity <> COALESCE(t.q, 0)");
    expect_zero("FILLED orders not completely filled",
                "SELECT COUNT(*) FROM orders WHERE status = 'FILLED' AND filled_quantity <> quantity");
    expect_zero("completely filled orders not FILLED",
                "SELECT COUNT(*) FROM orders WHERE filled_quantity = quantity AND status <> 'FILLED'");
    expect_zero("trades never settled",
                "SELECT COUNT(*) FROM trades t LEFT JOIN settled_trades st ON st.trade_id = "
                "t.trade_id WHERE st.trade_id IS NULL");
    expect_zero("settlements of no trade",
                "SELECT COUNT(*) FROM settled_trades st LEFT JOIN trades t ON t.trade_id = "
                "st.trade_id WHERE t.trade_id IS NULL");
    // A trade is booked once: in its settled_trades row (the journal, whose primary key is
    // the trade id), never also as ledger_entries (bourse/account/ledger.h).
    expect_zero("trades booked as ledger entries",
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'trade'");
    expect_zero("settled trades without their legs",
                "SELECT COUNT(*) FROM settled_trades WHERE buyer IS NULL");
    const std::string ledger = "(" + bourse::account::ledger_of_record_sql() + ")";
    expect_zero("cash balances that differ from their ledger",
                "SELECT COUNT(*) FROM cash_balances c LEFT JOIN (SELECT user_id, SUM(total_delta) "
                "AS t, SUM(reserved_delta) AS r FROM " + ledger + " lr WHERE asset = 'cash:USD' "
                "GROUP BY user_id) l ON l.user_id = c.user_id WHERE c.total_units <> "
                "COALESCE(l.t, 0) OR c.reserved_units <> COALESCE(l.r, 0)");
    expect_zero("positions that differ from their ledger",
                "SELECT COUNT(*) FROM positions p LEFT JOIN (SELECT user_id, asset, SUM(total_delta) "
                "AS t, SUM(reserved_delta) AS r FROM " + ledger + " lr WHERE asset LIKE 'shares:%' "
                "GROUP BY user_id, asset) l ON l.user_id = p.user_id AND l.asset = CONCAT('shares:', "
                "p.symbol) WHERE p.total_quantity <> COALESCE(l.t, 0) OR p.reserved_quantity <> "
                "COALESCE(l.r, 0)");
    expect_zero("negative or over-reserved balances",
                "SELECT (SELECT COUNT(*) FROM cash_balances WHERE total_units < 0 OR reserved_units < 0 "
                "OR reserved_units > total_units) + (SELECT COUNT(*) FROM positions WHERE "
                "total_quantity < 0 OR reserved_quantity < 0 OR reserved_quantity > total_quantity)");
    const long long cash = flow_scalar(s, "SELECT SUM(total_units) FROM cash_balances WHERE user_id <> '@external'");
    if (cash != expected.cash_units) {
      problems.push_back("cash not conserved: " + std::to_string(cash) + " units, expected " +
                         std::to_string(expected.cash_units));
    }
    for (const auto& [symbol, quantity] : expected.shares) {
      const long long held = flow_scalar(s, "SELECT SUM(total_quantity) FROM positions WHERE symbol = '" + symbol + "'");
      if (held != quantity) {
        problems.push_back("shares of " + symbol + " not conserved: " + std::to_string(held) +
                           ", expected " + std::to_string(quantity));
      }
    }
    expect_zero("reserved cash that differs from what open reservations hold",
                "SELECT ABS((SELECT COALESCE(SUM(reserved_units), 0) FROM cash_balances) - (SELECT "
                "COALESCE(SUM(remaining), 0) FROM reservations WHERE status = 'RESERVED' AND "
                "asset = 'cash:USD'))");
    expect_zero("reserved shares that differ from what open reservations hold",
                "SELECT ABS((SELECT COALESCE(SUM(reserved_quantity), 0) FROM positions) - (SELECT "
                "COALESCE(SUM(remaining), 0) FROM reservations WHERE status = 'RESERVED' AND "
                "asset <> 'cash:USD'))");
    expect_zero("final orders still holding a reservation, or open ones without one",
                "SELECT COUNT(*) FROM orders o JOIN reservations r ON r.order_id = o.order_id "
                "WHERE (o.status IN ('FILLED', 'CANCELLED', 'REJECTED')) = (r.status = 'RESERVED')");
  });
  if (!status.ok()) problems.push_back("database: " + status.error().message);
  return problems;
}

}  // namespace bourse::testing
