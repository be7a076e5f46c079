// The bourse subcommands. Each returns the process exit code.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace bourse::app {

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadConfig = 2;

// `bourse migrate`: applies pending migrations and exits.
int run_migrate(const config::Config& config);

// `bourse serve`: runs the server until SIGINT/SIGTERM, then shuts down gracefully
// (stop accepting, finish in-flight requests, flush producers) and returns 0.
int run_serve(const config::Config& config);

// `bourse demo`: waits until the server at host:port answers /readyz (at most
// wait_ready), opens and funds the demo accounts (idempotently), then runs the liquidity
// bot until SIGINT/SIGTERM (src/demo/liquidity_bot.h); with setup_only it exits after
// the accounts. HTTP API only. Exit: 0, kExitFailure (server not ready, setup failed,
// server gone), kExitBadConfig (bad options).
inline constexpr std::chrono::seconds kMaxDemoReadyWait{600};
inline constexpr std::chrono::milliseconds kDemoReadyPollInterval{200};
struct DemoCommandOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: http.port of the configuration
  std::chrono::milliseconds tick_interval{200};
  std::vector<std::string> symbols;  // empty: all
  std::uint64_t seed = 1;
  std::chrono::seconds wait_ready{120};
  bool setup_only = false;
};
int run_demo(const config::Config& config, const DemoCommandOptions& options);

}  // namespace bourse::app
