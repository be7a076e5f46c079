// Goal: random ids are well-formed version-4 UUIDs, distinct within and across threads.
#include "bourse/common/uuid.h"

#include <catch2/catch.hpp>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}, without <regex>
// (GCC 12's <regex> trips -Wmaybe-uninitialized in sanitizer builds).
bool is_uuid_v4(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return id[14] == '4' && (id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

}  // namespace

TEST_CASE("random ids are distinct version-4 UUIDs", "[uuid]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    std::string id = bourse::random_uuid_v4();
    REQUIRE(is_uuid_v4(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 10'000);
}

TEST_CASE("threads draw distinct ids (each thread seeds its own generator)", "[uuid]") {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1'000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(bourse::random_uuid_v4());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& list : ids) all.insert(list.begin(), list.end());
  CHECK(all.size() == kThreads * kPerThread);
}

TEST_CASE("the version and variant bits are the only fixed ones", "[uuid]") {
  // Over many ids every other hex position takes more than one value.
  std::vector<std::set<char>> values(36);
  for (int i = 0; i < 1'000; ++i) {
    const std::string id = bourse::random_uuid_v4();
    for (std::size_t p = 0; p < id.size(); ++p) values[p].insert(id[p]);
  }
  for (std::size_t p = 0; p < values.size(); ++p) {
    INFO(p);
    const bool fixed = p == 8 || p == 13 || p == 14 || p == 18 || p == 23;
    CHECK((values[p].size() == 1) == fixed);
  }
  CHECK(values[19].size() == 4);  // 8, 9, a or b
}
