// Goal: configuration layers apply in order (defaults < file < environment < --set),
// every value is validated with a message naming its key and layer, and secrets never
// appear in the effective configuration that is logged.
#include "config/config.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
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
  CHECK(config->kafka.partitions == 8);
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
