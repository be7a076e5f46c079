#include "fuzz_instruments.h"

#include <cstdio>
#include <cstdlib>

#include "config/config.h"

namespace bourse::fuzz {
namespace {

const config::Config& configured() {
  static const config::Config config = [] {
    config::Source source;
    const char* path = std::getenv("BOURSE_FUZZ_CONFIG");
    source.config_file = path != nullptr ? path : BOURSE_FUZZ_DEFAULT_CONFIG;
    auto loaded = config::load(source);
    if (!loaded) {
      std::fprintf(stderr, "fuzz: cannot load %s: %s\n", source.config_file.c_str(),
                   loaded.error().message.c_str());
      std::abort();
    }
    if (loaded->symbols.empty()) {
      std::fprintf(stderr, "fuzz: %s has no [symbols.*]\n", source.config_file.c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return config;
}

}  // namespace

const order::InstrumentTable& configured_instruments() { return configured().symbols; }

const http::ServerConfig& configured_server() {
  static const http::ServerConfig server = [] {
    http::ServerConfig settings;
    settings.max_body_bytes = configured().http.max_body_bytes;
    return settings;
  }();
  return server;
}

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace bourse::fuzz
