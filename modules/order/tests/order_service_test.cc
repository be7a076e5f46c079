// Goal: OrderService reserves and commits each accepted order with its OrderCreated event
// before it answers, answers 422 at once (writing only the key) when the cash or shares
// are not there, deduplicates Idempotency-Keys within a group and across instances,
// answers 503 (never success) when the database is down, and serves reads and cancels.
#include "bourse/order/order_service.h"

#include <boost/json/parse.hpp>
#include <atomic>
#include <set>
#include <thread>

#include "bourse/order/events.h"
#include "order_fixture.h"

namespace bourse::order {
namespace {

using testing::count_answers;
using testing::OrderFixture;
using testing::submit_and_wait;
using testing::submit_async;

boost::json::object outbox_payload(OrderFixture& fixture, long long order_id,
                                   const std::string& event_type) {
  std::string payload;
  REQUIRE(fixture.pool
              .with_session([&](soci::session& session) {
                const std::string aggregate = std::to_string(order_id);
                session << "SELECT payload FROM order_outbox WHERE event_type = :type AND "
                           "JSON_VALUE(payload, '$.aggregate_id') = :aggregate",
                    soci::use(event_type), soci::use(aggregate), soci::into(payload);
              })
              .ok());
  REQUIRE_FALSE(payload.empty());
  return boost::json::parse(payload).as_object();
}

}  // namespace

TEST_CASE("an accepted order and its OrderCreated event are committed before the answer",
          "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  auto result = submit_and_wait(*fixture.orders, fixture.limit_buy("alice", 10, "150.25"));
  REQUIRE(result.ok());
  CHECK(result->http_status == 202);
  CHECK_FALSE(result->replayed);
  const long long id = result->order_id.value();
  CHECK(result->body == R"({"order_id":)" + std::to_string(id) + R"(,"status":"PENDING"})");
  // Checked right after the completion, on another session: committed.
  CHECK(fixture.count("SELECT COUNT(*) FROM orders WHERE order_id = " + std::to_string(id)) == 1);
  auto envelope = outbox_payload(fixture, id, std::string(OrderCreated::kType));
  CHECK(envelope.at("aggregate_type").as_string() == "order");
  CHECK(envelope.at("version").as_int64() == 1);
  const auto& data = envelope.at("data").as_object();
  CHECK(data.size() == 9);
  CHECK(data.at("order_id").as_int64() == id);
  CHECK(data.at("user_id").as_string() == "alice");
  CHECK(data.at("symbol").as_string() == "AAPL");
  CHECK(data.at("side").as_string() == "BUY");
  CHECK(data.at("type").as_string() == "LIMIT");
  CHECK(data.at("quantity").as_int64() == 10);
  CHECK(data.at("price").as_string() == "150.25");
  CHECK(data.at("time_in_force").as_string() == "GTC");
  CHECK(data.at("reserved_cash").as_string() == "1502.5");
  CHECK(fixture.count("SELECT COUNT(*) FROM order_outbox WHERE topic = 'test.order-events' AND "
                      "message_key = 'AAPL'") == 1);
  // The same transaction reserved the cash.
  CHECK(fixture.count("SELECT reserved_units FROM cash_balances WHERE user_id = 'alice'") ==
        1502'5000);
  CHECK(fixture.count("SELECT remaining FROM reservations WHERE order_id = " +
                      std::to_string(id)) == 1502'5000);

  auto order = fixture.orders->get_order(result->order_id);
  REQUIRE(order.ok());
  CHECK(order->status == OrderStatus::kPending);
  REQUIRE(order->reserved_cash.has_value());
  CHECK(order->reserved_cash->to_string() == "1502.5");
  CHECK_FALSE(order->reserved_quantity.has_value());
  CHECK(order->price->to_string() == "150.25");
  CHECK(order->remaining_quantity().value() == 10);
  CHECK_FALSE(order->average_price().has_value());
}

TEST_CASE("a MARKET buy reserves its cash cap and has no price; a SELL reserves its shares",
          "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("bob");
  OrderRequest request = fixture.limit_buy("bob");
  request.type = OrderType::kMarket;
  request.time_in_force = TimeInForce::kIoc;
  request.price.reset();
  auto result = submit_and_wait(*fixture.orders, request);
  REQUIRE(result.ok());
  const auto data =
      outbox_payload(fixture, result->order_id.value(), std::string(OrderCreated::kType))
          .at("data")
          .as_object();
  CHECK_FALSE(data.contains("price"));
  CHECK(data.at("time_in_force").as_string() == "IOC");
  // 10 x reference 150 x (1 + 10 %): the cash cap.
  CHECK(data.at("reserved_cash").as_string() == "1650");
  CHECK(data.at("cash_cap").as_string() == "1650");
  CHECK(fixture.orders->get_order(result->order_id)->cash_cap->to_string() == "1650");

  OrderRequest sell = fixture.limit_buy("bob", 7);
  sell.side = Side::kSell;
  auto sold = submit_and_wait(*fixture.orders, sell);
  REQUIRE(sold.ok());
  const auto sell_data =
      outbox_payload(fixture, sold->order_id.value(), std::string(OrderCreated::kType))
          .at("data")
          .as_object();
  CHECK(sell_data.at("reserved_quantity").as_int64() == 7);
  CHECK_FALSE(sell_data.contains("reserved_cash"));
  CHECK(fixture.orders->get_order(sold->order_id)->reserved_quantity->value() == 7);
  CHECK(fixture.count("SELECT reserved_quantity FROM positions WHERE user_id = 'bob' AND "
                      "symbol = 'AAPL'") == 7);
}

TEST_CASE("orders that cannot be reserved are 422 at once and write nothing but their key",
          "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("poor", "100");
  struct Case {
    const char* name;
    OrderRequest request;
    const char* reason;
    const char* detail;
  };
  OrderRequest too_many_shares = fixture.limit_buy("poor", 200'000);
  too_many_shares.side = Side::kSell;
  const std::vector<Case> cases = {
      {"cash", fixture.limit_buy("poor", 1, "150"), "insufficient_funds",
       "insufficient funds: 100 available, 150 needed"},
      {"shares", too_many_shares, "insufficient_shares",
       "insufficient shares: 100000 available, 200000 needed"},
      {"unknown account", fixture.limit_buy("ghost"), "unknown_account", nullptr},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string key = "key-" + std::to_string(n++);
    auto result = submit_and_wait(*fixture.orders, c.request, key);
    REQUIRE(result.ok());
    CHECK(result->http_status == 422);
    REQUIRE(result->rejection.has_value());
    CHECK(result->rejection->code == ErrorCode::kInvalidArgument);
    CHECK(result->rejection->reason == c.reason);
    if (c.detail != nullptr) CHECK(result->rejection->message == c.detail);
    CHECK_FALSE(result->replayed);
    // A retry with the same key replays the 422, even after the funds arrived.
    REQUIRE(fixture.accounts.deposit_cash("poor", Amount::parse("1000").value(), key).ok());
    auto replay = submit_and_wait(*fixture.orders, c.request, key);
    REQUIRE(replay.ok());
    CHECK(replay->replayed);
    CHECK(replay->http_status == 422);
    REQUIRE(replay->rejection.has_value());
    CHECK(replay->rejection->reason == c.reason);
    CHECK(replay->rejection->message == result->rejection->message);
  }
  CHECK(fixture.rows("orders") == 0);
  CHECK(fixture.rows("order_outbox") == 0);
  CHECK(fixture.rows("reservations") == 0);
  CHECK(fixture.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'reserve'") == 0);
  CHECK(fixture.count("SELECT COUNT(*) FROM order_idempotency_keys WHERE order_id IS NULL AND "
                      "response_status = 422") == 3);
  CHECK(fixture.orders->commit_stats().orders_rejected == 3);
  // Without a key nothing at all is written.
  auto keyless = submit_and_wait(*fixture.orders, too_many_shares);
  REQUIRE(keyless.ok());
  CHECK(keyless->http_status == 422);
  CHECK(fixture.rows("order_idempotency_keys") == 3);

  auto bad_key = submit_and_wait(*fixture.orders, fixture.limit_buy("poor"), std::string(129, 'k'));
  REQUIRE_FALSE(bad_key.ok());
  CHECK(bad_key.error().reason == "invalid_idempotency_key");
  CHECK(fixture.rows("orders") == 0);
}

TEST_CASE("a rejected order does not stop the rest of its group", "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("carol", "1500");
  constexpr int kOrders = 30;  // 10 fit: 150 each
  std::vector<std::future<Result<SubmitResult>>> futures;
  for (int i = 0; i < kOrders; ++i) {
    futures.push_back(submit_async(*fixture.orders, fixture.limit_buy("carol", 1, "150"),
                                   "g-" + std::to_string(i)));
  }
  const auto [accepted, rejected] = count_answers(futures);
  CHECK(accepted == 10);
  CHECK(rejected == 20);
  CHECK(fixture.rows("orders") == 10);
  CHECK(fixture.rows("order_outbox") == 10);
  CHECK(fixture.rows("order_idempotency_keys") == kOrders);
  CHECK(fixture.count("SELECT reserved_units FROM cash_balances WHERE user_id = 'carol'") ==
        1500'0000);
}

TEST_CASE("the committer reports each group's time and size, each request's queue wait and "
          "each group's last round trip",
          "[order][integration]") {
  metrics::Registry registry;
  OrderServiceOptions options;
  options.metrics = &registry;
  OrderFixture fixture(options);
  fixture.add_user("dave");
  constexpr int kOrders = 20;
  std::vector<std::future<Result<SubmitResult>>> futures;
  for (int i = 0; i < kOrders; ++i) {
    futures.push_back(submit_async(*fixture.orders, fixture.limit_buy("dave", 1, "150")));
  }
  for (auto& future : futures) REQUIRE(future.get().ok());
  const auto groups = static_cast<double>(fixture.orders->commit_stats().groups_committed);
  const std::string text = registry.render_prometheus();
  const auto value = [&](const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stod(text.substr(at + name.size() + 2));
  };
  // Every group is observed before its answers go out; the requests add up.
  CHECK(value("bourse_order_group_requests_count") == groups);
  CHECK(value("bourse_order_group_requests_sum") == static_cast<double>(kOrders));
  CHECK(value("bourse_order_group_seconds_count") == groups);
  CHECK(value("bourse_order_group_seconds_sum") > 0.0);
  // Every request's wait is observed once; every group wrote orders, so each has its last
  // round trip (writes + COMMIT), a part of its whole time.
  CHECK(value("bourse_order_queue_seconds_count") == static_cast<double>(kOrders));
  CHECK(value("bourse_order_group_last_round_trip_seconds_count") == groups);
  CHECK(value("bourse_order_group_last_round_trip_seconds_sum") > 0.0);
  CHECK(value("bourse_order_group_last_round_trip_seconds_sum") <
        value("bourse_order_group_seconds_sum"));
}

TEST_CASE("with two committer lanes every order commits once and reservations stay exact",
          "[order][integration]") {
  OrderServiceOptions options;
  options.committer_lanes = 2;
  OrderFixture fixture(options);
  constexpr int kUsers = 10;
  constexpr int kPerUser = 8;
  for (int u = 0; u < kUsers; ++u) fixture.add_user("lane-u" + std::to_string(u));
  fixture.add_user("lane-hot", "1500");  // 10 orders of 150 fit
  std::vector<std::future<Result<SubmitResult>>> futures;
  const auto submit = [&](const std::string& user, std::optional<std::string> key) {
    futures.push_back(
        submit_async(*fixture.orders, fixture.limit_buy(user, 1, "150"), std::move(key)));
  };
  for (int i = 0; i < kPerUser; ++i) {
    for (int u = 0; u < kUsers; ++u) submit("lane-u" + std::to_string(u), std::nullopt);
    for (int h = 0; h < 3; ++h) submit("lane-hot", "k-" + std::to_string(i * 3 + h));
  }
  submit("lane-hot", "k-0");  // the same key again: the first answer, nothing new
  const auto [accepted, rejected] = count_answers(futures);
  CHECK(fixture.rows("orders") == kUsers * kPerUser + 10);
  CHECK(fixture.rows("order_outbox") == kUsers * kPerUser + 10);
  CHECK(fixture.count("SELECT reserved_units FROM cash_balances WHERE user_id = 'lane-hot'") ==
        1500'0000);
  CHECK(fixture.count("SELECT COUNT(*) FROM orders WHERE user_id = 'lane-hot'") == 10);
  CHECK(fixture.count("SELECT COUNT(*) FROM order_idempotency_keys WHERE user_id = 'lane-hot'") ==
        kPerUser * 3);
  // Every request got an answer; the repeated key replays its stored one.
  CHECK(accepted + rejected == kUsers * kPerUser + kPerUser * 3 + 1);
  const CommitStats stats = fixture.orders->commit_stats();
  CHECK(stats.orders_committed == static_cast<std::uint64_t>(kUsers * kPerUser + 10));
}

TEST_CASE("committer_lanes is bounded", "[order]") {
  OrderServiceOptions options;
  options.committer_lanes = 0;
  CHECK_FALSE(validate(options).ok());
  options.committer_lanes = limits::kMaxCommitterLanes + 1;
  CHECK_FALSE(validate(options).ok());
  options.committer_lanes = limits::kMaxCommitterLanes;
  CHECK(validate(options).ok());
}

TEST_CASE("idempotency: replay, reuse and scoping per user", "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  fixture.add_user("bob");
  auto first = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"), "key-1");
  REQUIRE(first.ok());
  auto replay = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"), "key-1");
  REQUIRE(replay.ok());
  CHECK(replay->replayed);
  CHECK(replay->order_id == first->order_id);
  CHECK(replay->body == first->body);
  CHECK(replay->http_status == 202);
  auto reused = submit_and_wait(*fixture.orders, fixture.limit_buy("alice", 11), "key-1");
  REQUIRE_FALSE(reused.ok());
  CHECK(reused.error().code == ErrorCode::kInvalidArgument);
  CHECK(reused.error().reason == "idempotency_key_reused");
  auto other_user = submit_and_wait(*fixture.orders, fixture.limit_buy("bob"), "key-1");
  REQUIRE(other_user.ok());
  CHECK_FALSE(other_user->replayed);
  CHECK(fixture.rows("orders") == 2);
  CHECK(fixture.rows("order_outbox") == 2);
  CHECK(fixture.rows("order_idempotency_keys") == 2);
}

TEST_CASE("concurrent submissions with one key inside one group create one order",
          "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  constexpr int kRequests = 50;
  std::vector<std::future<Result<SubmitResult>>> futures;
  for (int i = 0; i < kRequests; ++i) {
    futures.push_back(std::async(std::launch::async, [&] {
      return submit_and_wait(*fixture.orders, fixture.limit_buy("alice"), "same");
    }));
  }
  std::set<long long> ids;
  int created = 0;
  for (auto& future : futures) {
    auto result = future.get();
    REQUIRE(result.ok());
    ids.insert(result->order_id.value());
    if (!result->replayed) ++created;
  }
  CHECK(ids.size() == 1);
  CHECK(created == 1);
  CHECK(fixture.rows("orders") == 1);
  CHECK(fixture.rows("order_outbox") == 1);
}

TEST_CASE("queued submissions are committed in groups, each caller answered after its commit",
          "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  constexpr int kOrders = 300;
  std::vector<std::future<Result<SubmitResult>>> futures;
  std::vector<std::shared_ptr<std::promise<Result<SubmitResult>>>> promises;
  for (int i = 0; i < kOrders; ++i) {
    auto promise = std::make_shared<std::promise<Result<SubmitResult>>>();
    futures.push_back(promise->get_future());
    // Enqueued in microseconds: the committer finds most of them waiting after its first
    // commit.
    fixture.orders->submit(
        fixture.limit_buy("alice", 1 + i), std::nullopt,
        [promise](Result<SubmitResult> result) { promise->set_value(std::move(result)); });
  }
  std::set<long long> ids;
  for (auto& future : futures) {
    auto result = future.get();
    REQUIRE(result.ok());
    ids.insert(result->order_id.value());
  }
  CHECK(ids.size() == kOrders);
  const CommitStats stats = fixture.orders->commit_stats();
  CHECK(stats.orders_committed == kOrders);
  CHECK(stats.groups_committed >= 2);   // at most 256 per group
  CHECK(stats.groups_committed <= 20);  // and far fewer groups than orders
  CHECK(fixture.rows("orders") == kOrders);
  CHECK(fixture.rows("order_outbox") == kOrders);
}

TEST_CASE("two instances racing on one key create one order", "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  db::ConnectionPool second_pool(fixture.database.config());
  account::AccountService second_accounts(second_pool);
  OrderService second(second_pool, second_accounts, fixture.instruments, OrderServiceOptions{});
  for (int round = 0; round < 10; ++round) {
    const std::string key = "race-" + std::to_string(round);
    auto a = std::async(std::launch::async, [&] {
      return submit_and_wait(*fixture.orders, fixture.limit_buy("alice"), key);
    });
    auto b = std::async(std::launch::async,
                        [&] { return submit_and_wait(second, fixture.limit_buy("alice"), key); });
    auto first = a.get();
    auto other = b.get();
    REQUIRE(first.ok());
    REQUIRE(other.ok());
    CHECK(first->order_id == other->order_id);
    CHECK(first->body == other->body);
    CHECK(first->replayed != other->replayed);
  }
  CHECK(fixture.rows("orders") == 10);
  CHECK(fixture.rows("order_outbox") == 10);
}

TEST_CASE("two instances racing for one account's cash reserve exactly what it holds",
          "[order][integration]") {
  // Each committer decides on balances read without locks first; when the other
  // instance's group reserved the same cash in between, the CHECK refuses its write and
  // the group is decided again under locks (counted in group_retries). Rounds go on until
  // that happened at least once, so the fallback itself is exercised.
  OrderFixture fixture;
  db::ConnectionPool second_pool(fixture.database.config());
  account::AccountService second_accounts(second_pool);
  OrderService second(second_pool, second_accounts, fixture.instruments, OrderServiceOptions{});
  std::uint64_t retries = 0;
  for (int round = 0; round < 20 && retries == 0; ++round) {
    INFO("round " << round);
    const std::string user = "race-cash-" + std::to_string(round);
    fixture.add_user(user, "1500");  // 10 orders of 150 fit
    std::vector<std::future<Result<SubmitResult>>> futures;
    for (int i = 0; i < 15; ++i) {
      futures.push_back(submit_async(*fixture.orders, fixture.limit_buy(user, 1, "150")));
      futures.push_back(submit_async(second, fixture.limit_buy(user, 1, "150")));
    }
    const auto [accepted, rejected] = count_answers(futures);  // no 503, no 500
    CHECK(accepted == 10);
    CHECK(rejected == 20);
    CHECK(fixture.count("SELECT reserved_units FROM cash_balances WHERE user_id = '" + user +
                        "'") == 1500'0000);
    CHECK(fixture.count("SELECT COUNT(*) FROM reservations WHERE user_id = '" + user + "'") ==
          10);
    retries = fixture.orders->commit_stats().group_retries + second.commit_stats().group_retries;
  }
  CHECK(retries > 0);
}

TEST_CASE("a full queue and an unreachable database answer unavailable, never success",
          "[order][integration]") {
  db::ConnectionPool pool(testing::unreachable_db_config());
  account::AccountService accounts(pool);
  const InstrumentTable instruments = testing::test_instruments();
  OrderServiceOptions options;
  options.max_queue_depth = 1;
  OrderService service(pool, accounts, instruments, options);
  OrderRequest request;
  request.user_id = "alice";
  request.symbol = "AAPL";
  request.quantity = Quantity::of(1);
  request.price = Amount::parse("150").value();
  std::vector<std::future<Result<SubmitResult>>> futures;
  for (int i = 0; i < 20; ++i) {
    futures.push_back(
        std::async(std::launch::async, [&] { return submit_and_wait(service, request); }));
  }
  for (auto& future : futures) {
    auto result = future.get();
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kUnavailable);
  }
}

TEST_CASE("list orders pages by descending id with filters", "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  fixture.add_user("bob");
  std::vector<long long> alice_ids;
  for (int i = 0; i < 5; ++i) {
    alice_ids.push_back(
        submit_and_wait(*fixture.orders, fixture.limit_buy("alice"))->order_id.value());
    REQUIRE(submit_and_wait(*fixture.orders, fixture.limit_buy("bob")).ok());
  }
  ListQuery query;
  query.user_id = "alice";
  query.limit = 2;
  std::vector<long long> seen;
  for (;;) {
    auto page = fixture.orders->list_orders(query);
    REQUIRE(page.ok());
    for (const Order& order : page->orders) {
      CHECK(order.user_id == "alice");
      seen.push_back(order.order_id.value());
    }
    if (!page->has_more) break;
    query.starting_after = page->orders.back().order_id;
  }
  std::reverse(alice_ids.begin(), alice_ids.end());
  CHECK(seen == alice_ids);
  query = ListQuery{};
  query.status = OrderStatus::kRejected;
  CHECK(fixture.orders->list_orders(query)->orders.empty());
  query = ListQuery{};
  query.symbol = "AAPL";
  query.limit = 500;
  CHECK(fixture.orders->list_orders(query)->orders.size() == 10);
  query.limit = 501;
  CHECK(fixture.orders->list_orders(query).error().reason == "invalid_limit");
}

TEST_CASE("cancel requests: once, 409 when terminal, 404 when unknown", "[order][integration]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  const OrderId id = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"))->order_id;
  auto first = fixture.orders->request_cancel(id);
  REQUIRE(first.ok());
  CHECK_FALSE(first->already_requested);
  auto again = fixture.orders->request_cancel(id);
  REQUIRE(again.ok());
  CHECK(again->already_requested);
  CHECK(fixture.count("SELECT COUNT(*) FROM order_outbox WHERE event_type = '" +
                      std::string(CancelRequested::kType) + "'") == 1);
  const auto data = outbox_payload(fixture, id.value(), std::string(CancelRequested::kType))
                        .at("data")
                        .as_object();
  CHECK(data.at("order_id").as_int64() == id.value());
  CHECK(data.at("user_id").as_string() == "alice");
  CHECK(data.at("symbol").as_string() == "AAPL");
  CHECK(fixture.orders->get_order(id)->cancel_requested);

  REQUIRE(fixture.pool
              .with_session([&](soci::session& session) {
                session << "UPDATE orders SET status = 'REJECTED', reject_reason = 'book_full' "
                           "WHERE order_id = " +
                               std::to_string(id.value());
              })
              .ok());
  auto terminal = fixture.orders->request_cancel(id);
  REQUIRE_FALSE(terminal.ok());
  CHECK(terminal.error().code == ErrorCode::kConflict);
  CHECK(terminal.error().reason == "order_not_cancellable");
  auto unknown = fixture.orders->request_cancel(OrderId(999'999));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  CHECK(fixture.orders->get_order(OrderId(999'999)).error().code == ErrorCode::kNotFound);
}

}  // namespace bourse::order

namespace bourse::order {

TEST_CASE("a multi-order group gives each order its own id, key row and OrderCreated event",
          "[order][integration]") {
  // Goal: the multi-row inserts of one group line ids, events and key rows up per order.
  OrderFixture fixture;
  fixture.add_user("alice");
  fixture.add_user("bob");
  // Stored before the group: the group's replay and reuse of them are answered from it.
  auto earlier = submit_and_wait(*fixture.orders, fixture.limit_buy("alice", 7), "earlier");
  REQUIRE(earlier.ok());

  constexpr int kOrders = 200;
  std::vector<OrderRequest> requests;
  std::vector<std::optional<std::string>> keys;
  std::vector<std::future<Result<SubmitResult>>> futures;
  for (int i = 0; i < kOrders; ++i) {
    OrderRequest request =
        fixture.limit_buy(i % 2 == 0 ? "alice" : "bob", 1 + i, i % 4 == 1 ? "151.5" : "150");
    if (i % 3 == 0) request.side = Side::kSell;
    if (i % 5 == 0) {
      request.type = OrderType::kMarket;
      request.time_in_force = TimeInForce::kIoc;
      request.price.reset();
    }
    requests.push_back(request);
    keys.push_back(i % 2 == 1 ? std::optional<std::string>("k-" + std::to_string(i))
                              : std::nullopt);
  }
  auto submit = [&](OrderRequest request, std::optional<std::string> key) {
    futures.push_back(submit_async(*fixture.orders, std::move(request), std::move(key)));
  };
  for (int i = 0; i < kOrders; ++i) submit(requests[i], keys[i]);
  submit(fixture.limit_buy("alice", 7), "earlier");  // replay of a stored key
  submit(fixture.limit_buy("alice", 8), "earlier");  // reuse of a stored key

  std::vector<long long> ids;
  for (int i = 0; i < kOrders; ++i) {
    auto result = futures[i].get();
    REQUIRE(result.ok());
    CHECK_FALSE(result->replayed);
    CHECK(result->body ==
          R"({"order_id":)" + std::to_string(result->order_id.value()) + R"(,"status":"PENDING"})");
    ids.push_back(result->order_id.value());
  }
  auto replay = futures[kOrders].get();
  REQUIRE(replay.ok());
  CHECK(replay->replayed);
  CHECK(replay->body == earlier->body);
  auto reused = futures[kOrders + 1].get();
  REQUIRE_FALSE(reused.ok());
  CHECK(reused.error().reason == "idempotency_key_reused");

  CHECK(std::set<long long>(ids.begin(), ids.end()).size() == kOrders);
  CHECK(fixture.orders->commit_stats().groups_committed < kOrders / 2);  // multi-order groups
  for (int i = 0; i < kOrders; ++i) {
    INFO("order " << i << " id " << ids[i]);
    const OrderRequest& request = requests[i];
    auto order = fixture.orders->get_order(OrderId(ids[i]));
    REQUIRE(order.ok());
    CHECK(order->user_id == request.user_id);
    CHECK(order->quantity.value() == request.quantity.value());
    CHECK(order->side == request.side);
    CHECK(order->type == request.type);
    CHECK(order->price.has_value() == request.price.has_value());
    if (request.price) CHECK(order->price->to_string() == request.price->to_string());

    const auto envelope = outbox_payload(fixture, ids[i], std::string(OrderCreated::kType));
    CHECK(envelope.at("aggregate_id").as_string() == std::to_string(ids[i]));
    const auto& data = envelope.at("data").as_object();
    CHECK(data.at("order_id").as_int64() == ids[i]);
    CHECK(data.at("user_id").as_string() == request.user_id);
    CHECK(data.at("side").as_string() == to_string(request.side));
    CHECK(data.at("type").as_string() == to_string(request.type));
    CHECK(data.at("quantity").as_int64() == request.quantity.value());
    CHECK(data.contains("price") == request.price.has_value());
    if (request.price) CHECK(data.at("price").as_string() == request.price->to_string());
    CHECK(data.at("time_in_force").as_string() == to_string(request.time_in_force));
    CHECK(data.contains("reserved_cash") == (request.side == Side::kBuy));
    CHECK(data.contains("reserved_quantity") == (request.side == Side::kSell));

    if (keys[i]) {
      CHECK(fixture.count("SELECT order_id FROM order_idempotency_keys WHERE user_id = '" +
                          request.user_id + "' AND idem_key = '" + *keys[i] + "'") == ids[i]);
    }
  }
  CHECK(fixture.rows("orders") == kOrders + 1);
  CHECK(fixture.rows("order_outbox") == kOrders + 1);
  CHECK(fixture.rows("order_idempotency_keys") == kOrders / 2 + 1);
  // The relay publishes in outbox id order: the events keep the orders' order.
  CHECK(fixture.count("SELECT COUNT(*) FROM order_outbox a JOIN order_outbox b ON a.id < b.id "
                      "WHERE CAST(JSON_VALUE(a.payload, '$.aggregate_id') AS SIGNED) > "
                      "CAST(JSON_VALUE(b.payload, '$.aggregate_id') AS SIGNED)") == 0);
}

}  // namespace bourse::order

namespace bourse::order {

TEST_CASE("outbox_committed is called after each commit that wrote outbox rows, only then",
          "[order][integration]") {
  std::atomic<int> calls{0};
  std::atomic<bool> committed_before_call{true};
  OrderServiceOptions options;
  testing::OrderFixture* fixture_ptr = nullptr;
  options.outbox_committed = [&] {
    // Called after COMMIT: another session already sees the rows.
    if (fixture_ptr != nullptr && fixture_ptr->rows("order_outbox") == 0) {
      committed_before_call = false;
    }
    ++calls;
  };
  testing::OrderFixture fixture(options);
  fixture_ptr = &fixture;
  fixture.add_user("alice");
  auto accepted = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"));
  REQUIRE(accepted.ok());
  REQUIRE(accepted->http_status == 202);
  CHECK(calls == 1);
  CHECK(committed_before_call);

  // A 422 writes no outbox row: no call.
  OrderRequest unknown = fixture.limit_buy("nobody");
  auto refused = submit_and_wait(*fixture.orders, unknown);
  REQUIRE(refused.ok());
  CHECK(refused->http_status == 422);
  CHECK(calls == 1);

  // A new cancel request writes CancelRequested: one call; asking again writes nothing.
  REQUIRE(fixture.orders->request_cancel(accepted->order_id).ok());
  CHECK(calls == 2);
  REQUIRE(fixture.orders->request_cancel(accepted->order_id).ok());
  CHECK(calls == 2);
}

}  // namespace bourse::order
