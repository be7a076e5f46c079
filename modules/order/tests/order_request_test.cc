// Goal: every validation rule of an order request is enforced with its documented error
// code and reason, shape errors (400) are told apart from value errors (422), and
// defaults are filled in.
#include "bourse/order/order_request.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "order_test_instruments.h"

namespace bourse::order {
namespace {

const InstrumentTable& instruments() {
  static const InstrumentTable table = testing::test_instruments();
  return table;
}

Result<OrderRequest> parse(const std::string& json) {
  return parse_order_request(boost::json::parse(json).as_object(), instruments());
}

// The body of a valid LIMIT BUY with one field replaced (or removed with "").
std::string limit_with(const std::string& field, const std::string& value) {
  boost::json::object body{{"user_id", "alice"}, {"symbol", "AAPL"}, {"side", "BUY"},
                           {"type", "LIMIT"},    {"quantity", 10},   {"price", "150.25"}};
  if (value.empty()) {
    body.erase(field);
  } else {
    body[field] = boost::json::parse(value);
  }
  return boost::json::serialize(body);
}

void check_error(const Result<OrderRequest>& result, ErrorCode code, const std::string& reason) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == code);
  CHECK(result.error().reason == reason);
}

}  // namespace

TEST_CASE("a valid LIMIT order is parsed with its defaults", "[order][validation]") {
  auto request = parse(limit_with("price", "\"150.25\""));
  REQUIRE(request.ok());
  CHECK(request->user_id == "alice");
  CHECK(request->symbol == "AAPL");
  CHECK(request->side == Side::kBuy);
  CHECK(request->type == OrderType::kLimit);
  CHECK(request->time_in_force == TimeInForce::kGtc);
  CHECK(request->quantity.value() == 10);
  REQUIRE(request->price.has_value());
  CHECK(request->price->to_string() == "150.25");
  CHECK(validate_order_request(*request, instruments()).ok());
}

TEST_CASE("a MARKET order defaults to IOC and takes no price", "[order][validation]") {
  auto request =
      parse(R"({"user_id":"bob","symbol":"AAPL","side":"SELL","type":"MARKET","quantity":5})");
  REQUIRE(request.ok());
  CHECK(request->time_in_force == TimeInForce::kIoc);
  CHECK_FALSE(request->price.has_value());
  auto fok = parse(
      R"({"user_id":"bob","symbol":"AAPL","side":"SELL","type":"MARKET","quantity":5,"time_in_force":"FOK"})");
  REQUIRE(fok.ok());
  CHECK(fok->time_in_force == TimeInForce::kFok);
}

TEST_CASE("shape errors are 400", "[order][validation]") {
  for (const char* field : {"user_id", "symbol", "side", "type", "quantity", "price"}) {
    INFO(field);
    if (std::string(field) == "price") {
      check_error(parse(limit_with(field, "")), ErrorCode::kInvalidArgument, "missing_price");
    } else {
      check_error(parse(limit_with(field, "")), ErrorCode::kMalformed, "missing_field");
    }
  }
  check_error(parse(limit_with("user_id", "42")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("symbol", "[]")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("side", "true")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("type", "{}")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("quantity", "\"10\"")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("quantity", "10.0")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("quantity", "1.5")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("price", "150.25")), ErrorCode::kMalformed, "wrong_type");
  check_error(parse(limit_with("time_in_force", "1")), ErrorCode::kMalformed, "wrong_type");
}

TEST_CASE("value errors are 422 with their own reason", "[order][validation]") {
  check_error(parse(limit_with("symbol", "\"MSFT\"")), ErrorCode::kInvalidArgument,
              "unknown_symbol");
  check_error(parse(limit_with("symbol", "\"aapl\"")), ErrorCode::kInvalidArgument,
              "unknown_symbol");
  check_error(parse(limit_with("user_id", "\"\"")), ErrorCode::kInvalidArgument, "invalid_user_id");
  check_error(parse(limit_with("user_id", "\"a b\"")), ErrorCode::kInvalidArgument,
              "invalid_user_id");
  check_error(parse(limit_with("user_id", "\"" + std::string(65, 'a') + "\"")),
              ErrorCode::kInvalidArgument, "invalid_user_id");
  check_error(parse(limit_with("side", "\"buy\"")), ErrorCode::kInvalidArgument, "invalid_side");
  check_error(parse(limit_with("type", "\"STOP\"")), ErrorCode::kInvalidArgument,
              "invalid_order_type");
  check_error(parse(limit_with("time_in_force", "\"DAY\"")), ErrorCode::kInvalidArgument,
              "invalid_time_in_force");
  check_error(parse(limit_with("quantity", "0")), ErrorCode::kInvalidArgument, "invalid_quantity");
  check_error(parse(limit_with("quantity", "-5")), ErrorCode::kInvalidArgument, "invalid_quantity");
  check_error(parse(limit_with("quantity", "1000001")), ErrorCode::kInvalidArgument,
              "quantity_too_large");
  check_error(parse(limit_with("quantity", "9223372036854775807")), ErrorCode::kInvalidArgument,
              "quantity_too_large");
  check_error(parse(limit_with("quantity", "18446744073709551615")), ErrorCode::kInvalidArgument,
              "quantity_too_large");
  check_error(parse(limit_with("price", "\"150.255\"")), ErrorCode::kInvalidArgument,
              "off_tick_price");
  check_error(parse(limit_with("price", "\"150.12345\"")), ErrorCode::kInvalidArgument,
              "amount_scale");
  check_error(parse(limit_with("price", "\"1.5e2\"")), ErrorCode::kInvalidArgument,
              "invalid_amount");
  check_error(parse(limit_with("price", "\"abc\"")), ErrorCode::kInvalidArgument, "invalid_amount");
  check_error(parse(limit_with("price", "\"0\"")), ErrorCode::kInvalidArgument, "invalid_price");
  check_error(parse(limit_with("price", "\"-150\"")), ErrorCode::kInvalidArgument, "invalid_price");
  check_error(parse(limit_with("price", "\"134.99\"")), ErrorCode::kInvalidArgument,
              "price_outside_band");
  check_error(parse(limit_with("price", "\"165.01\"")), ErrorCode::kInvalidArgument,
              "price_outside_band");
  CHECK(parse(limit_with("price", "\"135\"")).ok());
  CHECK(parse(limit_with("price", "\"165\"")).ok());
  CHECK(parse(limit_with("price", "null")).error().reason == "missing_price");
}

TEST_CASE("lot size, MARKET price and MARKET GTC rules", "[order][validation]") {
  check_error(
      parse(
          R"({"user_id":"u","symbol":"LOTS","side":"BUY","type":"LIMIT","quantity":150,"price":"20"})"),
      ErrorCode::kInvalidArgument, "invalid_lot");
  CHECK(
      parse(
          R"({"user_id":"u","symbol":"LOTS","side":"BUY","type":"LIMIT","quantity":200,"price":"20.5"})")
          .ok());
  check_error(
      parse(
          R"({"user_id":"u","symbol":"LOTS","side":"BUY","type":"LIMIT","quantity":10100,"price":"20"})"),
      ErrorCode::kInvalidArgument, "quantity_too_large");
  check_error(
      parse(
          R"({"user_id":"u","symbol":"LOTS","side":"BUY","type":"LIMIT","quantity":100,"price":"20.25"})"),
      ErrorCode::kInvalidArgument, "off_tick_price");
  check_error(
      parse(
          R"({"user_id":"u","symbol":"AAPL","side":"BUY","type":"MARKET","quantity":1,"price":"150"})"),
      ErrorCode::kInvalidArgument, "unexpected_price");
  check_error(
      parse(
          R"({"user_id":"u","symbol":"AAPL","side":"BUY","type":"MARKET","quantity":1,"time_in_force":"GTC"})"),
      ErrorCode::kInvalidArgument, "invalid_time_in_force");
}

TEST_CASE("validate_order_request re-checks a built request", "[order][validation]") {
  OrderRequest request;
  request.user_id = "alice";
  request.symbol = "AAPL";
  request.quantity = Quantity::of(10);
  request.price = Amount::parse("150").value();
  CHECK(validate_order_request(request, instruments()).ok());
  request.symbol = "NOPE";
  CHECK(validate_order_request(request, instruments()).error().reason == "unknown_symbol");
  request.symbol = "AAPL";
  request.quantity = Quantity::of(0);
  CHECK(validate_order_request(request, instruments()).error().reason == "invalid_quantity");
  request.quantity = Quantity::of(1);
  request.price.reset();
  CHECK(validate_order_request(request, instruments()).error().reason == "missing_price");
}

// A reference price source fixed at one price for AAPL (what a live source reports).
class FixedReference final : public ReferencePriceSource {
 public:
  explicit FixedReference(const char* price) : price_(Amount::parse(price).value()) {}
  Amount reference_price(const Instrument& instrument) const override {
    return instrument.symbol == "AAPL" ? price_ : instrument.reference_price;
  }

 private:
  Amount price_;
};

TEST_CASE("the band is centred on the source's current reference, not the configured one",
          "[order][validation]") {
  const FixedReference moved("200");  // band [180, 220] instead of [135, 165]
  auto parse_with = [&](const std::string& price) {
    return parse_order_request(boost::json::parse(limit_with("price", price)).as_object(),
                               instruments(), moved);
  };
  CHECK(parse_with(R"("200")").ok());
  CHECK(parse_with(R"("180")").ok());
  CHECK(parse_with(R"("220")").ok());
  check_error(parse_with(R"("150")"), ErrorCode::kInvalidArgument, "price_outside_band");
  check_error(parse_with(R"("179.99")"), ErrorCode::kInvalidArgument, "price_outside_band");
  check_error(parse_with(R"("220.01")"), ErrorCode::kInvalidArgument, "price_outside_band");
  CHECK(parse(limit_with("price", R"("150")")).ok());  // the default: configuration

  OrderRequest request;
  request.user_id = "alice";
  request.symbol = "AAPL";
  request.quantity = Quantity::of(10);
  request.price = Amount::parse("150").value();
  CHECK(validate_order_request(request, instruments()).ok());
  CHECK(validate_order_request(request, instruments(), moved).error().reason ==
        "price_outside_band");
}

TEST_CASE("terms round-trip through their wire spellings", "[order][terms]") {
  for (auto status :
       {OrderStatus::kPending, OrderStatus::kRejected, OrderStatus::kOpen,
        OrderStatus::kPartiallyFilled, OrderStatus::kFilled, OrderStatus::kCancelled}) {
    CHECK(parse_order_status(to_string(status)) == status);
  }
  CHECK_FALSE(parse_order_status("pending").has_value());
  CHECK(is_terminal(OrderStatus::kRejected));
  CHECK(is_terminal(OrderStatus::kFilled));
  CHECK(is_terminal(OrderStatus::kCancelled));
  CHECK_FALSE(is_terminal(OrderStatus::kPending));
  CHECK_FALSE(is_terminal(OrderStatus::kPartiallyFilled));
}

}  // namespace bourse::order
