// Goal: the open-addressing id index behaves like a map under heavy churn.
#include "bourse/matching/id_index.h"

#include <catch2/catch.hpp>

#include <map>

namespace bourse::matching {
namespace {

TEST_CASE("IdIndex matches std::map under random inserts and erases", "[matching][index]") {
  IdIndex index;
  std::map<std::int64_t, std::uint32_t> model;
  std::uint64_t state = 1;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  CHECK(index.find(5) == IdIndex::kNotFound);
  CHECK_FALSE(index.erase(5));
  for (int step = 0; step < 200'000; ++step) {
    const std::int64_t key = 1 + static_cast<std::int64_t>(next() % 5'000);
    if (next() % 2 == 0) {
      if (!model.count(key)) {
        const auto value = static_cast<std::uint32_t>(step);
        index.insert(key, value);
        model[key] = value;
      }
    } else {
      CHECK(index.erase(key) == (model.erase(key) == 1));
    }
    if (step % 1'000 == 0) {
      REQUIRE(index.size() == model.size());
      CHECK(index.capacity() >= 2 * index.size());
      for (std::int64_t probe = 1; probe <= 5'000; ++probe) {
        const auto it = model.find(probe);
        REQUIRE(index.find(probe) == (it == model.end() ? IdIndex::kNotFound : it->second));
      }
    }
  }
}

TEST_CASE("IdIndex reserve avoids growth", "[matching][index]") {
  IdIndex index;
  index.reserve(1'000);
  const auto capacity = index.capacity();
  for (std::int64_t id = 1; id <= 1'000; ++id) index.insert(id * 1'000'003, 0);
  CHECK(index.capacity() == capacity);
  CHECK(index.size() == 1'000);
}

}  // namespace
}  // namespace bourse::matching
