// Goal: account events move the order status exactly as the status machine says, each
// event is idempotent, and an event for an unknown order is a kNotFound error.
#include "bourse/order/account_event_applier.h"

#include <boost/json/parse.hpp>

#include "order_fixture.h"

namespace bourse::order {
namespace {

using testing::OrderFixture;
using testing::submit_and_wait;

Status apply(OrderFixture& fixture, std::string_view type, const std::string& json) {
  const boost::json::object data = boost::json::parse(json).as_object();
  Status status = fixture.pool.in_transaction(
      [&](soci::session& session) { return apply_account_event(session, type, data); });
  if (!status) UNSCOPED_INFO(type << ": " << status.error().message);
  return status;
}

std::string rejected(long long id) {
  return R"({"order_id":)" + std::to_string(id) +
         R"(,"user_id":"alice","symbol":"AAPL","reason":"insufficient_cash"})";
}

}  // namespace

TEST_CASE("OrderRejected moves PENDING to REJECTED once", "[order][integration][events]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  const OrderId id = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"))->order_id;
  REQUIRE(apply(fixture, "OrderRejected", rejected(id.value())).ok());
  auto order = fixture.orders->get_order(id);
  REQUIRE(order.ok());
  CHECK(order->status == OrderStatus::kRejected);
  CHECK(order->reject_reason == "insufficient_cash");
  const auto updated_at = order->updated_at;
  // Again: nothing changes.
  REQUIRE(apply(fixture, "OrderRejected", rejected(id.value())).ok());
  auto again = fixture.orders->get_order(id);
  CHECK(again->status == OrderStatus::kRejected);
  CHECK(again->updated_at == updated_at);
  // A REJECTED order is terminal for cancels.
  CHECK(fixture.orders->request_cancel(id).error().reason == "order_not_cancellable");
}

TEST_CASE("FundsReserved records the reservation and keeps PENDING",
          "[order][integration][events]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  const OrderId id = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"))->order_id;
  const std::string event =
      R"({"order_id":)" + std::to_string(id.value()) +
      R"(,"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT",)"
      R"("quantity":10,"price":"150","time_in_force":"GTC","reserved_cash":"1500"})";
  REQUIRE(apply(fixture, "FundsReserved", event).ok());
  auto order = fixture.orders->get_order(id);
  CHECK(order->status == OrderStatus::kPending);
  REQUIRE(order->reserved_cash.has_value());
  CHECK(order->reserved_cash->to_string() == "1500");
  CHECK_FALSE(order->cash_cap.has_value());
  const auto updated_at = order->updated_at;
  REQUIRE(apply(fixture, "FundsReserved", event).ok());
  CHECK(fixture.orders->get_order(id)->updated_at == updated_at);
}

TEST_CASE("bad account events are errors, other types are ignored",
          "[order][integration][events]") {
  OrderFixture fixture;
  fixture.add_user("alice");
  const OrderId id = submit_and_wait(*fixture.orders, fixture.limit_buy("alice"))->order_id;
  auto unknown = apply(fixture, "OrderRejected", rejected(424242));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == ErrorCode::kNotFound);
  CHECK(apply(fixture, "OrderRejected", R"({"reason":"x"})").error().code == ErrorCode::kMalformed);
  CHECK(apply(fixture, "OrderRejected",
              R"({"order_id":)" + std::to_string(id.value()) +
                  R"(,"user_id":"mallory","reason":"x"})")
            .error()
            .code == ErrorCode::kMalformed);
  CHECK(apply(fixture, "TradeSettled", R"({"order_id":1})").ok());
  CHECK(fixture.orders->get_order(id)->status == OrderStatus::kPending);
}

}  // namespace bourse::order
