// Goal: the order status follower, fed matching and settlement events through the
// exactly-once consumer's handler interface (and once through the consumer itself, over
// real Kafka) on a real MariaDB, moves every order to the status its settled trades and
// released reservations say, in whatever order the two topics deliver them, counts each
// settled trade exactly once per order, never moves a status backwards, and keeps the
// trade record.
#include "bourse/order/status_follower.h"

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <random>
#include <unistd.h>

#include "bourse/account/events.h"
#include "bourse/common/timestamp.h"
#include "bourse/common/uuid.h"
#include "bourse/consumer/exactly_once_consumer.h"
#include "bourse/kafka/admin.h"
#include "bourse/kafka/producer.h"
#include "bourse/matching/events.h"
#include "order_fixture.h"
#include "stack_env.h"
#include "unique_name.h"

namespace bourse::order {
namespace {

using namespace std::chrono_literals;
using testing::OrderFixture;
namespace me = bourse::matching::events;
namespace ae = bourse::account::events;

constexpr const char* kExecutedAt = "2026-11-30T10:00:00.123456Z";
constexpr const char* kSettledAt = "2026-11-30T10:00:00.234567Z";

template <typename Event>
envelope::Envelope envelope_of(const Event& event, std::string event_id = random_uuid_v4()) {
  return envelope::Envelope{std::move(event_id),
                            std::string(Event::kType),
                            Event::kVersion,
                            format_rfc3339_utc(std::chrono::system_clock::now()),
                            std::string(Event::kAggregateType),
                            event.aggregate_id(),
                            event.to_json()};
}

struct Follower {
  Follower() : handler(make_status_handler(registry)) {
    fixture.add_user("alice");
    fixture.add_user("bob");
  }

  // Hands `event` to the handler inside one transaction, as the consumer does.
  template <typename Event>
  Status deliver(const Event& event) {
    const envelope::Envelope wrapped = envelope_of(event);
    kafka::Message message;
    message.topic = "test.events";
    message.value = envelope::serialize(wrapped);
    Status handled = Status::success();
    Status committed = fixture.pool.in_transaction([&](soci::session& session) {
      handled = handler->handle(session, wrapped, message);
      return handled;
    });
    if (!handled) return handled;
    return committed;
  }

  // A batch as the consumer hands it to handle_batch: envelopes in offset order.
  struct Batch {
    template <typename Event>
    Batch& add(const Event& event, std::string event_id = random_uuid_v4()) {
      envelopes.push_back(envelope_of(event, std::move(event_id)));
      return *this;
    }
    std::vector<envelope::Envelope> envelopes;
  };

  // `batch` as the consumer delivers it: messages at offsets 0.. of "test.events" (kept in
  // `messages`, which the events point into).
  static std::vector<consumer::DeliveredEvent> delivered_of(const Batch& batch,
                                                            std::vector<kafka::Message>& messages) {
    messages.assign(batch.envelopes.size(), kafka::Message{});
    std::vector<consumer::DeliveredEvent> delivered;
    for (std::size_t i = 0; i < batch.envelopes.size(); ++i) {
      messages[i].topic = "test.events";
      messages[i].offset = static_cast<std::int64_t>(i);
      messages[i].value = envelope::serialize(batch.envelopes[i]);
      delivered.push_back(consumer::DeliveredEvent{batch.envelopes[i], messages[i]});
    }
    return delivered;
  }

  // Hands `batch` to handle_batch inside one transaction, as the consumer does. If
  // `statements` is given, it receives the number of statements the handler sent on the
  // session (the difference of its Questions counter, less what reading it costs).
  Status deliver_batch(const Batch& batch, long long* statements = nullptr) {
    std::vector<kafka::Message> messages;
    const std::vector<consumer::DeliveredEvent> delivered = delivered_of(batch, messages);
    Status handled = Status::success();
    Status committed = fixture.pool.in_transaction([&](soci::session& session) {
      const long long before = questions(session);
      const long long reading = questions(session) - before;  // what one read itself counts
      const long long start = questions(session);
      handled = handler->handle_batch(session, delivered);
      if (statements != nullptr) *statements = questions(session) - start - reading;
      return handled;
    });
    if (!handled) return handled;
    return committed;
  }

  // As deliver_batch, through handle_batch_ending_with as the consumer calls it: the
  // handler's last writes are sent with the COMMIT (in_transaction_ending_with). Reports
  // the statements the handler sent itself, how many it left for the COMMIT, and `probe`
  // (a COUNT query) as the transaction saw it before the last writes ran.
  struct EndingWith {
    long long statements = -1;
    std::size_t last_writes = 0;
    long long probe_before_last_writes = -1;
  };
  Status deliver_batch_ending_with(const Batch& batch, const std::string& probe, EndingWith& seen) {
    std::vector<kafka::Message> messages;
    const std::vector<consumer::DeliveredEvent> delivered = delivered_of(batch, messages);
    Status handled = Status::success();
    Status committed = fixture.pool.in_transaction_ending_with(
        [&](soci::session& session) -> Result<db::ConnectionPool::LastWrites> {
          const long long before = questions(session);
          const long long reading = questions(session) - before;
          const long long start = questions(session);
          db::ConnectionPool::LastWrites writes;
          handled = handler->handle_batch_ending_with(session, delivered, writes);
          seen.statements = questions(session) - start - reading;
          seen.last_writes = writes.size();
          long long count = -1;
          session << probe, soci::into(count);
          seen.probe_before_last_writes = count;
          if (!handled) return handled.error();
          return writes;
        });
    if (!handled) return handled;
    return committed;
  }

  static long long questions(soci::session& session) {
    std::string name;
    std::string value;
    session << "SHOW SESSION STATUS LIKE 'Questions'", soci::into(name), soci::into(value);
    return std::stoll(value);
  }

  OrderId place(const std::string& user, Side side, long long quantity, const char* price) {
    OrderRequest request = fixture.limit_buy(user, quantity, price);
    request.symbol = "CENT";
    request.side = side;
    auto placed = testing::submit_and_wait(*fixture.orders, std::move(request));
    REQUIRE(placed.ok());
    REQUIRE(placed->http_status == 202);
    return placed->order_id;
  }

  Order order(OrderId order_id) {
    auto found = fixture.orders->get_order(order_id);
    REQUIRE(found.ok());
    return *found;
  }

  me::OrderAccepted accepted(OrderId order_id, const std::string& user, Side side,
                             long long resting) {
    return me::OrderAccepted{order_id, user, "CENT", side, Amount::parse("100").value(),
                             Quantity::of(resting)};
  }

  me::TradeExecuted executed(long long trade_id, OrderId buy, OrderId sell, long long quantity,
                             const char* price) {
    me::TradeExecuted trade;
    trade.trade_id = TradeId(trade_id);
    trade.symbol = "CENT";
    trade.price = Amount::parse(price).value();
    trade.quantity = Quantity::of(quantity);
    trade.buy_order_id = buy;
    trade.sell_order_id = sell;
    trade.buyer = "alice";
    trade.seller = "bob";
    trade.taker_side = Side::kSell;
    trade.executed_at = kExecutedAt;
    return trade;
  }

  ae::TradeSettled settled(const me::TradeExecuted& trade) {
    ae::TradeSettled settlement;
    settlement.trade_id = trade.trade_id;
    settlement.symbol = trade.symbol;
    settlement.price = trade.price;
    settlement.quantity = trade.quantity;
    settlement.buy_order_id = trade.buy_order_id;
    settlement.sell_order_id = trade.sell_order_id;
    settlement.buyer = trade.buyer;
    settlement.seller = trade.seller;
    settlement.executed_at = trade.executed_at;
    settlement.settled_at = kSettledAt;
    return settlement;
  }

  ae::ReservationReleased released(OrderId order_id, const std::string& user, Side side,
                                   ae::ReleaseCause cause, const char* reason) {
    ae::ReservationReleased release;
    release.order_id = order_id;
    release.user_id = user;
    release.symbol = "CENT";
    release.side = side;
    release.cause = cause;
    release.reason = reason;
    if (side == Side::kBuy) {
      release.released_cash = Amount::parse("0").value();
    } else {
      release.released_quantity = Quantity::of(0);
    }
    return release;
  }

  // The trade row as text: "settled" or "unsettled".
  std::string trade_state(long long trade_id) {
    return fixture.count("SELECT COUNT(*) FROM trades WHERE trade_id = " +
                         std::to_string(trade_id)) == 0
               ? "absent"
               : (fixture.count("SELECT COUNT(*) FROM trades WHERE settled_at IS NOT NULL AND "
                                "trade_id = " +
                                std::to_string(trade_id)) == 1
                      ? "settled"
                      : "unsettled");
  }

  OrderFixture fixture;
  metrics::Registry registry;
  std::unique_ptr<consumer::EventHandler> handler;
};

std::string average(const Order& order) {
  auto price = order.average_price();
  return price ? price->to_string() : "null";
}

}  // namespace

TEST_CASE("OrderAccepted makes a PENDING order OPEN", "[order][status][integration]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  CHECK(f.order(buy).status == OrderStatus::kPending);
  REQUIRE(f.deliver(f.accepted(buy, "alice", Side::kBuy, 10)).ok());
  const Order open = f.order(buy);
  CHECK(open.status == OrderStatus::kOpen);
  CHECK(open.filled_quantity.value() == 0);
  CHECK(average(open) == "null");
  // Repeated (under another event id): still OPEN, nothing else changes.
  REQUIRE(f.deliver(f.accepted(buy, "alice", Side::kBuy, 10)).ok());
  CHECK(f.order(buy).status == OrderStatus::kOpen);
}

TEST_CASE("partial then full fills add up: filled, remaining and average price",
          "[order][status][integration]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 30, "101");
  const OrderId sell_99 = f.place("bob", Side::kSell, 10, "99");
  const OrderId sell_100 = f.place("bob", Side::kSell, 10, "100");
  const OrderId sell_101 = f.place("bob", Side::kSell, 20, "101");
  REQUIRE(f.deliver(f.accepted(buy, "alice", Side::kBuy, 30)).ok());

  const auto t1 = f.executed(1025, buy, sell_99, 10, "99");
  REQUIRE(f.deliver(t1).ok());
  // Executed but not settled: the trade is recorded, nothing counts yet.
  CHECK(f.trade_state(1025) == "unsettled");
  CHECK(f.order(buy).filled_quantity.value() == 0);
  CHECK(f.order(buy).status == OrderStatus::kOpen);
  REQUIRE(f.deliver(f.settled(t1)).ok());
  CHECK(f.trade_state(1025) == "settled");
  Order after_1 = f.order(buy);
  CHECK(after_1.status == OrderStatus::kPartiallyFilled);
  CHECK(after_1.filled_quantity.value() == 10);
  CHECK(after_1.remaining_quantity().value() == 20);
  CHECK(average(after_1) == "99");
  CHECK(f.order(sell_99).status == OrderStatus::kFilled);
  CHECK(average(f.order(sell_99)) == "99");

  const auto t2 = f.executed(2049, buy, sell_100, 10, "100");
  REQUIRE(f.deliver(t2).ok());
  REQUIRE(f.deliver(f.settled(t2)).ok());
  Order after_2 = f.order(buy);
  CHECK(after_2.status == OrderStatus::kPartiallyFilled);
  CHECK(after_2.filled_quantity.value() == 20);
  CHECK(after_2.remaining_quantity().value() == 10);
  CHECK(average(after_2) == "99.5");
  CHECK(after_2.filled_notional.to_string() == "1990");

  const auto t3 = f.executed(3073, buy, sell_101, 10, "101");
  REQUIRE(f.deliver(t3).ok());
  REQUIRE(f.deliver(f.settled(t3)).ok());
  Order after_3 = f.order(buy);
  CHECK(after_3.status == OrderStatus::kFilled);
  CHECK(after_3.filled_quantity.value() == 30);
  CHECK(after_3.remaining_quantity().value() == 0);
  CHECK(average(after_3) == "100");
  CHECK(after_3.filled_notional.to_string() == "3000");
  // The sell of 20 got 10 of them.
  Order seller = f.order(sell_101);
  CHECK(seller.status == OrderStatus::kPartiallyFilled);
  CHECK(seller.filled_quantity.value() == 10);
  CHECK(average(seller) == "101");

  // The same settlement again under a new event id (a re-publication the consumer could
  // not recognise): the trade is already settled, so nothing is counted twice.
  REQUIRE(f.deliver(f.settled(t3)).ok());
  CHECK(f.order(buy).filled_quantity.value() == 30);
  CHECK(f.order(sell_101).filled_quantity.value() == 10);
  // Every order's filled quantity equals the sum of its settled trades.
  for (OrderId id : {buy, sell_99, sell_100, sell_101}) {
    const std::string order_id = std::to_string(id.value());
    CHECK(f.fixture.count("SELECT COALESCE(SUM(quantity), 0) FROM trades WHERE settled_at IS "
                          "NOT NULL AND (buy_order_id = " +
                          order_id + " OR sell_order_id = " + order_id + ")") ==
          f.order(id).filled_quantity.value());
  }
}

TEST_CASE("TradeSettled before TradeExecuted records and counts the trade once",
          "[order][status][integration]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto trade = f.executed(7, buy, sell, 4, "100");
  REQUIRE(f.deliver(f.settled(trade)).ok());
  CHECK(f.trade_state(7) == "settled");
  CHECK(f.order(buy).status == OrderStatus::kPartiallyFilled);
  CHECK(f.order(buy).filled_quantity.value() == 4);
  // The late TradeExecuted keeps the settled row and counts nothing.
  REQUIRE(f.deliver(trade).ok());
  CHECK(f.trade_state(7) == "settled");
  CHECK(f.fixture.rows("trades") == 1);
  CHECK(f.order(buy).filled_quantity.value() == 4);
  CHECK(f.order(sell).filled_quantity.value() == 4);
  CHECK(f.fixture.count("SELECT CAST(UNIX_TIMESTAMP(executed_at) * 1000000 AS SIGNED) FROM "
                        "trades WHERE trade_id = 7") ==
        std::chrono::duration_cast<std::chrono::microseconds>(
            (std::chrono::sys_days(std::chrono::year(2026) / 11 / 30) + 10h + 123'456us)
                .time_since_epoch())
            .count());  // kExecutedAt, to the microsecond
}

TEST_CASE("a late OrderAccepted after FILLED changes nothing", "[order][status][integration]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto trade = f.executed(11, buy, sell, 10, "100");
  REQUIRE(f.deliver(f.settled(trade)).ok());
  REQUIRE(f.order(sell).status == OrderStatus::kFilled);
  const Order before = f.order(sell);
  REQUIRE(f.deliver(f.accepted(sell, "bob", Side::kSell, 10)).ok());
  const Order after = f.order(sell);
  CHECK(after.status == OrderStatus::kFilled);
  CHECK(after.filled_quantity == before.filled_quantity);
  CHECK(after.filled_notional == before.filled_notional);
  // And a late release keeps FILLED too.
  REQUIRE(f.deliver(f.released(sell, "bob", Side::kSell, ae::ReleaseCause::kCancelled, "user"))
              .ok());
  CHECK(f.order(sell).status == OrderStatus::kFilled);
  CHECK_FALSE(f.order(sell).cancel_reason.has_value());
}

TEST_CASE("ReservationReleased after partial fills: CANCELLED keeps what was filled",
          "[order][status][integration]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 3, "100");
  REQUIRE(f.deliver(f.accepted(buy, "alice", Side::kBuy, 10)).ok());
  REQUIRE(f.deliver(f.settled(f.executed(13, buy, sell, 3, "100"))).ok());
  REQUIRE(f.deliver(f.released(buy, "alice", Side::kBuy, ae::ReleaseCause::kCancelled, "user"))
              .ok());
  const Order cancelled = f.order(buy);
  CHECK(cancelled.status == OrderStatus::kCancelled);
  CHECK(cancelled.cancel_reason == std::optional<std::string>("user"));
  CHECK_FALSE(cancelled.reject_reason.has_value());
  CHECK(cancelled.filled_quantity.value() == 3);
  CHECK(cancelled.remaining_quantity().value() == 7);
  CHECK(average(cancelled) == "100");
  // A late OrderAccepted does not reopen it; a cancel is now refused.
  REQUIRE(f.deliver(f.accepted(buy, "alice", Side::kBuy, 7)).ok());
  CHECK(f.order(buy).status == OrderStatus::kCancelled);
  auto cancel = f.fixture.orders->request_cancel(buy);
  REQUIRE_FALSE(cancel.ok());
  CHECK(cancel.error().reason == "order_not_cancellable");
}

TEST_CASE("ReservationReleased with cause rejected: REJECTED with its reason",
          "[order][status][integration]") {
  Follower f;
  const OrderId sell = f.place("bob", Side::kSell, 5, "100");
  REQUIRE(f.deliver(me::OrderRejected{sell, "bob", "CENT", Side::kSell,
                                      me::RejectReason::kBookFull})
              .ok());
  CHECK(f.order(sell).status == OrderStatus::kPending);  // final only once released
  REQUIRE(f.deliver(f.released(sell, "bob", Side::kSell, ae::ReleaseCause::kRejected,
                               "book_full"))
              .ok());
  const Order rejected = f.order(sell);
  CHECK(rejected.status == OrderStatus::kRejected);
  CHECK(rejected.reject_reason == std::optional<std::string>("book_full"));
  CHECK_FALSE(rejected.cancel_reason.has_value());
  CHECK(rejected.filled_quantity.value() == 0);
  // A reason that is not the cause's vocabulary is refused and changes nothing.
  const OrderId other = f.place("bob", Side::kSell, 5, "100");
  Status bad = f.deliver(
      f.released(other, "bob", Side::kSell, ae::ReleaseCause::kRejected, "ioc_remainder"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().reason == "unknown_release_reason");
  CHECK(f.order(other).status == OrderStatus::kPending);
}

TEST_CASE("events that name unknown orders fail (to be dead-lettered) and write nothing",
          "[order][status][integration]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  Status unknown = f.deliver(f.accepted(OrderId(999'999), "alice", Side::kBuy, 1));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  Status settled = f.deliver(f.settled(f.executed(17, buy, OrderId(999'999), 1, "100")));
  REQUIRE_FALSE(settled.ok());
  // The whole transaction rolled back: no trade row, no fill on the known order.
  CHECK(f.trade_state(17) == "absent");
  CHECK(f.order(buy).filled_quantity.value() == 0);
  // CancelTooLate is only counted.
  REQUIRE(f.deliver(me::CancelTooLate{buy, "alice", "CENT"}).ok());
  CHECK(f.order(buy).status == OrderStatus::kPending);
  CHECK(f.registry.render_prometheus().find("bourse_order_cancels_too_late_total 1") !=
        std::string::npos);
}

// --- Batches: handle_batch applies a consumer batch with a constant number of statements,
// with the outcome of applying its events one at a time in offset order.

namespace {

// What a test compares of an order after a batch: everything the follower writes.
std::string state_of(const Order& order) {
  return std::string(to_string(order.status)) + " filled " +
         std::to_string(order.filled_quantity.value()) + " notional " +
         order.filled_notional.to_string() + " cancel " + order.cancel_reason.value_or("-") +
         " reject " + order.reject_reason.value_or("-");
}

// The settled_at of a trade in microseconds, -1 if unsettled or absent.
long long settled_micros(Follower& f, long long trade_id) {
  return f.fixture.count(
      "SELECT COALESCE(MAX(CAST(UNIX_TIMESTAMP(settled_at) * 1000000 AS SIGNED)), -1) FROM "
      "trades WHERE trade_id = " +
      std::to_string(trade_id));
}

// The orders and events of one scenario: a buy of 30 against sells of 10 @ 99, 10 @ 100
// and 20 @ 101, all three trades executed and settled, then the last sell cancelled.
struct Scenario {
  OrderId buy, sell_99, sell_100, sell_101;
  std::vector<envelope::Envelope> events;
  std::vector<OrderId> orders() const { return {buy, sell_99, sell_100, sell_101}; }
};

Scenario scenario(Follower& f, long long first_trade_id) {
  Scenario s;
  s.buy = f.place("alice", Side::kBuy, 30, "101");
  s.sell_99 = f.place("bob", Side::kSell, 10, "99");
  s.sell_100 = f.place("bob", Side::kSell, 10, "100");
  s.sell_101 = f.place("bob", Side::kSell, 20, "101");
  const auto t1 = f.executed(first_trade_id, s.buy, s.sell_99, 10, "99");
  const auto t2 = f.executed(first_trade_id + 1, s.buy, s.sell_100, 10, "100");
  const auto t3 = f.executed(first_trade_id + 2, s.buy, s.sell_101, 10, "101");
  Follower::Batch batch;
  batch.add(f.accepted(s.buy, "alice", Side::kBuy, 30))
      .add(f.accepted(s.sell_101, "bob", Side::kSell, 20))
      .add(t1)
      .add(f.settled(t1))
      .add(t2)
      .add(f.settled(t2))
      .add(t3)
      .add(f.settled(t3))
      .add(f.accepted(s.sell_99, "bob", Side::kSell, 10))  // late: FILLED stays
      .add(f.released(s.sell_101, "bob", Side::kSell, ae::ReleaseCause::kCancelled, "user"));
  s.events = std::move(batch.envelopes);
  return s;
}

}  // namespace

TEST_CASE("a batch ends with the same rows as its events applied one at a time",
          "[order][status][integration][batch]") {
  Follower f;
  const Scenario batched = scenario(f, 101);
  const Scenario one_by_one = scenario(f, 201);
  REQUIRE(f.deliver_batch(Follower::Batch{batched.events}).ok());
  for (const envelope::Envelope& event : one_by_one.events) {
    Follower::Batch single;
    single.envelopes.push_back(event);
    REQUIRE(f.deliver_batch(single).ok());
  }
  const std::vector<OrderId> a = batched.orders();
  const std::vector<OrderId> b = one_by_one.orders();
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(state_of(f.order(a[i])) == state_of(f.order(b[i])));
  }
  CHECK(state_of(f.order(batched.buy)) == "FILLED filled 30 notional 3000 cancel - reject -");
  CHECK(state_of(f.order(batched.sell_101)) ==
        "CANCELLED filled 10 notional 1010 cancel user reject -");
  CHECK(state_of(f.order(batched.sell_99)) == "FILLED filled 10 notional 990 cancel - reject -");
  for (long long offset : {0, 1, 2}) {
    CHECK(f.trade_state(101 + offset) == "settled");
    CHECK(settled_micros(f, 101 + offset) == settled_micros(f, 201 + offset));
  }
  CHECK(f.fixture.rows("trades") == 6);
}

TEST_CASE("a trade settled twice in one batch under two event ids counts once",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto trade = f.executed(31, buy, sell, 4, "100");
  auto again = f.settled(trade);
  again.settled_at = "2026-11-30T10:00:01Z";  // a re-publication: the first one counts
  Follower::Batch batch;
  batch.add(f.settled(trade)).add(again);
  REQUIRE(f.deliver_batch(batch).ok());
  CHECK(state_of(f.order(buy)) == "PARTIALLY_FILLED filled 4 notional 400 cancel - reject -");
  CHECK(state_of(f.order(sell)) == "PARTIALLY_FILLED filled 4 notional 400 cancel - reject -");
  CHECK(settled_micros(f, 31) ==
        std::chrono::duration_cast<std::chrono::microseconds>(
            (std::chrono::sys_days(std::chrono::year(2026) / 11 / 30) + 10h + 234'567us)
                .time_since_epoch())
            .count());  // kSettledAt
  // And once more in a later batch: still counted once.
  Follower::Batch later;
  later.add(f.settled(trade)).add(trade);
  REQUIRE(f.deliver_batch(later).ok());
  CHECK(f.order(buy).filled_quantity.value() == 4);
  CHECK(f.fixture.rows("trades") == 1);
}

TEST_CASE("TradeSettled before TradeExecuted in one batch records and counts the trade once",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto trade = f.executed(41, buy, sell, 10, "100");
  Follower::Batch batch;
  batch.add(f.settled(trade)).add(trade);
  REQUIRE(f.deliver_batch(batch).ok());
  CHECK(f.trade_state(41) == "settled");
  CHECK(f.fixture.rows("trades") == 1);
  CHECK(state_of(f.order(buy)) == "FILLED filled 10 notional 1000 cancel - reject -");
  CHECK(state_of(f.order(sell)) == "FILLED filled 10 notional 1000 cancel - reject -");
}

TEST_CASE("OrderAccepted then ReservationReleased in one batch: CANCELLED or REJECTED with "
          "the reason",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId cancelled = f.place("alice", Side::kBuy, 10, "100");
  const OrderId rejected = f.place("bob", Side::kSell, 10, "100");
  const OrderId reopened = f.place("bob", Side::kSell, 10, "100");
  Follower::Batch batch;
  batch.add(f.accepted(cancelled, "alice", Side::kBuy, 10))
      .add(f.accepted(rejected, "bob", Side::kSell, 10))
      .add(f.released(cancelled, "alice", Side::kBuy, ae::ReleaseCause::kCancelled,
                      "ioc_remainder"))
      .add(f.released(rejected, "bob", Side::kSell, ae::ReleaseCause::kRejected, "book_full"))
      .add(f.accepted(cancelled, "alice", Side::kBuy, 10))  // late: CANCELLED stays
      .add(f.released(reopened, "bob", Side::kSell, ae::ReleaseCause::kCancelled, "user"))
      .add(f.accepted(reopened, "bob", Side::kSell, 10));  // never reopens
  REQUIRE(f.deliver_batch(batch).ok());
  CHECK(state_of(f.order(cancelled)) ==
        "CANCELLED filled 0 notional 0 cancel ioc_remainder reject -");
  CHECK(state_of(f.order(rejected)) == "REJECTED filled 0 notional 0 cancel - reject book_full");
  CHECK(state_of(f.order(reopened)) == "CANCELLED filled 0 notional 0 cancel user reject -");
}

TEST_CASE("a batch with a mismatched trade fails and changes nothing",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto trade = f.executed(51, buy, sell, 4, "100");
  REQUIRE(f.deliver(trade).ok());
  auto differs = f.settled(trade);
  differs.price = Amount::parse("99").value();
  Follower::Batch batch;
  batch.add(f.accepted(buy, "alice", Side::kBuy, 10))
      .add(f.executed(52, buy, sell, 1, "100"))
      .add(differs);
  Status failed = f.deliver_batch(batch);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kInternal);
  CHECK(failed.error().reason == "trade_mismatch");
  CHECK(state_of(f.order(buy)) == "PENDING filled 0 notional 0 cancel - reject -");
  CHECK(f.trade_state(51) == "unsettled");
  CHECK(f.trade_state(52) == "absent");
}

TEST_CASE("a settled trade that does not fit its orders fails and changes nothing",
          "[order][status][integration][batch]") {
  // Each way a TradeSettled can name a real order it cannot belong to: another user,
  // another symbol, the other side, a price through the limit. The fill would otherwise
  // land on an unrelated order (events of another deployment's topics have done so).
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const OrderId other_buy = f.place("alice", Side::kBuy, 10, "100");
  struct Case {
    const char* name;
    me::TradeExecuted trade;
  };
  std::vector<Case> cases;
  {
    auto trade = f.executed(81, buy, sell, 1, "100");
    trade.seller = "alice";
    cases.push_back({"another user", trade});
  }
  {
    auto trade = f.executed(82, buy, sell, 1, "100");
    trade.symbol = "DIME";
    cases.push_back({"another symbol", trade});
  }
  cases.push_back({"the other side", f.executed(83, buy, other_buy, 1, "100")});
  cases.push_back({"a buy above its limit", f.executed(84, buy, sell, 1, "101")});
  cases.push_back({"a sell below its limit", f.executed(85, buy, sell, 1, "99")});
  for (const Case& c : cases) {
    INFO(c.name);
    Follower::Batch batch;
    batch.add(f.accepted(buy, "alice", Side::kBuy, 10)).add(f.settled(c.trade));
    Status failed = f.deliver_batch(batch);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == ErrorCode::kInternal);
    CHECK(failed.error().reason == "trade_mismatch");
    CHECK(f.trade_state(c.trade.trade_id.value()) == "absent");
  }
  for (OrderId id : {buy, sell, other_buy}) {
    CHECK(state_of(f.order(id)) == "PENDING filled 0 notional 0 cancel - reject -");
  }
  // The same trade on the right orders settles.
  Follower::Batch good;
  good.add(f.settled(f.executed(86, buy, sell, 1, "100")));
  REQUIRE(f.deliver_batch(good).ok());
  CHECK(f.order(buy).filled_quantity.value() == 1);
}

TEST_CASE("a batch that names an unknown order fails and changes nothing",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const auto trade = f.executed(61, buy, OrderId(999'999), 1, "100");
  Follower::Batch batch;
  batch.add(f.accepted(buy, "alice", Side::kBuy, 10)).add(trade).add(f.settled(trade));
  Status failed = f.deliver_batch(batch);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kNotFound);
  CHECK(failed.error().reason == "order_not_found");
  CHECK(state_of(f.order(buy)) == "PENDING filled 0 notional 0 cancel - reject -");
  CHECK(f.trade_state(61) == "absent");
  // An unknown order in a release fails the same way.
  Follower::Batch release;
  release.add(f.accepted(buy, "alice", Side::kBuy, 10))
      .add(f.released(OrderId(999'998), "alice", Side::kBuy, ae::ReleaseCause::kCancelled,
                      "user"));
  Status unknown = f.deliver_batch(release);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().reason == "order_not_found");
  CHECK(f.order(buy).status == OrderStatus::kPending);
}

TEST_CASE("a batch costs the same number of statements whatever its size",
          "[order][status][integration][batch]") {
  Follower f;
  // Groups of five events: the buy and the sell accepted, their trade executed and
  // settled (the sell FILLED), the rest of the buy cancelled.
  long long next_trade = 1'001;
  const auto batch_of = [&](int groups, std::vector<OrderId>& buys) {
    Follower::Batch batch;
    for (int i = 0; i < groups; ++i) {
      const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
      const OrderId sell = f.place("bob", Side::kSell, 4, "100");
      const auto trade = f.executed(next_trade++, buy, sell, 4, "100");
      batch.add(f.accepted(buy, "alice", Side::kBuy, 10))
          .add(f.accepted(sell, "bob", Side::kSell, 4))
          .add(trade)
          .add(f.settled(trade))
          .add(f.released(buy, "alice", Side::kBuy, ae::ReleaseCause::kCancelled, "user"));
      buys.push_back(buy);
    }
    return batch;
  };
  std::vector<OrderId> small_buys;
  std::vector<OrderId> large_buys;
  const Follower::Batch small = batch_of(2, small_buys);
  const Follower::Batch large = batch_of(10, large_buys);
  REQUIRE(small.envelopes.size() == 10);
  REQUIRE(large.envelopes.size() == 50);
  long long small_statements = -1;
  long long large_statements = -1;
  REQUIRE(f.deliver_batch(small, &small_statements).ok());
  REQUIRE(f.deliver_batch(large, &large_statements).ok());
  CAPTURE(small_statements, large_statements);
  CHECK(small_statements == large_statements);
  // Trades inserted, locked, settled; orders locked, written.
  CHECK(large_statements == 5);
  for (OrderId buy : large_buys) {
    CHECK(state_of(f.order(buy)) == "CANCELLED filled 4 notional 400 cancel user reject -");
  }
  CHECK(f.fixture.count("SELECT COUNT(*) FROM trades WHERE settled_at IS NOT NULL") == 12);
  CHECK(f.fixture.count("SELECT COUNT(*) FROM orders WHERE status = 'FILLED'") == 12);
}

TEST_CASE("through handle_batch_ending_with, settled_at and the orders' states go with the "
          "COMMIT",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto trade = f.executed(3'001, buy, sell, 10, "100");
  Follower::Batch batch;
  batch.add(f.accepted(buy, "alice", Side::kBuy, 10)).add(trade).add(f.settled(trade));
  Follower::EndingWith seen;
  REQUIRE(f.deliver_batch_ending_with(
               batch, "SELECT COUNT(*) FROM orders WHERE status = 'FILLED'", seen)
              .ok());
  // Trades inserted and locked, orders locked: the two writes are left for the COMMIT,
  // and nothing was FILLED before they ran.
  CHECK(seen.statements == 3);
  CHECK(seen.last_writes == 2);
  CHECK(seen.probe_before_last_writes == 0);
  // After the COMMIT: the same rows as through handle_batch.
  CHECK(state_of(f.order(buy)) == "FILLED filled 10 notional 1000 cancel - reject -");
  CHECK(state_of(f.order(sell)) == "FILLED filled 10 notional 1000 cancel - reject -");
  CHECK(f.trade_state(3'001) == "settled");
}

TEST_CASE("a batch past kMaxStatusRowsPerStatement trades or orders is written in slices",
          "[order][status][integration][batch]") {
  Follower f;
  constexpr long long kTrades = limits::kMaxStatusRowsPerStatement + 44;
  // Trades: one buy and one sell that trade one share at a time, each trade executed and
  // settled in the batch: three trade statements per slice, one per order statement.
  const OrderId buy = f.place("alice", Side::kBuy, kTrades, "100");
  const OrderId sell = f.place("bob", Side::kSell, kTrades, "100");
  Follower::Batch trades;
  for (long long i = 0; i < kTrades; ++i) {
    const auto trade = f.executed(5'001 + i, buy, sell, 1, "100");
    trades.add(trade).add(f.settled(trade));
  }
  long long statements = -1;
  REQUIRE(f.deliver_batch(trades, &statements).ok());
  CHECK(statements == 3 * 2 + 2);
  CHECK(state_of(f.order(buy)) == "FILLED filled " + std::to_string(kTrades) + " notional " +
                                      std::to_string(kTrades * 100) + " cancel - reject -");
  CHECK(f.fixture.count("SELECT COUNT(*) FROM trades WHERE settled_at IS NOT NULL") == kTrades);

  // Orders: more accepted orders than one statement names: two slices per order statement.
  constexpr std::size_t kOrders = limits::kMaxStatusRowsPerStatement + 4;
  std::vector<OrderId> orders;
  Follower::Batch accepted;
  for (std::size_t i = 0; i < kOrders; ++i) {
    orders.push_back(f.place("alice", Side::kBuy, 1, "100"));
    accepted.add(f.accepted(orders.back(), "alice", Side::kBuy, 1));
  }
  REQUIRE(f.deliver_batch(accepted, &statements).ok());
  CHECK(statements == 2 * 2);
  CHECK(f.fixture.count("SELECT COUNT(*) FROM orders WHERE status = 'OPEN'") ==
        static_cast<long long>(kOrders));
}

TEST_CASE("a batch whose settlements overfill an order fails and changes nothing",
          "[order][status][integration][batch]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 5, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");
  const auto first = f.executed(71, buy, sell, 3, "100");
  const auto second = f.executed(72, buy, sell, 3, "100");
  Follower::Batch batch;
  batch.add(f.accepted(buy, "alice", Side::kBuy, 5)).add(f.settled(first)).add(f.settled(second));
  Status failed = f.deliver_batch(batch);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == ErrorCode::kInternal);
  CHECK(failed.error().reason == "fill_exceeds_quantity");
  CHECK(state_of(f.order(buy)) == "PENDING filled 0 notional 0 cancel - reject -");
  CHECK(f.trade_state(71) == "absent");
  CHECK(f.trade_state(72) == "absent");
}

TEST_CASE("through the consumer over real Kafka, a duplicate event id changes nothing",
          "[order][status][integration][kafka]") {
  Follower f;
  const OrderId buy = f.place("alice", Side::kBuy, 10, "100");
  const OrderId sell = f.place("bob", Side::kSell, 10, "100");

  const std::string suffix = bourse::testing::unique_suffix();
  const std::string matching_topic = "bourse-test-order-status-m-" + suffix;
  const std::string account_topic = "bourse-test-order-status-a-" + suffix;
  kafka::KafkaConfig config;
  config.brokers = bourse::testing::kafka_brokers();
  config.client_id = "order-status-test";
  {
    auto admin = kafka::Admin::create(config);
    REQUIRE(admin.ok());
    REQUIRE(admin.value()
                ->create_topics({{matching_topic, 1, {}, -1}, {account_topic, 1, {}, -1}}, 15s)
                .ok());
  }
  auto producer = kafka::Producer::create(config);
  REQUIRE(producer.ok());
  const auto produce = [&](const std::string& topic, const envelope::Envelope& event) {
    auto delivered = producer.value()->produce_sync(
        {topic,
         "CENT",
         envelope::serialize(event),
         {{std::string(kafka::kHeaderEventType), event.event_type},
          {std::string(kafka::kHeaderEventId), event.event_id}},
         0});
    REQUIRE(delivered.ok());
  };
  const auto trade = f.executed(21, buy, sell, 6, "100");
  const envelope::Envelope accepted = envelope_of(f.accepted(buy, "alice", Side::kBuy, 10));
  const envelope::Envelope settled = envelope_of(f.settled(trade));
  produce(matching_topic, accepted);
  produce(matching_topic, envelope_of(trade));
  produce(matching_topic, accepted);  // the relay published the row twice
  produce(matching_topic, envelope_of(trade));  // and this one
  produce(account_topic, settled);
  produce(account_topic, settled);    // and this one too

  consumer::ConsumerOptions options;
  options.group_id = "bourse-test-order-" + suffix;
  options.topics = {matching_topic, account_topic};
  options.batch_wait = 20ms;
  options.initial_backoff = 10ms;
  options.max_backoff = 100ms;
  options.session_timeout = 6s;
  options.heartbeat_interval = 300ms;
  options.max_poll_interval = 10s;
  config.properties["fetch.wait.max.ms"] = "50";  // a consumer property: after the producer
  auto created = consumer::ExactlyOnceConsumer::create(f.fixture.pool, config, options,
                                                       *f.handler, f.registry);
  REQUIRE(created.ok());
  auto& consumer = *created.value();
  const std::string stored =
      "SELECT COALESCE(SUM(next_offset), 0) FROM consumer_offsets WHERE consumer_group = '" +
      options.group_id + "'";
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (f.fixture.count(stored) < 6 && std::chrono::steady_clock::now() < deadline) {
    (void)consumer.poll_once(100ms);
  }
  consumer.stop();
  REQUIRE(f.fixture.count(stored) == 6);  // all six messages are behind us
  // Only the account event is claimed: the matching events are deduplicated by their own
  // keys (every copy reached the handler and changed nothing the second time).
  CHECK(f.fixture.count("SELECT COUNT(*) FROM processed_events WHERE consumer_group = '" +
                        options.group_id + "'") == 1);
  CHECK(f.fixture.rows("dead_letters") == 0);
  const Order bought = f.order(buy);
  CHECK(bought.status == OrderStatus::kPartiallyFilled);
  CHECK(bought.filled_quantity.value() == 6);
  CHECK(bought.filled_notional.to_string() == "600");
  CHECK(f.order(sell).filled_quantity.value() == 6);
  CHECK(f.trade_state(21) == "settled");
}

}  // namespace bourse::order
