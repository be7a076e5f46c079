// Goal: against the real MariaDB, the settlement handler turns batches of matching events
// into exactly-once balance changes (cash at the trade price, shares, reservations consumed
// and released) with every changed balance row written once per batch, and publishes the
// matching TradeSettled / ReservationReleased events to account_outbox in the same
// transaction; conservation holds after every scenario.
#include "bourse/account/settlement_handler.h"

#include <soci/soci.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "account_fixture.h"
#include "bourse/account/events.h"
#include "bourse/common/limits.h"
#include "bourse/db/sql_error.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/message.h"
#include "bourse/matching/events.h"
#include "settlement_test_support.h"

using namespace bourse;
using namespace bourse::account::testing;
using bourse::account::events::ReleaseCause;
using bourse::account::events::ReservationReleased;
using bourse::account::events::TradeSettled;

namespace {

// Bob buys 10 AAPL at up to 100 (order 1), Sue sells 10 at 95 (order 2), both reserved;
// the sell rested at 95 and the buy crossed it: trade 101, 10 at 95, both orders done.
matching::events::TradeExecuted crossing_bob_and_sue(SettlementFixture& f) {
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 10, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "95")).value()));
  return trade_executed(101, 1, 2, "bob", "sue", "AAPL", "95", 10, 0, 0);
}

TEST_CASE("a crossing limit buy and sell settle: exact cash and shares, nothing reserved",
          "[account][settlement][integration]") {
  SettlementFixture f;
  const auto trade = crossing_bob_and_sue(f);
  REQUIRE(f.run({wrap(trade)}).ok());

  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9050"));
  CHECK(bob.cash.reserved == usd("0"));
  REQUIRE(bob.positions.size() == 1);
  CHECK(bob.positions.at(0).quantity == Quantity::of(10));
  CHECK(bob.positions.at(0).reserved == Quantity::of(0));
  auto sue = f.get("sue");
  CHECK(sue.cash.total == usd("950"));
  CHECK(sue.cash.reserved == usd("0"));
  CHECK(sue.positions.at(0).quantity == Quantity::of(90));
  CHECK(sue.positions.at(0).reserved == Quantity::of(0));
  CHECK(f.reservation_status(1) == "COMPLETED");
  CHECK(f.reservation_status(2) == "COMPLETED");

  const auto published = f.outbox();
  REQUIRE(published.size() == 1);
  TradeSettled expected;
  expected.trade_id = TradeId(101);
  expected.symbol = "AAPL";
  expected.price = usd("95");
  expected.quantity = Quantity::of(10);
  expected.buy_order_id = OrderId(1);
  expected.sell_order_id = OrderId(2);
  expected.buyer = "bob";
  expected.seller = "sue";
  expected.buy_order_done = true;
  expected.sell_order_done = true;
  expected.executed_at = kExecutedAt;
  expected.settled_at = f.settled_at();
  CHECK(published.at(0).settled() == expected);
  CHECK(published.at(0).topic == kAccountEventsTopic);
  CHECK(published.at(0).key == "AAPL");
  f.check_conservation();
}

TEST_CASE("a buy at 101 filled at 99, 100 and 101 ends with nothing reserved and pays the sum",
          "[account][settlement][integration]") {
  const bool one_batch = GENERATE(true, false);
  INFO((one_batch ? "one batch" : "one batch per trade"));
  SettlementFixture f;
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 3, "101")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 1, "99")).value()));
  REQUIRE(reserved(f.reserve(limit_order(3, "sue", Side::kSell, "AAPL", 1, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(4, "sue", Side::kSell, "AAPL", 1, "101")).value()));
  CHECK(f.get("bob").cash.reserved == usd("303"));

  const std::vector<envelope::Envelope> trades = {
      wrap(trade_executed(11, 1, 2, "bob", "sue", "AAPL", "99", 1, 2, 0)),
      wrap(trade_executed(12, 1, 3, "bob", "sue", "AAPL", "100", 1, 1, 0)),
      wrap(trade_executed(13, 1, 4, "bob", "sue", "AAPL", "101", 1, 0, 0))};
  if (one_batch) {
    REQUIRE(f.run(trades).ok());
  } else {
    for (const auto& trade : trades) {
      REQUIRE(f.run({trade}).ok());
      f.check_conservation();
    }
  }
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9700"));  // 10000 - (99 + 100 + 101)
  CHECK(bob.cash.reserved == usd("0"));
  CHECK(bob.positions.at(0).quantity == Quantity::of(3));
  CHECK(f.get("sue").cash.total == usd("300"));
  CHECK(f.reservation_status(1) == "COMPLETED");

  const auto published = f.outbox();
  REQUIRE(published.size() == 3);
  CHECK_FALSE(published.at(0).settled().buy_order_done);
  CHECK(published.at(0).settled().sell_order_done);
  CHECK_FALSE(published.at(1).settled().buy_order_done);
  CHECK(published.at(2).settled().buy_order_done);
  CHECK(published.at(2).settled().price == usd("101"));
  f.check_conservation();
}

TEST_CASE("a capped market buy releases its unspent cap at its OrderCancelled",
          "[account][settlement][integration]") {
  SettlementFixture f;
  open_bob_and_sue(f);
  // 10 x 100 x 1.05 = 1050 reserved.
  REQUIRE(reserved(f.reserve(market_buy(1, "bob", "AAPL", 10, "100", 500)).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 4, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(3, "sue", Side::kSell, "AAPL", 3, "101")).value()));
  CHECK(f.get("bob").cash.reserved == usd("1050"));

  matching::events::OrderCancelled cancelled;
  cancelled.order_id = OrderId(1);
  cancelled.user_id = "bob";
  cancelled.symbol = "AAPL";
  cancelled.side = Side::kBuy;
  cancelled.reason = matching::events::CancelReason::kCashCap;
  cancelled.cancelled_quantity = Quantity::of(3);
  REQUIRE(
      f.run({wrap(trade_executed(21, 1, 2, "bob", "sue", "AAPL", "100", 4, 6, 0)),
             wrap(trade_executed(22, 1, 3, "bob", "sue", "AAPL", "101", 3, 3, 0)), wrap(cancelled)})
          .ok());
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9297"));  // 10000 - 400 - 303
  CHECK(bob.cash.reserved == usd("0"));
  CHECK(bob.positions.at(0).quantity == Quantity::of(7));
  CHECK(f.reservation_status(1) == "RELEASED");

  const auto published = f.outbox();
  REQUIRE(published.size() == 3);
  ReservationReleased expected;
  expected.order_id = OrderId(1);
  expected.user_id = "bob";
  expected.symbol = "AAPL";
  expected.side = Side::kBuy;
  expected.cause = ReleaseCause::kCancelled;
  expected.reason = "cash_cap";
  expected.released_cash = usd("347");  // 1050 - 703
  CHECK(published.at(2).released() == expected);
  f.check_conservation();
}

TEST_CASE("a market buy's unspent cap is released at its last fill",
          "[account][settlement][integration]") {
  SettlementFixture f;
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(market_buy(1, "bob", "AAPL", 10, "100", 500)).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "99")).value()));
  REQUIRE(f.run({wrap(trade_executed(31, 1, 2, "bob", "sue", "AAPL", "99", 6, 4, 4))}).ok());
  CHECK(f.get("bob").cash.reserved == usd("456"));  // 1050 - 594 spent
  REQUIRE(f.run({wrap(trade_executed(32, 1, 2, "bob", "sue", "AAPL", "99", 4, 0, 0))}).ok());
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9010"));  // 10000 - 990
  CHECK(bob.cash.reserved == usd("0"));  // the 60 left of the cap went back
  CHECK(f.reservation_status(1) == "COMPLETED");
  CHECK(f.outbox().at(1).settled().buy_order_done);
  f.check_conservation();
}

TEST_CASE("the same TradeExecuted twice, in one batch or a later one, settles once",
          "[account][settlement][integration]") {
  SettlementFixture f;
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 10, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 10, "100")).value()));
  // Two deliveries of one trade under different event ids (a replayed matching output).
  // A copy under the same event id reaches the handler too: the consumer keeps no
  // processed_events claim for trades (SettlementHandler::deduplicates).
  const auto trade = trade_executed(41, 1, 2, "bob", "sue", "AAPL", "100", 4, 6, 6);
  REQUIRE(f.run({wrap(trade), wrap(trade)}).ok());
  CHECK(f.get("bob").cash.total == usd("9600"));
  REQUIRE(f.run({wrap(trade)}).ok());
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("9600"));
  CHECK(bob.cash.reserved == usd("600"));
  CHECK(bob.positions.at(0).quantity == Quantity::of(4));
  CHECK(f.get("sue").positions.at(0).reserved == Quantity::of(6));
  CHECK(f.outbox().size() == 1);
  CHECK(f.count_rows("SELECT * FROM settled_trades") == 1);
  f.check_conservation();
}

TEST_CASE("trades of two symbols with the same per-book number settle both (global ids)",
          "[account][settlement][integration]") {
  SettlementFixture f;
  REQUIRE(f.accounts.open_account("bob", usd("10000"), {}).ok());
  REQUIRE(
      f.accounts
          .open_account("sue", usd("0"), {{"AAPL", Quantity::of(10)}, {"MSFT", Quantity::of(10)}})
          .ok());
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 5, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 5, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(3, "bob", Side::kBuy, "MSFT", 5, "200")).value()));
  REQUIRE(reserved(f.reserve(limit_order(4, "sue", Side::kSell, "MSFT", 5, "200")).value()));
  // Both books' first trade: per-book number 1, on partitions 0 and 1.
  const std::int64_t aapl_id = matching::events::global_trade_id(0, 1).value();
  const std::int64_t msft_id = matching::events::global_trade_id(1, 1).value();
  REQUIRE(aapl_id != msft_id);
  REQUIRE(f.run({wrap(trade_executed(aapl_id, 1, 2, "bob", "sue", "AAPL", "100", 5, 0, 0))}).ok());
  REQUIRE(f.run({wrap(trade_executed(msft_id, 3, 4, "bob", "sue", "MSFT", "200", 5, 0, 0))}).ok());
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("8500"));
  CHECK(bob.cash.reserved == usd("0"));
  REQUIRE(bob.positions.size() == 2);
  CHECK(bob.positions.at(0).quantity == Quantity::of(5));
  CHECK(bob.positions.at(1).quantity == Quantity::of(5));
  CHECK(f.count_rows("SELECT * FROM settled_trades") == 2);
  f.check_conservation();
}

TEST_CASE("a batch of N trades of one busy account writes its cash row once",
          "[account][settlement][integration]") {
  constexpr int kTrades = 20;
  SettlementFixture f;
  REQUIRE(f.accounts.open_account("bob", usd("100000"), {}).ok());
  for (int i = 0; i < 2 * kTrades; ++i) {
    const std::string seller = "seller" + std::to_string(i);
    REQUIRE(f.accounts.open_account(seller, usd("0"), {{"AAPL", Quantity::of(1)}}).ok());
    REQUIRE(
        reserved(f.reserve(limit_order(100 + i, seller, Side::kSell, "AAPL", 1, "50")).value()));
  }
  REQUIRE(
      reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 2 * kTrades, "60")).value()));
  f.count_cash_row_writes();  // from here on, every UPDATE of a cash row is recorded

  std::vector<envelope::Envelope> batch;
  for (int i = 0; i < kTrades; ++i) {
    batch.push_back(wrap(trade_executed(1'000 + i, 1, 100 + i, "bob", "seller" + std::to_string(i),
                                        "AAPL", "50", 1, 2 * kTrades - 1 - i, 0)));
  }
  REQUIRE(f.run(batch).ok());
  CHECK(f.cash_row_writes("bob") == 1);
  CHECK(f.cash_row_writes("seller0") == 1);
  CHECK(f.get("bob").cash.total == usd("99000"));  // 20 x 50

  // The measure itself: the same number of trades, one per batch, writes it N times.
  for (int i = kTrades; i < 2 * kTrades; ++i) {
    REQUIRE(f.run({wrap(trade_executed(1'000 + i, 1, 100 + i, "bob", "seller" + std::to_string(i),
                                       "AAPL", "50", 1, 2 * kTrades - 1 - i, 0))})
                .ok());
  }
  CHECK(f.cash_row_writes("bob") == 1 + kTrades);
  auto bob = f.get("bob");
  CHECK(bob.cash.total == usd("98000"));
  CHECK(bob.cash.reserved == usd("0"));
  f.check_conservation();
}

TEST_CASE("the balance writes come last, after the account events (order entry waits for them)",
          "[account][settlement][integration]") {
  SettlementFixture f;
  const envelope::Envelope event = wrap(crossing_bob_and_sue(f));
  kafka::Message message;
  const std::vector<consumer::DeliveredEvent> delivered{{event, message}};

  std::vector<std::string> texts;  // the statements the consumer would send with its COMMIT
  REQUIRE(f.pool
              .in_transaction_ending_with(
                  [&](soci::session& session) -> Result<db::ConnectionPool::LastWrites> {
                    db::ConnectionPool::LastWrites writes;
                    if (Status handled = f.handler->handle_batch_ending_with(session, delivered,
                                                                             writes);
                        !handled) {
                      return handled.error();
                    }
                    for (const db::SqlStatement& write : writes) texts.push_back(write.text);
                    return writes;
                  })
              .ok());
  auto first_with = [&](std::string_view table) {
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (texts[i].find(table) != std::string::npos) return static_cast<long>(i);
    }
    return -1L;
  };
  auto last_with = [&](std::string_view table) {
    long found = -1;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (texts[i].find(table) != std::string::npos) found = static_cast<long>(i);
    }
    return found;
  };
  REQUIRE(last_with("INSERT INTO account_outbox") >= 0);
  REQUIRE(first_with("cash_balances") >= 0);
  CHECK(last_with("INSERT INTO account_outbox") < first_with("cash_balances"));
  CHECK(last_with("INSERT INTO account_outbox") < first_with("positions"));
  CHECK(last_with("settled_trades") < first_with("cash_balances"));
  CHECK(last_with("UPDATE reservations") < first_with("cash_balances"));

  // Sent that way, the batch settled as any other.
  CHECK(f.get("bob").cash.total == usd("9050"));
  CHECK(f.get("sue").positions.at(0).quantity == Quantity::of(90));
  CHECK(f.outbox().size() == 1);
  f.check_conservation();
}

TEST_CASE("an OrderCancelled or OrderRejected with nothing left publishes a release of 0",
          "[account][settlement][integration]") {
  SettlementFixture f;
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 5, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 5, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(3, "sue", Side::kSell, "AAPL", 7, "120")).value()));
  REQUIRE(f.run({wrap(trade_executed(51, 1, 2, "bob", "sue", "AAPL", "100", 5, 0, 0))}).ok());

  matching::events::OrderCancelled late;  // order 1 is already filled
  late.order_id = OrderId(1);
  late.user_id = "bob";
  late.symbol = "AAPL";
  late.side = Side::kBuy;
  late.reason = matching::events::CancelReason::kUser;
  late.cancelled_quantity = Quantity::of(0);
  matching::events::OrderRejected rejected;  // order 3 holds 7 shares
  rejected.order_id = OrderId(3);
  rejected.user_id = "sue";
  rejected.symbol = "AAPL";
  rejected.side = Side::kSell;
  rejected.reason = matching::events::RejectReason::kBookFull;
  REQUIRE(f.run({wrap(late), wrap(rejected), wrap(rejected)}).ok());

  const auto published = f.outbox();
  REQUIRE(published.size() == 4);
  ReservationReleased nothing;
  nothing.order_id = OrderId(1);
  nothing.user_id = "bob";
  nothing.symbol = "AAPL";
  nothing.side = Side::kBuy;
  nothing.cause = ReleaseCause::kCancelled;
  nothing.reason = "user";
  nothing.released_cash = usd("0");
  CHECK(published.at(1).released() == nothing);
  CHECK(f.reservation_status(1) == "COMPLETED");
  const ReservationReleased shares = published.at(2).released();
  CHECK(shares.cause == ReleaseCause::kRejected);
  CHECK(shares.reason == "book_full");
  CHECK(shares.released_quantity == Quantity::of(7));
  CHECK(published.at(3).released().released_quantity == Quantity::of(0));  // second time
  CHECK(f.reservation_status(3) == "RELEASED");
  CHECK(f.get("sue").positions.at(0).reserved == Quantity::of(0));
  f.check_conservation();
}

TEST_CASE("ignored types pass, a bad payload or a trade that does not fit is an error",
          "[account][settlement][integration]") {
  SettlementFixture f;
  open_bob_and_sue(f);
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 5, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "sue", Side::kSell, "AAPL", 5, "100")).value()));

  matching::events::OrderAccepted accepted;
  accepted.order_id = OrderId(1);
  accepted.user_id = "bob";
  accepted.symbol = "AAPL";
  accepted.side = Side::kBuy;
  accepted.price = usd("100");
  accepted.resting_quantity = Quantity::of(5);
  envelope::Envelope unknown = wrap(accepted);
  unknown.event_type = "SomethingNew";
  REQUIRE(f.run({wrap(accepted), unknown}).ok());
  CHECK(f.outbox().empty());
  // The consumer passes them over without a processed_events claim.
  CHECK_FALSE(f.handler->handles(matching::events::OrderAccepted::kType));
  CHECK_FALSE(f.handler->handles("SomethingNew"));
  CHECK(f.handler->handles(matching::events::TradeExecuted::kType));
  CHECK(f.handler->handles(matching::events::OrderCancelled::kType));
  CHECK(f.handler->handles(matching::events::OrderRejected::kType));
  // A trade's copies are settled once by its claim in settled_trades (the test "the same
  // TradeExecuted twice ..." above), so the consumer keeps no processed_events row for
  // them; an order end's copy would publish another release, so ends are claimed.
  CHECK(f.handler->deduplicates(matching::events::TradeExecuted::kType));
  CHECK_FALSE(f.handler->deduplicates(matching::events::OrderCancelled::kType));
  CHECK_FALSE(f.handler->deduplicates(matching::events::OrderRejected::kType));

  envelope::Envelope broken = wrap(trade_executed(61, 1, 2, "bob", "sue", "AAPL", "100", 5, 0, 0));
  broken.data.erase("price");
  auto status = f.run({broken});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().reason == envelope::kMalformedEventReason);

  // Above the buy limit: does not fit the reservation.
  status = f.run({wrap(trade_executed(62, 1, 2, "bob", "sue", "AAPL", "101", 5, 0, 0))});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().reason == "settlement_mismatch");
  // Remaining quantities that disagree with the reservations.
  status = f.run({wrap(trade_executed(63, 1, 2, "bob", "sue", "AAPL", "100", 2, 0, 3))});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().reason == "settlement_mismatch");
  CHECK(f.get("bob").cash.total == usd("10000"));  // rolled back
  f.check_conservation();
}

TEST_CASE("a batch that would push a balance past its limit is refused and changes nothing",
          "[account][settlement][integration]") {
  // Settlement adds its deltas without reading the balances first, so the limits are the
  // tables' CHECKs (migration 0103): they must say what include/bourse/common/limits.h says.
  SettlementFixture f;
  const Amount max_cash = Amount::from_units(limits::kMaxAmountUnits);
  REQUIRE(f.accounts.open_account("bob", usd("10000"), {}).ok());
  REQUIRE(f.accounts.open_account("max", max_cash, {{"AAPL", Quantity::of(10)}}).ok());
  REQUIRE(reserved(f.reserve(limit_order(1, "bob", Side::kBuy, "AAPL", 1, "100")).value()));
  REQUIRE(reserved(f.reserve(limit_order(2, "max", Side::kSell, "AAPL", 1, "100")).value()));

  // max's cash total is at the limit: being paid for the share would pass it.
  auto status = f.run({wrap(trade_executed(201, 1, 2, "bob", "max", "AAPL", "100", 1, 0, 0))},
                      /*max_attempts=*/1);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().reason == "settlement_mismatch");
  CHECK(status.error().message.find("chk_cash_balances_limit") != std::string::npos);
  CHECK(f.get("max").cash.total == max_cash);
  CHECK(f.get("max").positions.at(0).reserved == Quantity::of(1));
  CHECK(f.get("bob").cash.reserved == usd("100"));
  CHECK(f.reservation_status(1) == "RESERVED");
  CHECK(f.outbox().empty());
  f.check_conservation();

  // The positions' limit is kMaxQuantity exactly.
  REQUIRE(f.pool
              .with_session([&](soci::session& session) {
                const long long at_limit = limits::kMaxQuantity;
                CHECK_NOTHROW(session << "UPDATE positions SET total_quantity = :q WHERE user_id "
                                         "= 'max'",
                              soci::use(at_limit));
                const long long past = at_limit + 1;
                try {
                  session << "UPDATE positions SET total_quantity = :q WHERE user_id = 'max'",
                      soci::use(past);
                  FAIL("a position past kMaxQuantity was written");
                } catch (const std::exception& error) {
                  CHECK(db::is_check_violation(error));
                }
              })
              .ok());
}

TEST_CASE("concurrent batches over the same accounts never deadlock (global lock order)",
          "[account][settlement][integration]") {
  constexpr int kUsers = 6;
  constexpr int kBatches = 10;
  constexpr int kPerBatch = 6;
  constexpr int kTrades = kBatches * kPerBatch;  // per symbol
  SettlementFixture f;
  std::vector<std::string> users;
  for (int u = 0; u < kUsers; ++u) {
    users.push_back("user" + std::to_string(u));
    REQUIRE(f.accounts
                .open_account(users.back(), usd("100000"),
                              {{"AAPL", Quantity::of(100)}, {"MSFT", Quantity::of(100)}})
                .ok());
  }
  // Trade j of a symbol: order ids base + 2j (buy) and base + 2j + 1 (sell), one share at
  // 100. On AAPL user j buys from user j+1, on MSFT the other way round, so that two
  // batches running at once name the same accounts in opposite roles.
  const auto buyer = [&](int symbol, int j) { return users[(j + symbol) % kUsers]; };
  const auto seller = [&](int symbol, int j) { return users[(j + 1 - symbol) % kUsers]; };
  const char* symbols[] = {"AAPL", "MSFT"};
  for (int symbol = 0; symbol < 2; ++symbol) {
    std::vector<OrderRequest> orders;
    for (int j = 0; j < kTrades; ++j) {
      const std::int64_t base = 1 + symbol * 10'000 + 2 * j;
      orders.push_back(limit_order(base, buyer(symbol, j), Side::kBuy, symbols[symbol], 1, "100"));
      orders.push_back(
          limit_order(base + 1, seller(symbol, j), Side::kSell, symbols[symbol], 1, "100"));
    }
    auto decisions = f.reserve_group(orders);
    REQUIRE(decisions.ok());
    for (const auto& decision : *decisions) REQUIRE(reserved(decision));
  }

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int symbol = 0; symbol < 2; ++symbol) {
    threads.emplace_back([&, symbol] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<envelope::Envelope> batch;
        for (int k = 0; k < kPerBatch; ++k) {
          const int j = b * kPerBatch + k;
          const std::int64_t base = 1 + symbol * 10'000 + 2 * j;
          batch.push_back(wrap(trade_executed(base, base, base + 1, buyer(symbol, j),
                                              seller(symbol, j), symbols[symbol], "100", 1, 0, 0)));
        }
        // One attempt: a deadlock would be an error here, not a silent retry.
        if (!f.run(batch, /*max_attempts=*/1).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(f.count_rows("SELECT * FROM settled_trades") == 2 * kTrades);
  for (const std::string& user : users) {
    auto account = f.get(user);
    CHECK(account.cash.total == usd("100000"));  // bought and sold as many at 100
    CHECK(account.cash.reserved == usd("0"));
    for (const auto& position : account.positions) {
      CHECK(position.quantity == Quantity::of(100));
      CHECK(position.reserved == Quantity::of(0));
    }
  }
  f.check_conservation();
}

}  // namespace
