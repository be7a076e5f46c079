// bourse: order entry, matching and settlement in one executable.
//
//   bourse serve   [--config FILE] [--set key=value ...]
//   bourse migrate [--config FILE] [--set key=value ...]
//   bourse demo    [--config FILE] [--port N] [--symbol SYM ...] [--setup-only] ...
//   bourse version
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "app/commands.h"
#include "bourse/log/log.h"
#include "config/config.h"

#ifndef BOURSE_VERSION
#define BOURSE_VERSION "0.0.0"
#endif

namespace {

bourse::Result<bourse::config::Config> load_config(const std::string& file,
                                                   const std::vector<std::string>& overrides) {
  bourse::config::Source source;
  source.config_file = file;
  source.environment = bourse::config::process_environment();
  source.overrides = overrides;
  return bourse::config::load(source);
}

void log_effective(const bourse::config::Config& config) {
  std::string line;
  for (const auto& [key, value] : bourse::config::effective(config)) {
    line += (line.empty() ? "" : " ") + key + "=" + value;
  }
  bourse::log::info("effective configuration", {{"config", line}});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Bourse: order entry, matching and settlement for a securities exchange"};
  app.require_subcommand(1);

  std::string config_file;
  std::vector<std::string> overrides;
  auto add_config_options = [&](CLI::App* command) {
    command->add_option("-c,--config", config_file, "TOML configuration file")
        ->check(CLI::ExistingFile);
    command->add_option("--set", overrides,
                        "Override a setting: key=value (repeatable; beats file and environment)");
  };
  auto* serve = app.add_subcommand("serve", "Run the HTTP server and the background workers");
  add_config_options(serve);
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations and exit");
  add_config_options(migrate);
  app.add_subcommand("version", "Print the version and exit");
  bourse::app::DemoCommandOptions demo_options;
  auto* demo = app.add_subcommand(
      "demo", "Open funded demo accounts on a running server and trade on it (HTTP API only)");
  add_config_options(demo);
  int demo_tick_ms = static_cast<int>(demo_options.tick_interval.count());
  int demo_wait_s = static_cast<int>(demo_options.wait_ready.count());
  demo->add_option("--host", demo_options.host, "Server host (default 127.0.0.1)");
  demo->add_option("--port", demo_options.port, "Server port (default: http.port)");
  demo->add_option("--symbol", demo_options.symbols, "Symbol to trade (repeatable; default all)");
  demo->add_option("--tick-ms", demo_tick_ms, "Milliseconds between rounds over the symbols");
  demo->add_option("--seed", demo_options.seed, "Random seed");
  demo->add_option("--wait-ready", demo_wait_s, "Seconds to wait for /readyz");
  demo->add_flag("--setup-only", demo_options.setup_only,
                 "Open and fund the demo accounts, then exit");

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    std::printf("bourse %s\n", BOURSE_VERSION);
    return bourse::app::kExitOk;
  }
  auto config = load_config(config_file, overrides);
  if (!config) {
    bourse::log::error("invalid configuration", {{"error", config.error().message}});
    return bourse::app::kExitBadConfig;
  }
  bourse::log::Level level{};
  bourse::log::parse_level(config->log_level, level);
  bourse::log::set_level(level);
  log_effective(*config);

  if (app.got_subcommand("migrate")) return bourse::app::run_migrate(*config);
  if (app.got_subcommand("demo")) {
    demo_options.tick_interval = std::chrono::milliseconds(demo_tick_ms);
    demo_options.wait_ready = std::chrono::seconds(std::max(0, demo_wait_s));
    return bourse::app::run_demo(*config, demo_options);
  }
  return bourse::app::run_serve(*config);
}
