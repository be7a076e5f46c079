// Shared set-up for the settlement tests: the account fixture plus a settlement handler
// on a fake clock, matching events wrapped in envelopes, and readers of account_outbox.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "account_fixture.h"
#include "bourse/account/events.h"
#include "bourse/account/settlement_handler.h"
#include "bourse/common/clock.h"
#include "bourse/common/timestamp.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/message.h"
#include "bourse/matching/events.h"

namespace bourse::account::testing {

inline constexpr const char* kAccountEventsTopic = "test.account-events";
inline constexpr const char* kExecutedAt = "2026-12-01T03:00:00.000000Z";

inline matching::events::TradeExecuted trade_executed(std::int64_t trade_id, std::int64_t buy_order,
                                                      std::int64_t sell_order, std::string buyer,
                                                      std::string seller, std::string symbol,
                                                      const char* price, std::int64_t quantity,
                                                      std::int64_t buy_remaining,
                                                      std::int64_t sell_remaining) {
  matching::events::TradeExecuted e;
  e.trade_id = TradeId(trade_id);
  e.symbol = std::move(symbol);
  e.price = usd(price);
  e.quantity = Quantity::of(quantity);
  e.buy_order_id = OrderId(buy_order);
  e.sell_order_id = OrderId(sell_order);
  e.buyer = std::move(buyer);
  e.seller = std::move(seller);
  e.taker_side = Side::kBuy;
  e.buy_remaining = Quantity::of(buy_remaining);
  e.sell_remaining = Quantity::of(sell_remaining);
  e.executed_at = kExecutedAt;
  return e;
}

// A fresh event id (one counter for every event type).
inline std::string next_event_id() {
  static std::atomic<int> next_id{1};
  return "m-test-" + std::to_string(next_id++);
}

// The envelope of a matching event, with a fresh event id.
template <envelope::EventContract Event>
envelope::Envelope wrap(const Event& event) {
  return envelope::Envelope{next_event_id(),
                            std::string(Event::kType),
                            Event::kVersion,
                            kExecutedAt,
                            std::string(Event::kAggregateType),
                            event.aggregate_id(),
                            event.to_json()};
}

// One account_outbox row.
struct OutboxRow {
  std::string event_type;
  std::string topic;
  std::string key;
  std::string payload;

  envelope::Envelope parsed() const {
    auto envelope = envelope::parse(payload);
    REQUIRE(envelope.ok());
    return std::move(envelope).value();
  }
  events::TradeSettled settled() const {
    auto event = envelope::decode<events::TradeSettled>(parsed());
    INFO(payload);
    REQUIRE(event.ok());
    return std::move(event).value();
  }
  events::ReservationReleased released() const {
    auto event = envelope::decode<events::ReservationReleased>(parsed());
    INFO(payload);
    REQUIRE(event.ok());
    return std::move(event).value();
  }
};

struct SettlementFixture : AccountFixture {
  SettlementFixture()
      : handler(make_settlement_handler(accounts, SettlementOptions{kAccountEventsTopic, &clock})) {}

  // One batch through the handler in one transaction, as the consumer runs it.
  Status run(const std::vector<envelope::Envelope>& batch) {
    std::vector<kafka::Message> messages(batch.size());
    std::vector<consumer::DeliveredEvent> delivered;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      messages[i].offset = static_cast<std::int64_t>(i);
      delivered.push_back({batch[i], messages[i]});
    }
    return pool.in_transaction(
        [&](soci::session& session) { return handler->handle_batch(session, delivered); });
  }

  std::string settled_at() const { return format_rfc3339_utc(clock.now()); }

  std::vector<OutboxRow> outbox() {
    std::vector<OutboxRow> rows;
    REQUIRE(pool.with_session([&](soci::session& session) {
                  soci::rowset<soci::row> result =
                      (session.prepare << "SELECT event_type, topic, message_key, payload FROM "
                                          "account_outbox ORDER BY id");
                  for (const soci::row& row : result) {
                    rows.push_back(OutboxRow{row.get<std::string>(0), row.get<std::string>(1),
                                             row.get<std::string>(2), row.get<std::string>(3)});
                  }
                })
                .ok());
    return rows;
  }

  std::string reservation_status(std::int64_t order_id) {
    std::string status;
    long long id = order_id;
    REQUIRE(pool.with_session([&](soci::session& session) {
                  session << "SELECT status FROM reservations WHERE order_id = :id", soci::use(id),
                      soci::into(status);
                })
                .ok());
    return status;
  }

  long long count_rows(const std::string& sql) {
    long long n = -1;
    REQUIRE(pool.with_session([&](soci::session& session) {
                  session << "SELECT COUNT(*) FROM (" + sql + ") AS counted", soci::into(n);
                })
                .ok());
    return n;
  }

  // From now on, a trigger records every UPDATE of a cash_balances row (one row per
  // updated row per statement), so a test can count how often a busy account's row is
  // written.
  void count_cash_row_writes() {
    REQUIRE(pool.with_session([](soci::session& session) {
                  session << "CREATE TABLE cash_row_writes (id BIGINT AUTO_INCREMENT PRIMARY "
                             "KEY, user_id VARCHAR(64) NOT NULL) ENGINE=InnoDB";
                  session << "CREATE TRIGGER record_cash_row_write AFTER UPDATE ON cash_balances "
                             "FOR EACH ROW INSERT INTO cash_row_writes (user_id) VALUES "
                             "(NEW.user_id)";
                })
                .ok());
  }
  long long cash_row_writes(const std::string& user) {
    return count_rows("SELECT id FROM cash_row_writes WHERE user_id = '" + user + "'");
  }

  FakeClock clock;
  std::unique_ptr<consumer::EventHandler> handler;
};

// Buyer "bob" with 10000 cash, seller "sue" with 100 AAPL.
inline void open_bob_and_sue(AccountFixture& f) {
  REQUIRE(f.accounts.open_account("bob", usd("10000"), {}).ok());
  REQUIRE(f.accounts.open_account("sue", usd("0"), {{"AAPL", Quantity::of(100)}}).ok());
}

}  // namespace bourse::account::testing
