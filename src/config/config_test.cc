// Goal: configuration layers apply in order (defaults < file < environment < --set),
// every value is validated with a message naming its key and layer, and secrets never
// appear in the effective configuration that is logged.
#include "config/config.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

using bourse::config::load;
using bourse::config::Source;

namespace {

std::string write_file(const std::string& content) {
  auto path = std::filesystem::temp_directory_path() /
              ("bourse_config_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << content;
  return path.string();
}

}  // namespace

TEST_CASE("defaults load without any source", "[config]") {
  auto config = load(Source{});
  REQUIRE(config.ok());
  CHECK(config->http.port == 8080);
  CHECK(config->kafka.partitions == 1);
  CHECK(config->kafka.consumer_batch_wait == std::chrono::milliseconds(10));
  CHECK(config->kafka.matching_batch_wait == std::chrono::milliseconds(50));
}

TEST_CASE("roles default to everything and can be switched off one by one", "[config]") {
  const auto roles_with = [](std::vector<std::string> overrides) {
    Source source;
    source.overrides = std::move(overrides);
    auto config = load(source);
    REQUIRE(config.ok());
    return std::pair(config->roles.matching, config->roles.event_consumers);
  };
  CHECK(roles_with({}) == std::pair(true, true));
  CHECK(roles_with({"roles.matching=false"}) == std::pair(false, true));
  CHECK(roles_with({"roles.event_consumers=false"}) == std::pair(true, false));
  Source bad;
  bad.overrides = {"roles.matching=no"};
  CHECK_FALSE(load(bad).ok());
}

TEST_CASE("threads.background_nice loads and is range-checked", "[config]") {
  Source source;
  auto defaults = load(source);
  REQUIRE(defaults.ok());
  CHECK(defaults->threads.background_nice == 0);
  source.overrides = {"threads.background_nice=10"};
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->threads.background_nice == 10);
  source.overrides = {"threads.background_nice=20"};
  CHECK_FALSE(load(source).ok());
  source.overrides = {"threads.background_nice=-1"};
  CHECK_FALSE(load(source).ok());
}

TEST_CASE("order.committer_lanes loads and is range-checked", "[config]") {
  Source source;
  source.overrides = {"order.committer_lanes=2"};
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->order.committer_lanes == 2);
  source.overrides = {"order.committer_lanes=0"};
  CHECK_FALSE(load(source).ok());
  source.overrides = {"order.committer_lanes=9"};
  CHECK_FALSE(load(source).ok());
}

TEST_CASE("kafka.consumer_batch_wait_ms loads and is range-checked", "[config]") {
  Source source;
  source.overrides = {"kafka.consumer_batch_wait_ms=0"};
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->kafka.consumer_batch_wait == std::chrono::milliseconds(0));
  source.overrides = {"kafka.consumer_batch_wait_ms=1000"};
  REQUIRE(load(source).ok());
  source.overrides = {"kafka.consumer_batch_wait_ms=1001"};
  CHECK_FALSE(load(source).ok());
  source.overrides = {"kafka.consumer_batch_wait_ms=-1"};
  CHECK_FALSE(load(source).ok());
}

TEST_CASE("kafka.matching_batch_wait_ms loads apart from the consumers' and is range-checked",
          "[config]") {
  Source source;
  source.overrides = {"kafka.matching_batch_wait_ms=0"};
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->kafka.matching_batch_wait == std::chrono::milliseconds(0));
  CHECK(config->kafka.consumer_batch_wait == std::chrono::milliseconds(10));
  source.overrides = {"kafka.matching_batch_wait_ms=1000"};
  REQUIRE(load(source).ok());
  source.overrides = {"kafka.matching_batch_wait_ms=1001"};
  CHECK_FALSE(load(source).ok());
  source.overrides = {"kafka.matching_batch_wait_ms=-1"};
  CHECK_FALSE(load(source).ok());
}

TEST_CASE("kafka.matching_batch_wait_per_commit defaults to a fixed wait and is range-checked",
          "[config]") {
  Source source;
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->kafka.matching_batch_wait_per_commit == 0);
  source.overrides = {"kafka.matching_batch_wait_per_commit=4"};
  config = load(source);
  REQUIRE(config.ok());
  CHECK(config->kafka.matching_batch_wait_per_commit == 4);
  source.overrides = {"kafka.matching_batch_wait_per_commit=16"};
  REQUIRE(load(source).ok());
  source.overrides = {"kafka.matching_batch_wait_per_commit=17"};
  CHECK_FALSE(load(source).ok());
  source.overrides = {"kafka.matching_batch_wait_per_commit=-1"};
  CHECK_FALSE(load(source).ok());
}

TEST_CASE("outbox.relay_idle_poll_max_ms loads and is range-checked", "[config]") {
  Source source;
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->outbox.relay_idle_poll_max == std::chrono::milliseconds(160));
  source.overrides = {"outbox.relay_idle_poll_max_ms=20"};
  config = load(source);
  REQUIRE(config.ok());
  CHECK(config->outbox.relay_idle_poll_max == std::chrono::milliseconds(20));
  source.overrides = {"outbox.relay_idle_poll_max_ms=10000"};
  REQUIRE(load(source).ok());
  source.overrides = {"outbox.relay_idle_poll_max_ms=0"};
  CHECK_FALSE(load(source).ok());
  source.overrides = {"outbox.relay_idle_poll_max_ms=10001"};
  CHECK_FALSE(load(source).ok());
}

TEST_CASE("file < environment < --set", "[config]") {
  Source source;
  source.config_file = write_file(
      "[http]\nport = 9001\nio_threads = 3\n[db]\nhost = \"db.local\"\npassword = \"s3cret\"\n");
  source.environment = {{"BOURSE_HTTP_PORT", "9002"}, {"BOURSE_SOURCE_DIR", "/ignored"}};
  source.overrides = {"db.host=override.local"};
  auto config = load(source);
  REQUIRE(config.ok());
  CHECK(config->http.port == 9002);          // environment beats the file
  CHECK(config->http.io_threads == 3);       // from the file
  CHECK(config->db.host == "override.local");  // --set beats everything
  CHECK(config->db.password == "s3cret");
}

TEST_CASE("bad values fail with the key and the layer", "[config]") {
  SECTION("out of range in the environment") {
    Source source;
    source.environment = {{"BOURSE_HTTP_PORT", "70000"}};
    auto config = load(source);
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().message.find("BOURSE_HTTP_PORT") != std::string::npos);
    CHECK(config.error().message.find("http.port") != std::string::npos);
  }
  SECTION("not a number") {
    Source source;
    source.overrides = {"kafka.partitions=eight"};
    CHECK_FALSE(load(source).ok());
  }
  SECTION("unknown key in the file") {
    Source source;
    source.config_file = write_file("[http]\nprot = 1\n");
    auto config = load(source);
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().message.find("http.prot") != std::string::npos);
  }
  SECTION("malformed TOML") {
    Source source;
    source.config_file = write_file("[http\nport = \n");
    CHECK_FALSE(load(source).ok());
  }
  SECTION("missing file") {
    Source source;
    source.config_file = "/nonexistent/bourse.toml";
    CHECK_FALSE(load(source).ok());
  }
  SECTION("--set without '='") {
    Source source;
    source.overrides = {"http.port"};
    CHECK_FALSE(load(source).ok());
  }
  SECTION("cross-field validation") {
    Source source;
    source.overrides = {"blocking.threads=4", "blocking.queue_depth=2"};
    CHECK_FALSE(load(source).ok());
  }
}

TEST_CASE("the effective configuration redacts secrets", "[config]") {
  Source source;
  source.overrides = {"db.password=hunter2"};
  auto config = load(source);
  REQUIRE(config.ok());
  auto values = bourse::config::effective(*config);
  CHECK(values.at("db.password") == "***");
  CHECK(values.at("http.port") == "8080");
  for (const auto& [key, value] : values) CHECK(value.find("hunter2") == std::string::npos);
}

TEST_CASE("the shipped default config file loads", "[config]") {
  Source source;
  source.config_file = std::string(std::getenv("BOURSE_SOURCE_DIR")) + "/config/bourse.toml";
  CHECK(load(source).ok());
}

TEST_CASE("the symbol table loads from the file and can be overridden", "[config]") {
  Source source;
  source.config_file = write_file(
      "[symbols.AAPL]\ntick_size = \"0.01\"\nlot_size = 1\nmax_order_quantity = 100000\n"
      "reference_price = \"150\"\nprice_band_bps = 1000\n");
  source.overrides = {"symbols.AAPL.reference_price=151.5"};
  auto config = load(source);
  REQUIRE(config.ok());
  REQUIRE(config->symbols.count("AAPL") == 1);
  const auto& aapl = config->symbols.at("AAPL");
  CHECK(aapl.tick_size.to_string() == "0.01");
  CHECK(aapl.reference_price.to_string() == "151.5");
  CHECK(aapl.max_order_quantity == 100000);
  CHECK(bourse::config::effective(*config).at("symbols.AAPL.reference_price") == "151.5");
}

TEST_CASE("an invalid symbol definition stops start-up", "[config]") {
  Source source;
  source.overrides = {"symbols.AAPL.tick_size=0.01", "symbols.AAPL.reference_price=150.005"};
  CHECK_FALSE(load(source).ok());
  Source unknown_field;
  unknown_field.overrides = {"symbols.AAPL.colour=red"};
  CHECK_FALSE(load(unknown_field).ok());
  Source bad_symbol;
  bad_symbol.overrides = {"symbols.aapl.tick_size=0.01", "symbols.aapl.reference_price=1"};
  CHECK_FALSE(load(bad_symbol).ok());
}

TEST_CASE("the price generator keys load, with TOML floats, and are range-checked",
          "[config]") {
  auto defaults = load(Source{});
  REQUIRE(defaults.ok());
  CHECK(defaults->prices.enabled);
  CHECK(defaults->prices.interval == std::chrono::milliseconds(1'000));
  CHECK(defaults->prices.refresh == std::chrono::milliseconds(500));

  Source source;
  source.config_file = write_file(
      "[prices]\nenabled = false\ninterval_ms = 250\ndrift = -0.05\nvolatility = 0.45\n"
      "pull = 0.2\nmax_step_bps = 100\nseed = 42\nrefresh_ms = 200\n");
  source.overrides = {"prices.volatility=1.5"};
  auto config = load(source);
  INFO((config.ok() ? std::string() : config.error().message));
  REQUIRE(config.ok());
  CHECK_FALSE(config->prices.enabled);
  CHECK(config->prices.interval == std::chrono::milliseconds(250));
  CHECK(config->prices.drift == -0.05);
  CHECK(config->prices.volatility == 1.5);
  CHECK(config->prices.pull == 0.2);
  CHECK(config->prices.max_step_bps == 100);
  CHECK(config->prices.seed == 42);
  CHECK(config->prices.refresh == std::chrono::milliseconds(200));
  CHECK(bourse::config::effective(*config).at("prices.drift") == "-0.05");

  for (const char* bad : {"prices.pull=1.5", "prices.volatility=-1", "prices.volatility=nan",
                          "prices.drift=abc", "prices.interval_ms=1", "prices.refresh_ms=0",
                          "prices.max_step_bps=0", "prices.enabled=yes", "prices.seed=-1"}) {
    Source wrong;
    wrong.overrides = {bad};
    auto refused = load(wrong);
    INFO(bad);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find(std::string(bad).substr(0, std::string(bad).find('='))) !=
          std::string::npos);
  }
}
