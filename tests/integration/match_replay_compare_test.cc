// Goal: the whole service matches exactly like the pure engine. A seeded random stream of
// orders and cancels (limit GTC / IOC / FOK and market orders, both sides, several users,
// prices around the reference) goes through the real process over HTTP; once everything is
// quiet, the journal (order-events, in Kafka order per partition) is fed to a fresh pure
// ShardState per partition, and its TradeExecuted list must equal the trades the service
// recorded, trade by trade (id, price, quantity, buy and sell order).
#include <soci/soci.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <tuple>

#include "bourse/db/connection_pool.h"
#include "bourse/matching/shard_state.h"
#include "bourse_process.h"
#include "config/config.h"
#include "input_decoding.h"
#include "topic_reader.h"
#include "unpublished_rows.h"

using bourse::testing::BourseProcess;

namespace {

using namespace std::chrono_literals;
using Trade = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

constexpr int kOrders = 400;
constexpr int kUsers = 6;

long long scalar(bourse::db::ConnectionPool& pool, const std::string& sql) {
  long long n = -1;
  REQUIRE(pool.with_session([&](soci::session& s) { s << sql, soci::into(n); }).ok());
  return n;
}

}  // namespace

TEST_CASE("trades through the service equal the pure engine's on the same journal",
          "[e2e][integration]") {
  BourseProcess process;
  INFO(process.process().log());
  REQUIRE(process.wait_ready());
  bourse::db::ConnectionPool pool(process.database().config());
  auto client = process.client();
  for (int u = 0; u < kUsers; ++u) {
    REQUIRE(client.post("/v1/accounts", R"({"user_id":"r)" + std::to_string(u) +
                                            R"(","cash":"100000000","positions":{"AAPL":100000}})")
                .status == 201);
  }

  std::mt19937_64 random(20261201);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
  std::vector<std::int64_t> ids;
  int cancels = 0;
  for (int i = 0; i < kOrders; ++i) {
    if (!ids.empty() && pick(10) == 0) {  // ~10%: cancel an earlier order (maybe done already)
      const auto status =
          client.request("DELETE", "/v1/orders/" + std::to_string(ids[pick(static_cast<int>(ids.size()))]))
              .status;
      CHECK((status == 202 || status == 409));
      ++cancels;
      continue;
    }
    const bool buy = pick(2) == 0;
    const bool market = pick(10) == 0;
    const int tif = pick(10);  // 0: IOC, 1: FOK, else GTC
    std::string body = R"({"user_id":"r)" + std::to_string(pick(kUsers)) +
                       R"(","symbol":"AAPL","side":")" + (buy ? "BUY" : "SELL") + R"(","type":")" +
                       (market ? "MARKET" : "LIMIT") + R"(","quantity":)" +
                       std::to_string(1 + pick(20));
    if (!market) {
      const int cents = 14'800 + pick(400);  // 148.00 .. 151.99
      body += R"(,"price":")" + std::to_string(cents / 100) + "." +
              (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100) + R"(")";
      body += std::string(R"(,"time_in_force":")") + (tif == 0 ? "IOC" : tif == 1 ? "FOK" : "GTC") + R"(")";
    }
    body += "}";
    auto response = client.post("/v1/orders", body);
    INFO(body << " -> " << response.body);
    REQUIRE(response.status == 202);
    ids.push_back(boost::json::parse(response.body).at("order_id").as_int64());
  }

  // Quiet: every order past PENDING, every trade settled, every outbox published.
  const auto quiet = [&] {
    return scalar(pool, "SELECT COUNT(*) FROM orders WHERE status = 'PENDING'") == 0 &&
           scalar(pool, "SELECT COUNT(*) FROM trades WHERE settled_at IS NULL") == 0 &&
           scalar(pool, bourse::testing::count_unpublished_rows_sql()) == 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!quiet() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  REQUIRE(quiet());

  // The service's trades.
  std::vector<Trade> recorded;
  REQUIRE(pool.with_session([&](soci::session& s) {
                soci::rowset<soci::row> rows =
                    s.prepare << "SELECT trade_id, price_units, quantity, buy_order_id, "
                                 "sell_order_id FROM trades ORDER BY trade_id";
                for (const auto& row : rows) {
                  recorded.emplace_back(row.get<long long>(0), row.get<long long>(1),
                                        row.get<long long>(2), row.get<long long>(3),
                                        row.get<long long>(4));
                }
              })
              .ok());
  REQUIRE(recorded.size() > 10);  // the stream does trade

  // The pure engine on the journal: every OrderCreated / CancelRequested in Kafka order.
  const long long events = scalar(pool, "SELECT COUNT(*) FROM order_outbox");
  auto messages = bourse::testing::read_topic(process.topic_prefix() + "order-events",
                                              static_cast<std::size_t>(events), 30s);
  REQUIRE(messages.size() >= static_cast<std::size_t>(events));
  std::map<std::int32_t, std::vector<const bourse::kafka::Message*>> by_partition;
  for (const auto& message : messages) by_partition[message.partition].push_back(&message);

  bourse::config::Source source;
  source.config_file = std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/config/bourse.toml";
  auto config = bourse::config::load(source);
  REQUIRE(config.ok());
  std::vector<bourse::Instrument> instruments;
  for (const auto& [symbol, instrument] : config->symbols) instruments.push_back(instrument);

  std::vector<Trade> replayed;
  for (auto& [partition, list] : by_partition) {
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->offset < b->offset; });
    bourse::matching::ShardState shard(partition, instruments, 0);
    std::vector<bourse::matching::ShardOutput> outputs;
    for (const auto* message : list) {
      auto input = bourse::matching::service::decode_input(message->value);
      REQUIRE(input.ok());
      shard.apply(message->offset, *input, outputs);
    }
    for (const auto& output : outputs) {
      if (const auto* trade = std::get_if<bourse::matching::events::TradeExecuted>(&output.event)) {
        replayed.emplace_back(trade->trade_id.value(), trade->price.units(),
                              trade->quantity.value(), trade->buy_order_id.value(),
                              trade->sell_order_id.value());
      }
    }
  }
  std::sort(replayed.begin(), replayed.end());
  INFO(recorded.size() << " trades recorded, " << replayed.size() << " replayed, " << cancels
                       << " cancels sent");
  REQUIRE(replayed.size() == recorded.size());
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    INFO("trade " << i);
    CHECK(replayed[i] == recorded[i]);
  }
}
