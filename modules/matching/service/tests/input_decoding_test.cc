// Goal: an order-events message becomes exactly the shard input it describes, and any
// message that is not one (bad JSON, another event type, invalid fields) is refused the
// same way every time - the basis of "dead-lettered live, skipped in replay".
#include "input_decoding.h"

#include <catch2/catch.hpp>

#include "bourse/order/events.h"

namespace bourse::matching::service {
namespace {

template <typename Event>
std::string envelope_of(const Event& event) {
  return envelope::serialize(envelope::Envelope{
      "e-1", std::string(Event::kType), Event::kVersion, "2026-12-01T00:00:00.000000Z",
      std::string(Event::kAggregateType), event.aggregate_id(), event.to_json()});
}

order::OrderCreated limit_buy() {
  order::OrderCreated created;
  created.order_id = OrderId(7);
  created.user_id = "alice";
  created.symbol = "AAPL";
  created.side = Side::kBuy;
  created.type = OrderType::kLimit;
  created.time_in_force = TimeInForce::kGtc;
  created.quantity = Quantity::of(10);
  created.price = Amount::parse("150.25").value();
  created.reserved_cash = Amount::parse("1502.5").value();
  return created;
}

TEST_CASE("an OrderCreated becomes a place input with its terms", "[matching_service]") {
  auto decoded = decode_input(envelope_of(limit_buy()));
  REQUIRE(decoded.ok());
  const auto* place = std::get_if<PlaceInput>(&*decoded);
  REQUIRE(place != nullptr);
  CHECK(place->order_id == OrderId(7));
  CHECK(place->user_id == "alice");
  CHECK(place->symbol == "AAPL");
  CHECK(place->side == Side::kBuy);
  CHECK(place->quantity == Quantity::of(10));
  CHECK(place->price == Amount::parse("150.25").value());
  CHECK_FALSE(place->cash_cap.has_value());
}

TEST_CASE("a CancelRequested becomes a cancel input", "[matching_service]") {
  order::CancelRequested cancel{OrderId(9), "bob", "MSFT"};
  auto decoded = decode_input(envelope_of(cancel));
  REQUIRE(decoded.ok());
  const auto* input = std::get_if<CancelInput>(&*decoded);
  REQUIRE(input != nullptr);
  CHECK(input->order_id == OrderId(9));
  CHECK(input->user_id == "bob");
  CHECK(input->symbol == "MSFT");
}

TEST_CASE("messages that are not order inputs are refused as malformed", "[matching_service]") {
  CHECK(decode_input("not json").error().code == ErrorCode::kMalformed);
  auto other = envelope::serialize(envelope::Envelope{
      "e-2", "SomethingElse", 1, "2026-12-01T00:00:00.000000Z", "order", "1", {{"x", 1}}});
  CHECK(decode_input(other).error().code == ErrorCode::kMalformed);
  auto created = limit_buy();
  auto json = created.to_json();
  json.erase("symbol");
  auto broken = envelope::serialize(envelope::Envelope{
      "e-3", "OrderCreated", 1, "2026-12-01T00:00:00.000000Z", "order", "7", json});
  CHECK(decode_input(broken).error().code == ErrorCode::kMalformed);
}

}  // namespace
}  // namespace bourse::matching::service
