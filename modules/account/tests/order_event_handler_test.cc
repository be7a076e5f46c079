// Goal: an OrderCreated event reserves exactly once and announces the outcome exactly
// once in the account outbox (FundsReserved with the amounts, or OrderRejected with the
// reason), in the same transaction; malformed events are errors, not guesses.
#include "bourse/account/order_event_handler.h"

#include <boost/json.hpp>

#include "account_fixture.h"

using bourse::account::OrderEventHandler;
using bourse::account::testing::AccountFixture;
using bourse::account::testing::usd;

namespace {

std::map<std::string, bourse::Instrument> instruments() {
  bourse::Instrument aapl;
  aapl.symbol = "AAPL";
  aapl.tick_size = usd("0.01");
  aapl.reference_price = usd("150");
  aapl.price_band_bps = 1'000;
  return {{"AAPL", aapl}};
}

struct HandlerFixture : AccountFixture {
  std::map<std::string, bourse::Instrument> symbols = instruments();
  bourse::FakeClock clock;
  OrderEventHandler handler{accounts, symbols, "t.account-events", clock};

  bourse::Status apply(const boost::json::object& data) {
    return pool.in_transaction([&](soci::session& session) {
      return handler.apply(session, "OrderCreated", data);
    });
  }
  std::vector<boost::json::object> outbox() {
    std::vector<boost::json::object> events;
    REQUIRE(pool.with_session([&](soci::session& s) {
      soci::rowset<std::string> rows =
          (s.prepare << "SELECT payload FROM account_outbox ORDER BY id");
      for (const auto& payload : rows) events.push_back(boost::json::parse(payload).as_object());
    }).ok());
    return events;
  }
};

boost::json::object order_created(std::int64_t id, const char* user, const char* side,
                                  const char* type, std::int64_t quantity, const char* price) {
  boost::json::object data{{"order_id", id},   {"user_id", user},   {"symbol", "AAPL"},
                           {"side", side},     {"type", type},      {"quantity", quantity},
                           {"time_in_force", std::string(type) == "MARKET" ? "IOC" : "GTC"}};
  if (price != nullptr) data["price"] = price;
  return data;
}

}  // namespace

TEST_CASE("a limit buy reserves once and announces FundsReserved once", "[account][integration]") {
  HandlerFixture f;
  REQUIRE(f.accounts.open_account("alice", usd("10000"), {}).ok());
  auto event = order_created(1, "alice", "BUY", "LIMIT", 10, "150.25");
  REQUIRE(f.apply(event).ok());
  REQUIRE(f.apply(event).ok());  // redelivered: no second reservation, no second event
  auto account = f.accounts.get_account("alice");
  CHECK(account->cash.reserved.to_string() == "1502.5");
  auto events = f.outbox();
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("event_type").as_string() == "FundsReserved");
  const auto& data = events[0].at("data").as_object();
  CHECK(data.at("order_id").as_int64() == 1);
  CHECK(data.at("reserved_cash").as_string() == "1502.5");
  CHECK(data.at("price").as_string() == "150.25");
  CHECK(data.at("quantity").as_int64() == 10);
}

TEST_CASE("a market buy announces its cash cap", "[account][integration]") {
  HandlerFixture f;
  REQUIRE(f.accounts.open_account("bob", usd("10000"), {}).ok());
  REQUIRE(f.apply(order_created(2, "bob", "BUY", "MARKET", 10, nullptr)).ok());
  auto events = f.outbox();
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("data").at("cash_cap").as_string() == "1650");  // 10 x 150 x 1.1
}

TEST_CASE("a sell reserves shares; an unaffordable order is rejected with its reason",
          "[account][integration]") {
  HandlerFixture f;
  REQUIRE(f.accounts.open_account("carol", usd("10"), {{"AAPL", bourse::Quantity::of(5)}}).ok());
  REQUIRE(f.apply(order_created(3, "carol", "SELL", "LIMIT", 5, "150")).ok());
  REQUIRE(f.apply(order_created(4, "carol", "BUY", "LIMIT", 1, "150")).ok());
  REQUIRE(f.apply(order_created(5, "nobody", "BUY", "LIMIT", 1, "150")).ok());
  auto events = f.outbox();
  REQUIRE(events.size() == 3);
  CHECK(events[0].at("event_type").as_string() == "FundsReserved");
  CHECK(events[0].at("data").at("reserved_quantity").as_int64() == 5);
  CHECK(events[1].at("event_type").as_string() == "OrderRejected");
  CHECK(events[1].at("data").at("reason").as_string() == "insufficient_cash");
  CHECK(events[2].at("data").at("reason").as_string() == "unknown_account");
  CHECK(f.accounts.get_account("carol")->cash.reserved.is_zero());
}

TEST_CASE("malformed OrderCreated events are errors and change nothing", "[account][integration]") {
  HandlerFixture f;
  REQUIRE(f.accounts.open_account("dave", usd("10000"), {}).ok());
  auto missing_price = order_created(6, "dave", "BUY", "LIMIT", 1, nullptr);
  CHECK_FALSE(f.apply(missing_price).ok());
  auto unknown_symbol = order_created(7, "dave", "BUY", "LIMIT", 1, "150");
  unknown_symbol["symbol"] = "ZZZZ";
  CHECK_FALSE(f.apply(unknown_symbol).ok());
  auto zero = order_created(8, "dave", "BUY", "LIMIT", 0, "150");
  CHECK_FALSE(f.apply(zero).ok());
  CHECK(f.outbox().empty());
  CHECK(f.accounts.get_account("dave")->cash.reserved.is_zero());
}
