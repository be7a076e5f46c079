// The bourse subcommands. Each returns the process exit code.
#pragma once

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

}  // namespace bourse::app
