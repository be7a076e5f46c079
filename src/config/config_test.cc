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
