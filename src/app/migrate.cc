#include <thread>

#include "app/commands.h"
#include "bourse/db/connection_pool.h"
#include "bourse/db/migrator.h"
#include "bourse/log/log.h"

namespace bourse::app {

int run_migrate(const config::Config& config) {
  auto migrations = db::load_migrations(config.migrations_dir);
  if (!migrations) {
    log::error("cannot read migrations", {{"error", migrations.error().message}});
    return kExitBadConfig;
  }
  db::ConnectionPool pool(config.db);
  auto report = db::apply_migrations(pool, *migrations);
  if (!report) {
    log::error("migration failed", {{"error", report.error().message}});
    return kExitFailure;
  }
  std::string applied;
  for (int version : report->applied) {
    if (!applied.empty()) applied += ',';
    applied += std::to_string(version);
  }
  log::info("migrations done", {{"applied", applied},
                                {"applied_count", static_cast<std::int64_t>(report->applied.size())},
                                {"already_applied", report->already_applied}});
  return kExitOk;
}

}  // namespace bourse::app
