// `bourse demo`: the demo accounts and the liquidity bot (src/demo/liquidity_bot.h)
// against a running server, through its public HTTP API only.
#include <csignal>
#include <thread>

#include "app/commands.h"
#include "bourse/log/log.h"
#include "demo/liquidity_bot.h"

namespace bourse::app {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) { g_stop.store(true); }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Polls GET /readyz until 200, the wait is over or a stop signal came.
bool wait_ready(const std::string& host, std::uint16_t port, std::chrono::seconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!g_stop.load()) {
    demo::HttpClient client(host, port, demo::kRequestTimeout);
    auto answer = client.request("GET", "/readyz");
    if (answer && answer->status == 200) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kDemoReadyPollInterval);
  }
  return false;
}

}  // namespace

int run_demo(const config::Config& config, const DemoCommandOptions& options) {
  install_stop_handlers();
  demo::BotOptions bot_options;
  bot_options.host = options.host;
  bot_options.port = static_cast<std::uint16_t>(options.port > 0 ? options.port : config.http.port);
  bot_options.tick_interval = options.tick_interval;
  bot_options.symbols = options.symbols;
  bot_options.seed = options.seed;
  if (Status valid = demo::validate(bot_options); !valid) {
    log::error("invalid demo options", {{"error", valid.error().message}});
    return kExitBadConfig;
  }
  if (options.wait_ready > kMaxDemoReadyWait) {
    log::error("invalid demo options",
               {{"error", "--wait-ready is at most " + std::to_string(kMaxDemoReadyWait.count()) + " s"}});
    return kExitBadConfig;
  }
  if (!wait_ready(bot_options.host, bot_options.port, options.wait_ready)) {
    if (g_stop.load()) return kExitOk;
    log::error("the server is not ready", {{"host", bot_options.host},
                                           {"port", static_cast<int>(bot_options.port)}});
    return kExitFailure;
  }
  demo::LiquidityBot bot(bot_options);
  if (Status set_up = bot.setup(); !set_up) {
    if (g_stop.load()) return kExitOk;
    log::error("demo accounts could not be set up", {{"error", set_up.error().message}});
    return kExitFailure;
  }
  std::string users;
  for (const auto list : {demo::kDemoMakers, demo::kDemoTakers}) {
    for (const auto user : list) users += (users.empty() ? "" : " ") + std::string(user);
  }
  log::info("demo accounts ready", {{"users", users},
                                    {"opened", static_cast<std::int64_t>(bot.counters().accounts_opened)}});
  if (options.setup_only) return kExitOk;
  if (Status ran = bot.run(g_stop); !ran) {
    log::error("demo bot failed", {{"error", ran.error().message}});
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace bourse::app
