// Goal: the shared readers of event fields accept exactly the kernel's valid values and
// answer kMalformed, naming the field, for anything else.
#include "bourse/envelope/event_fields.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

namespace bourse::envelope {
namespace {

boost::json::object data(const char* text) { return boost::json::parse(text).as_object(); }

}  // namespace

TEST_CASE("event field readers accept valid values", "[envelope][fields]") {
  const auto d = data(R"({"order_id":7,"user_id":"alice","symbol":"AAPL","side":"SELL",)"
                      R"("price":"150.25","quantity":0})");
  OrderId id;
  std::string user, symbol;
  REQUIRE(read_order_identity(d, id, user, symbol).ok());
  CHECK(id == OrderId(7));
  CHECK(user == "alice");
  CHECK(symbol == "AAPL");
  CHECK(*read_side(d, "side") == Side::kSell);
  CHECK(read_positive_amount(d, "price")->to_string() == "150.25");
  CHECK(read_quantity(d, "quantity", 0)->value() == 0);
}

TEST_CASE("event field readers refuse wrong shapes and out-of-range values",
          "[envelope][fields]") {
  const auto d = data(R"({"id":0,"neg":-3,"user":"","symbol":"aapl!","side":"HOLD",)"
                      R"("price":"0","text":"7","quantity":0})");
  auto malformed = [](const auto& result, std::string_view field) {
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kMalformed);
    CHECK(result.error().message.find(std::string(field)) != std::string::npos);
  };
  malformed(read_positive_id(d, "id"), "id");
  malformed(read_positive_id(d, "neg"), "neg");
  malformed(read_positive_id(d, "missing"), "missing");
  malformed(read_positive_id(d, "text"), "text");  // a string is not an integer
  malformed(read_user_id(d, "user"), "user");
  malformed(read_symbol(d), "symbol");
  malformed(read_side(d, "side"), "side");
  malformed(read_positive_amount(d, "price"), "price");
  malformed(read_quantity(d, "quantity", 1), "quantity");
  OrderId id;
  std::string user, symbol;
  CHECK_FALSE(read_order_identity(data(R"({"order_id":1,"user_id":"a"})"), id, user, symbol).ok());
}

}  // namespace bourse::envelope
