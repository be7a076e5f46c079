#include "cpu_usage.h"

#include <catch2/catch.hpp>
#include <chrono>

using bourse::bench::parse_cpu_pids;
using bourse::bench::stat_cpu_ticks;

TEST_CASE("--cpu-pids parses names with one or several pids", "[loadgen]") {
  const auto groups = parse_cpu_pids("bourse=12+13,mariadb=456,kafka=7");
  REQUIRE(groups.has_value());
  REQUIRE(groups->size() == 3);
  CHECK((*groups)[0].name == "bourse");
  CHECK((*groups)[0].pids == std::vector<int>{12, 13});
  CHECK((*groups)[1].pids == std::vector<int>{456});
  CHECK((*groups)[2].name == "kafka");
}

TEST_CASE("--cpu-pids refuses what is not name=pid", "[loadgen]") {
  for (const char* bad : {"bourse", "=12", "bourse=", "bourse=12+", "bourse=x", "bourse=-3",
                          "bourse=0", "bourse=12,", "bourse=1234567890"}) {
    INFO(bad);
    CHECK_FALSE(parse_cpu_pids(bad).has_value());
  }
}

TEST_CASE("utime + stime are read after the last parenthesis of the command", "[loadgen]") {
  // Fields 14 and 15 are 250 and 50; the command holds a space and a ')'.
  const std::string stat =
      "4242 (a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 0 0";
  CHECK(stat_cpu_ticks(stat) == 300);
  CHECK(stat_cpu_ticks("4242 (x) S 1 2") == std::nullopt);
  CHECK(stat_cpu_ticks("no parenthesis") == std::nullopt);
}

TEST_CASE("this process's own CPU is readable and grows", "[loadgen]") {
  const auto before = bourse::bench::cpu_seconds(static_cast<int>(::getpid()));
  REQUIRE(before.has_value());
  // Spin until the clock-tick counter moves (10 ms at 100 Hz), at most ~2 s of wall time.
  std::optional<double> after = before;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  volatile unsigned long long spin = 0;
  while (after.has_value() && *after <= *before && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1'000'000; ++i) spin = spin + 1;
    after = bourse::bench::cpu_seconds(static_cast<int>(::getpid()));
  }
  REQUIRE(after.has_value());
  CHECK(*after > *before);
  CHECK_FALSE(bourse::bench::cpu_seconds(0).has_value());
}

TEST_CASE("steal is read from /proc/stat's cpu line and reported as a share", "[loadgen]") {
  const auto ticks = bourse::bench::parse_machine_ticks("cpu  100 0 50 800 10 0 10 30 0 0");
  REQUIRE(ticks.has_value());
  CHECK(ticks->total == 1000);
  CHECK(ticks->steal == 30);
  CHECK_FALSE(bourse::bench::parse_machine_ticks("cpu0 1 2 3 4 5 6 7 8").has_value());
  CHECK_FALSE(bourse::bench::parse_machine_ticks("cpu  1 2 3").has_value());
  CHECK_FALSE(bourse::bench::parse_machine_ticks("cpu  1 2 x 4 5 6 7 8").has_value());
  const bourse::bench::MachineTicks later{3000, 230};
  CHECK(bourse::bench::steal_percent(ticks, later) == Approx(10.0));
  CHECK_FALSE(bourse::bench::steal_percent(ticks, ticks).has_value());
  CHECK_FALSE(bourse::bench::steal_percent(std::nullopt, later).has_value());
  CHECK(bourse::bench::machine_ticks().has_value());
}
