// Goal: the request hash is equal exactly when two requests mean the same order, whatever
// the JSON spelling, and differs when any term differs.
#include "bourse/order/request_hash.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "bourse/order/order.h"
#include "order_test_instruments.h"

namespace bourse::order {
namespace {

std::string hash_of(const std::string& json) {
  static const InstrumentTable table = testing::test_instruments();
  auto request = parse_order_request(boost::json::parse(json).as_object(), table);
  REQUIRE(request.ok());
  return request_hash(*request);
}

}  // namespace

TEST_CASE("equal requests hash equal, whatever their JSON spelling", "[order][hash]") {
  const std::string base = hash_of(
      R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150.5"})");
  CHECK(base.size() == 40);
  CHECK(base.find_first_not_of("0123456789abcdef") == std::string::npos);
  // Field order, spacing, canonical price and the defaulted time in force do not matter.
  CHECK(hash_of(R"({ "price" : "150.50", "quantity":10, "type":"LIMIT","side":"BUY",
                     "symbol":"AAPL","user_id":"alice","time_in_force":"GTC"})") == base);
}

TEST_CASE("any different term changes the hash", "[order][hash]") {
  const std::string base = hash_of(
      R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150.5"})");
  for (
      const char* other :
      {R"({"user_id":"alicf","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150.5"})",
       R"({"user_id":"alice","symbol":"LOTS","side":"BUY","type":"LIMIT","quantity":100,"price":"20"})",
       R"({"user_id":"alice","symbol":"AAPL","side":"SELL","type":"LIMIT","quantity":10,"price":"150.5"})",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"MARKET","quantity":10})",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":11,"price":"150.5"})",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150.51"})",
       R"({"user_id":"alice","symbol":"AAPL","side":"BUY","type":"LIMIT","quantity":10,"price":"150.5","time_in_force":"IOC"})"}) {
    INFO(other);
    CHECK(hash_of(other) != base);
  }
}

TEST_CASE("the canonical text names every term", "[order][hash]") {
  OrderRequest request;
  request.user_id = "u1";
  request.symbol = "AAPL";
  request.side = Side::kSell;
  request.type = OrderType::kMarket;
  request.time_in_force = TimeInForce::kFok;
  request.quantity = Quantity::of(3);
  CHECK(canonical_request_text(request) == "v1|u1|AAPL|SELL|MARKET|FOK|3|");
  request.type = OrderType::kLimit;
  request.price = Amount::parse("12.3400").value();
  CHECK(canonical_request_text(request) == "v1|u1|AAPL|SELL|LIMIT|FOK|3|12.34");
}

TEST_CASE("average price rounds to the nearest 0.0001", "[order][average]") {
  Order order;
  order.quantity = Quantity::of(10);
  CHECK_FALSE(order.average_price().has_value());
  order.filled_quantity = Quantity::of(3);
  order.filled_notional = Amount::parse("301").value();  // 100.3333.. -> 100.3333
  CHECK(order.average_price()->to_string() == "100.3333");
  order.filled_notional = Amount::parse("302").value();  // 100.6666.. -> 100.6667
  CHECK(order.average_price()->to_string() == "100.6667");
  CHECK(order.remaining_quantity().value() == 7);
}

}  // namespace bourse::order
