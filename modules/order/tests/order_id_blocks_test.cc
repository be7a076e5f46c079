// OrderIdBlocks (src/order_id_blocks.h) against a real database: ids are unique across
// instances sharing it, ascending within one, and never reused after a restart.
#include "order_id_blocks.h"

#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "bourse/db/connection_pool.h"
#include "order_fixture.h"

namespace bourse::order {
namespace {

TEST_CASE("order id blocks: unique across instances, ascending within one, never reused",
          "[order][integration]") {
  bourse::testing::TestDatabase database;
  db::ConnectionPool first_pool(database.config());
  testing::migrate(first_pool);
  db::ConnectionPool second_pool(database.config());  // another instance
  OrderIdBlocks first(first_pool);
  OrderIdBlocks second(second_pool);
  CHECK(first.available() == 0);

  std::set<std::int64_t> seen;
  std::vector<std::int64_t> first_ids;
  std::vector<std::int64_t> second_ids;
  // Groups of 200 alternately, across several block boundaries of both.
  for (int round = 0; round < 12; ++round) {
    for (auto [blocks, ids] : {std::pair{&first, &first_ids}, std::pair{&second, &second_ids}}) {
      REQUIRE(blocks->reserve(200).ok());
      REQUIRE(blocks->available() >= 200);
      for (int i = 0; i < 200; ++i) {
        const std::int64_t id = blocks->take().value();
        CHECK(seen.insert(id).second);  // unique
        CHECK((ids->empty() || ids->back() < id));  // ascending within one
        ids->push_back(id);
      }
    }
  }
  CHECK(*seen.begin() >= 1);

  // A restarted instance starts above every id handed out so far by anyone.
  OrderIdBlocks restarted(first_pool);
  REQUIRE(restarted.reserve(1).ok());
  CHECK(restarted.take().value() > *seen.rbegin());

  // A reservation larger than what is left drops the rest and takes a fresh block.
  REQUIRE(restarted.reserve(static_cast<std::size_t>(kOrderIdBlockSize)).ok());
  CHECK(restarted.available() == static_cast<std::size_t>(kOrderIdBlockSize));
}

TEST_CASE("order id blocks: an unreachable database is an error, and nothing is handed out",
          "[order][integration]") {
  db::ConnectionPool pool(testing::unreachable_db_config());
  OrderIdBlocks blocks(pool);
  const Status reserved = blocks.reserve(1);
  REQUIRE_FALSE(reserved.ok());
  CHECK(reserved.error().code == ErrorCode::kUnavailable);
  CHECK(blocks.available() == 0);
}

TEST_CASE("a database migrated with orders in it hands out ids above them",
          "[order][integration]") {
  bourse::testing::TestDatabase database;
  db::ConnectionPool pool(database.config());
  testing::migrate(pool);
  // Back to the schema before migrations/0205 (orders numbered by AUTO_INCREMENT), with an
  // order in it; migrating again runs 0205 on it.
  soci::session session(soci::mysql, database.config().connection_string());
  session << "INSERT INTO orders (order_id, user_id, symbol, side, order_type, time_in_force,"
             " quantity, price_units, status) VALUES (5000, 'alice', 'AAPL', 'BUY', 'LIMIT',"
             " 'GTC', 1, 1000000, 'PENDING')";
  session << "DROP TABLE order_id_blocks";
  session << "DELETE FROM schema_migrations WHERE version = 205";
  testing::migrate(pool);
  OrderIdBlocks blocks(pool);
  REQUIRE(blocks.reserve(1).ok());
  CHECK(blocks.take().value() == 5001);
}

}  // namespace
}  // namespace bourse::order
