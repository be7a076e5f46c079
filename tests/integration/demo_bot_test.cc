// Goal: `bourse demo` makes a fresh server trade through the public HTTP API only: its
// set-up opens the fixed demo accounts once and tops up one that exists with too little
// (a rerun opens and deposits nothing), and the running bot produces settled trades in
// GET /v1/trades between demo accounts and a non-empty book, never drives a balance
// negative, stops cleanly (exit 0) on SIGTERM and withdraws its quotes (empty books).
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bourse/common/money.h"
#include "bourse_process.h"

using bourse::Amount;
using bourse::testing::BourseProcess;
using bourse::testing::ChildProcess;

namespace {

using namespace std::chrono_literals;

// Bounded waits for asynchronous effects (not timing assertions): generous for slow CI.
constexpr auto kEffectTimeout = 90s;
constexpr auto kExitTimeout = 15s;

const std::vector<std::string> kDemoUsers = {"demo-maker-1", "demo-maker-2", "demo-taker-1",
                                             "demo-taker-2"};

boost::json::object get_json(const BourseProcess& server, const std::string& path) {
  auto client = server.client();
  auto response = client.get(path);
  INFO(path << " -> " << response.status << " " << response.body);
  REQUIRE(response.status == 200);
  return boost::json::parse(response.body).as_object();
}

std::int64_t units(const boost::json::value& value) {
  auto amount = Amount::parse(std::string(value.as_string()));
  REQUIRE(amount.ok());
  return amount->units();
}

std::unique_ptr<ChildProcess> start_demo(const BourseProcess& server,
                                         std::vector<std::string> extra, const std::string& tag) {
  const std::string source = std::getenv("BOURSE_SOURCE_DIR");
  std::vector<std::string> args = {"demo", "--config", source + "/config/bourse.toml", "--port",
                                   std::to_string(server.port()), "--wait-ready", "60"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(
      BOURSE_EXECUTABLE, args,
      bourse::testing::stack_child_env({{"BOURSE_DB_NAME", server.database().name()}}),
      std::string(std::getenv("BOURSE_BINARY_DIR")) + "/demo_" + tag + "_" +
          std::to_string(server.port()) + ".log");
}

// Every balance of every demo account: total, reserved and available are never negative.
void check_balances_non_negative(const BourseProcess& server) {
  for (const std::string& user : kDemoUsers) {
    const auto account = get_json(server, "/v1/accounts/" + user);
    INFO(user << ": " << boost::json::serialize(account));
    const auto& cash = account.at("cash").as_object();
    CHECK(units(cash.at("total")) >= 0);
    CHECK(units(cash.at("reserved")) >= 0);
    CHECK(units(cash.at("available")) >= 0);
    for (const auto& row : account.at("positions").as_array()) {
      const auto& position = row.as_object();
      CHECK(position.at("quantity").as_int64() >= 0);
      CHECK(position.at("reserved").as_int64() >= 0);
      CHECK(position.at("available").as_int64() >= 0);
    }
  }
}

std::string cash_totals(const BourseProcess& server) {
  std::string totals;
  for (const std::string& user : kDemoUsers) {
    const auto account = get_json(server, "/v1/accounts/" + user);
    totals += user + "=" + boost::json::serialize(account) + "\n";
  }
  return totals;
}

}  // namespace

TEST_CASE("bourse demo opens the demo accounts once, trades, fills the book and stops on SIGTERM",
          "[demo]") {
  BourseProcess server;
  REQUIRE(server.wait_ready());

  // demo-taker-2 already exists, nearly empty: the set-up tops it up instead of opening it.
  {
    auto client = server.client();
    auto opened = client.post("/v1/accounts", R"({"user_id":"demo-taker-2","cash":"10"})");
    INFO(opened.body);
    REQUIRE(opened.status == 201);
  }
  // Set-up only, twice: the second run finds the accounts and changes nothing.
  {
    auto setup = start_demo(server, {"--setup-only"}, "setup1");
    INFO(setup->log());
    REQUIRE(setup->wait(kEffectTimeout) == 0);
  }
  const std::string opened = cash_totals(server);
  for (const std::string& user : kDemoUsers) {
    const auto account = get_json(server, "/v1/accounts/" + user);
    INFO(user << ": " << boost::json::serialize(account));
    CHECK(units(account.at("cash").as_object().at("total")) ==
          Amount::parse(user == "demo-taker-2" ? "1000000010" : "1000000000").value().units());
    const auto& positions = account.at("positions").as_array();
    CHECK(positions.size() == 4);  // every configured symbol
    for (const auto& position : positions) CHECK(position.at("quantity").as_int64() > 0);
  }
  {
    auto again = start_demo(server, {"--setup-only"}, "setup2");
    INFO(again->log());
    REQUIRE(again->wait(kEffectTimeout) == 0);
  }
  CHECK(cash_totals(server) == opened);

  // The bot: trades show up, the book fills in.
  auto bot = start_demo(server, {"--symbol", "AAPL", "--symbol", "MSFT"}, "bot");
  const auto deadline = std::chrono::steady_clock::now() + kEffectTimeout;
  bool traded = false;
  bool book_filled = false;
  boost::json::array trades;
  while (std::chrono::steady_clock::now() < deadline && !(traded && book_filled)) {
    REQUIRE(bot->running());
    if (!traded) {
      trades = get_json(server, "/v1/trades?symbol=AAPL&limit=50").at("data").as_array();
      for (const auto& trade : trades) {
        if (!trade.as_object().at("settled_at").is_null()) traded = true;
      }
    }
    if (!book_filled) {
      const auto book = get_json(server, "/v1/market/AAPL/book?depth=10");
      book_filled = !book.at("bids").as_array().empty() && !book.at("asks").as_array().empty();
    }
    std::this_thread::sleep_for(200ms);
  }
  INFO(bot->log());
  REQUIRE(traded);
  REQUIRE(book_filled);
  for (const auto& row : trades) {
    const auto& trade = row.as_object();
    CHECK(std::string(trade.at("buyer").as_string()).rfind("demo-", 0) == 0);
    CHECK(std::string(trade.at("seller").as_string()).rfind("demo-", 0) == 0);
    CHECK(trade.at("buyer") != trade.at("seller"));
  }
  const auto market = get_json(server, "/v1/market/MSFT");
  INFO(boost::json::serialize(market));

  // Let it run a little longer (cancels of old quotes, top-ups), then a clean stop.
  std::this_thread::sleep_for(3s);
  REQUIRE(bot->running());
  bot->signal(SIGTERM);
  REQUIRE(bot->wait(kExitTimeout) == 0);
  CHECK(bot->log().find("demo bot stopped") != std::string::npos);
  check_balances_non_negative(server);
  // Its quotes withdrawn on stop: the books empty out once matching took the cancels.
  for (const std::string symbol : {"AAPL", "MSFT"}) {
    const auto until = std::chrono::steady_clock::now() + kEffectTimeout;
    boost::json::object book;
    do {
      book = get_json(server, "/v1/market/" + symbol + "/book?depth=50");
      if (book.at("bids").as_array().empty() && book.at("asks").as_array().empty()) break;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < until);
    INFO(boost::json::serialize(book));
    CHECK(book.at("bids").as_array().empty());
    CHECK(book.at("asks").as_array().empty());
  }
  // Both symbols traded.
  CHECK_FALSE(get_json(server, "/v1/trades?symbol=MSFT&limit=1").at("data").as_array().empty());
}
