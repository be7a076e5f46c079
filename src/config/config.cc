#include "config/config.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <toml++/toml.h>

#include "bourse/common/thread_priority.h"
#include "bourse/market_data/gbm_price_model.h"
#include "bourse/order/order_limits.h"
#include "bourse/market_data/reference_prices.h"

#include "bourse/scheduler/reconciler.h"
#include "bourse/scheduler/reconciliation_job.h"

extern char** environ;

namespace bourse::config {
namespace {

struct Setting {
  std::string key;
  bool secret = false;
  std::function<Status(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> get;
};

// The shortest text that reads back as `value`.
std::string shortest(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

Result<std::int64_t> parse_int(const std::string& text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid("'" + text + "' is not an integer");
  }
  if (value < min || value > max) {
    return Error::invalid(text + " is outside [" + std::to_string(min) + ", " +
                          std::to_string(max) + "]");
  }
  return value;
}

// A decimal number (e.g. "0.3", "-0.05") within [min, max].
Result<double> parse_decimal(const std::string& text, double min, double max) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Error::invalid("'" + text + "' is not a number");
  }
  if (value < min || value > max) {
    return Error::invalid(text + " is outside [" + shortest(min) + ", " + shortest(max) + "]");
  }
  return value;
}

template <typename Get>
Setting decimal(std::string key, Get&& member_of, double min, double max) {
  return Setting{key, false,
                 [member_of, min, max](Config& c, const std::string& v) -> Status {
                   auto parsed = parse_decimal(v, min, max);
                   if (!parsed) return parsed.error();
                   member_of(c) = *parsed;
                   return Status::success();
                 },
                 [member_of](const Config& c) {
                   return shortest(member_of(const_cast<Config&>(c)));
                 }};
}

template <typename Get>
Setting boolean(std::string key, Get&& member_of) {
  return Setting{key, false,
                 [member_of](Config& c, const std::string& v) -> Status {
                   if (v != "true" && v != "false") return Error::invalid("must be true or false");
                   member_of(c) = v == "true";
                   return Status::success();
                 },
                 [member_of](const Config& c) {
                   return std::string(member_of(const_cast<Config&>(c)) ? "true" : "false");
                 }};
}

template <typename Get>
Setting text(std::string key, Get&& member_of, bool secret = false, bool allow_empty = false) {
  return Setting{
      key, secret,
      [member_of, allow_empty](Config& c, const std::string& v) -> Status {
        if (v.empty() && !allow_empty) return Error::invalid("must not be empty");
        member_of(c) = v;
        return Status::success();
      },
      [member_of](const Config& c) { return member_of(const_cast<Config&>(c)); }};
}

template <typename T, typename Get>
Setting integer(std::string key, Get&& member_of, std::int64_t min, std::int64_t max) {
  return Setting{key, false,
                 [member_of, min, max](Config& c, const std::string& v) -> Status {
                   auto parsed = parse_int(v, min, max);
                   if (!parsed) return parsed.error();
                   member_of(c) = static_cast<T>(*parsed);
                   return Status::success();
                 },
                 [member_of](const Config& c) {
                   return std::to_string(member_of(const_cast<Config&>(c)));
                 }};
}

template <typename Duration, typename Get>
Setting duration(std::string key, Get&& member_of, std::int64_t min, std::int64_t max) {
  return Setting{key, false,
                 [member_of, min, max](Config& c, const std::string& v) -> Status {
                   auto parsed = parse_int(v, min, max);
                   if (!parsed) return parsed.error();
                   member_of(c) = Duration(*parsed);
                   return Status::success();
                 },
                 [member_of](const Config& c) {
                   return std::to_string(member_of(const_cast<Config&>(c)).count());
                 }};
}

const std::vector<Setting>& settings() {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  static const std::vector<Setting> all = {
      text("http.host", [](Config& c) -> auto& { return c.http.host; }),
      integer<int>("http.port", [](Config& c) -> auto& { return c.http.port; }, 0, 65535),
      integer<int>("http.io_threads", [](Config& c) -> auto& { return c.http.io_threads; }, 1,
                   limits::kMaxHttpIoThreads),
      integer<std::size_t>("http.max_body_bytes",
                           [](Config& c) -> auto& { return c.http.max_body_bytes; }, 1,
                           static_cast<std::int64_t>(limits::kMaxHttpBodyBytes)),
      duration<milliseconds>("http.read_timeout_ms",
                             [](Config& c) -> auto& { return c.http.read_timeout; }, 10,
                             600'000),
      duration<milliseconds>("http.idle_timeout_ms",
                             [](Config& c) -> auto& { return c.http.idle_timeout; }, 10,
                             3'600'000),
      integer<int>("http.max_connections",
                   [](Config& c) -> auto& { return c.http.max_connections; }, 1,
                   static_cast<std::int64_t>(limits::kMaxHttpConnections)),
      duration<milliseconds>("http.shutdown_grace_ms",
                             [](Config& c) -> auto& { return c.http.shutdown_grace; }, 0,
                             120'000),
      text("db.host", [](Config& c) -> auto& { return c.db.host; }),
      integer<int>("db.port", [](Config& c) -> auto& { return c.db.port; }, 1, 65535),
      text("db.user", [](Config& c) -> auto& { return c.db.user; }),
      text("db.password", [](Config& c) -> auto& { return c.db.password; }, true, true),
      text("db.name", [](Config& c) -> auto& { return c.db.database; }),
      integer<int>("db.pool_size", [](Config& c) -> auto& { return c.db.pool_size; }, 1,
                   limits::kMaxDbPoolSize),
      duration<seconds>("db.connect_timeout_s",
                        [](Config& c) -> auto& { return c.db.connect_timeout; }, 1, 60),
      duration<seconds>("db.read_timeout_s", [](Config& c) -> auto& { return c.db.read_timeout; },
                        1, 600),
      text("kafka.brokers", [](Config& c) -> auto& { return c.kafka.brokers; }),
      text("kafka.client_id", [](Config& c) -> auto& { return c.kafka.client_id; }),
      text("kafka.topic_prefix", [](Config& c) -> auto& { return c.kafka.topic_prefix; }, false,
           true),
      integer<int>("kafka.partitions", [](Config& c) -> auto& { return c.kafka.partitions; }, 1,
                   limits::kMaxTopicPartitions),
      integer<std::int64_t>("kafka.retention_ms",
                            [](Config& c) -> auto& { return c.kafka.retention_ms; }, 60'000,
                            365LL * 24 * 3600 * 1000),
      duration<milliseconds>("kafka.consumer_batch_wait_ms",
                             [](Config& c) -> auto& { return c.kafka.consumer_batch_wait; }, 0,
                             kMaxConsumerBatchWait.count()),
      duration<milliseconds>("kafka.matching_batch_wait_ms",
                             [](Config& c) -> auto& { return c.kafka.matching_batch_wait; }, 0,
                             kMaxConsumerBatchWait.count()),
      integer<int>("kafka.matching_batch_wait_per_commit",
                   [](Config& c) -> auto& { return c.kafka.matching_batch_wait_per_commit; }, 0,
                   kMaxMatchingBatchWaitPerCommit),
      duration<milliseconds>("outbox.relay_idle_poll_max_ms",
                             [](Config& c) -> auto& { return c.outbox.relay_idle_poll_max; },
                             kMinRelayIdlePollMax.count(), kMaxRelayIdlePollMax.count()),
      boolean("roles.matching", [](Config& c) -> auto& { return c.roles.matching; }),
      boolean("roles.event_consumers",
              [](Config& c) -> auto& { return c.roles.event_consumers; }),
      integer<std::size_t>("order.committer_lanes",
                           [](Config& c) -> auto& { return c.order.committer_lanes; }, 1,
                           static_cast<std::int64_t>(order::limits::kMaxCommitterLanes)),
      integer<int>("threads.background_nice",
                   [](Config& c) -> auto& { return c.threads.background_nice; }, kMinThreadNice,
                   kMaxThreadNice),
      integer<int>("blocking.threads", [](Config& c) -> auto& { return c.blocking.threads; }, 1,
                   limits::kMaxBlockingThreads),
      integer<std::size_t>("blocking.queue_depth",
                           [](Config& c) -> auto& { return c.blocking.queue_depth; }, 1,
                           static_cast<std::int64_t>(limits::kMaxBlockingQueueDepth)),
      duration<milliseconds>("reconciliation.interval_ms",
                             [](Config& c) -> auto& { return c.reconciliation.interval; },
                             scheduler::kMinReconciliationInterval.count(),
                             scheduler::kMaxReconciliationInterval.count()),
      integer<std::size_t>("reconciliation.keep_runs",
                           [](Config& c) -> auto& { return c.reconciliation.keep_runs; }, 1,
                           static_cast<std::int64_t>(scheduler::kMaxKeptReconciliationRuns)),
      integer<int>("reconciliation.db_share_pct",
                   [](Config& c) -> auto& { return c.reconciliation.db_share_pct; },
                   scheduler::kMinReconciliationDbSharePct,
                   scheduler::kMaxReconciliationDbSharePct),
      Setting{"log.level", false,
              [](Config& c, const std::string& v) -> Status {
                if (v != "debug" && v != "info" && v != "warn" && v != "error") {
                  return Error::invalid("must be one of debug, info, warn, error");
                }
                c.log_level = v;
                return Status::success();
              },
              [](const Config& c) { return c.log_level; }},
      text("migrations.dir", [](Config& c) -> auto& { return c.migrations_dir; }),
      text("faults.relay_exit_after_produce",
           [](Config& c) -> auto& { return c.faults.relay_exit_after_produce; }, false, true),
      // The saga scheduler (limits: modules/scheduler/include/bourse/scheduler/saga_scheduler.h).
      Setting{"scheduler.enabled", false,
              [](Config& c, const std::string& v) -> Status {
                if (v != "true" && v != "false") return Error::invalid("must be true or false");
                c.scheduler.enabled = v == "true";
                return Status::success();
              },
              [](const Config& c) { return std::string(c.scheduler.enabled ? "true" : "false"); }},
      duration<milliseconds>("scheduler.interval_ms",
                             [](Config& c) -> auto& { return c.scheduler.interval; }, 100, 3'600'000),
      duration<milliseconds>("scheduler.saga_timeout_ms",
                             [](Config& c) -> auto& { return c.scheduler.saga_timeout; }, 100,
                             86'400'000),
      duration<std::chrono::hours>(
          "scheduler.processed_events_retention_h",
          [](Config& c) -> auto& { return c.scheduler.processed_events_retention; }, 1, 8'760),
      duration<std::chrono::hours>(
          "scheduler.idempotency_key_retention_h",
          [](Config& c) -> auto& { return c.scheduler.idempotency_key_retention; }, 1, 8'760),
      duration<std::chrono::hours>(
          "scheduler.dead_letter_retention_h",
          [](Config& c) -> auto& { return c.scheduler.dead_letter_retention; }, 1, 8'760),
      duration<std::chrono::hours>(
          "scheduler.snapshot_retention_h",
          [](Config& c) -> auto& { return c.scheduler.snapshot_retention; }, 1, 8'760),
      boolean("prices.enabled", [](Config& c) -> auto& { return c.prices.enabled; }),
      duration<milliseconds>("prices.interval_ms",
                             [](Config& c) -> auto& { return c.prices.interval; },
                             market_data::kMinStepInterval.count(),
                             market_data::kMaxStepInterval.count()),
      decimal("prices.drift", [](Config& c) -> auto& { return c.prices.drift; },
              -market_data::kMaxAnnualDrift, market_data::kMaxAnnualDrift),
      decimal("prices.volatility", [](Config& c) -> auto& { return c.prices.volatility; }, 0,
              market_data::kMaxAnnualVolatility),
      decimal("prices.pull", [](Config& c) -> auto& { return c.prices.pull; }, 0, 1),
      integer<std::int32_t>("prices.max_step_bps",
                            [](Config& c) -> auto& { return c.prices.max_step_bps; }, 1,
                            market_data::kMaxStepMoveBps),
      integer<std::int64_t>("prices.seed", [](Config& c) -> auto& { return c.prices.seed; }, 0,
                            std::numeric_limits<std::int64_t>::max()),
      duration<milliseconds>("prices.refresh_ms",
                             [](Config& c) -> auto& { return c.prices.refresh; },
                             market_data::kMinReferenceRefreshInterval.count(),
                             market_data::kMaxReferenceRefreshInterval.count()),

      integer<int>("stream.max_subscribers",
                   [](Config& c) -> auto& { return c.stream.max_subscribers; }, 1, 10'000),
      duration<milliseconds>("stream.heartbeat_ms",
                             [](Config& c) -> auto& { return c.stream.heartbeat; }, 10, 300'000),
      integer<int>("stream.queue_events",
                   [](Config& c) -> auto& { return c.stream.queue_events; }, 2, 65'536),
      duration<milliseconds>("stream.window_ms",
                             [](Config& c) -> auto& { return c.stream.window; }, 1'000,
                             7LL * 24 * 3600 * 1000),
      integer<int>("stream.ring_events",
                   [](Config& c) -> auto& { return c.stream.ring_events; }, 1, 10'000'000),
  };
  return all;
}

const Setting* find_setting(const std::string& key) {
  for (const auto& setting : settings()) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

std::string env_name(const std::string& key) {
  std::string name = "BOURSE_";
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

// symbols.<SYMBOL>.<field>
Status apply_symbol(Config& config, const std::string& key, const std::string& value) {
  const std::string rest = key.substr(std::string("symbols.").size());
  const auto dot = rest.rfind('.');
  if (dot == std::string::npos) return Error::invalid("expected symbols.<SYMBOL>.<field>");
  const std::string symbol = rest.substr(0, dot);
  const std::string field = rest.substr(dot + 1);
  Instrument& instrument = config.symbols[symbol];
  instrument.symbol = symbol;
  if (field == "tick_size" || field == "reference_price") {
    auto amount = Amount::parse_positive(value);
    if (!amount) return amount.error();
    (field == "tick_size" ? instrument.tick_size : instrument.reference_price) = *amount;
    return Status::success();
  }
  if (field == "lot_size" || field == "max_order_quantity") {
    auto parsed = parse_int(value, 1, Quantity::kMax);
    if (!parsed) return parsed.error();
    (field == "lot_size" ? instrument.lot_size : instrument.max_order_quantity) = *parsed;
    return Status::success();
  }
  if (field == "price_band_bps") {
    auto parsed = parse_int(value, 1, kMaxPriceBandBasisPoints);
    if (!parsed) return parsed.error();
    instrument.price_band_bps = static_cast<std::int32_t>(*parsed);
    return Status::success();
  }
  return Error::invalid("unknown symbol field '" + field + "'");
}

Status apply(Config& config, const std::string& key, const std::string& value,
             const std::string& layer) {
  if (key.rfind("symbols.", 0) == 0) {
    Status status = apply_symbol(config, key, value);
    if (!status) {
      return Error::invalid(layer + ": " + key + ": " + status.error().message, "invalid_config");
    }
    return Status::success();
  }
  const Setting* setting = find_setting(key);
  if (setting == nullptr) return Error::invalid(layer + ": unknown setting '" + key + "'");
  Status status = setting->set(config, value);
  if (!status) {
    return Error::invalid(layer + ": " + key + ": " + status.error().message, "invalid_config");
  }
  return Status::success();
}

// Flattens a TOML table into dotted keys with string values.
Status flatten(const toml::table& table, const std::string& prefix,
               std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [name, node] : table) {
    std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (const auto* sub = node.as_table()) {
      Status status = flatten(*sub, key, out);
      if (!status) return status;
    } else if (const auto* s = node.as_string()) {
      out.emplace_back(key, s->get());
    } else if (const auto* i = node.as_integer()) {
      out.emplace_back(key, std::to_string(i->get()));
    } else if (const auto* b = node.as_boolean()) {
      out.emplace_back(key, b->get() ? "true" : "false");
    } else if (const auto* f = node.as_floating_point()) {
      out.emplace_back(key, shortest(f->get()));
    } else {
      return Error::invalid("config file: " + key + ": unsupported value type");
    }
  }
  return Status::success();
}

Status validate(const Config& config) {
  if (config.blocking.queue_depth < static_cast<std::size_t>(config.blocking.threads)) {
    return Error::invalid("blocking.queue_depth must be >= blocking.threads");
  }
  for (const auto& [symbol, instrument] : config.symbols) {
    Status valid = validate_instrument(instrument);
    if (!valid) return valid.error();
  }
  if (config.db.pool_size > config.blocking.threads + 8) {
    // More sessions than threads that could use them only wastes server connections.
    return Error::invalid("db.pool_size must not exceed blocking.threads + 8");
  }
  return Status::success();
}

}  // namespace

Result<Config> load(const Source& source) {
  Config config;
  if (!source.config_file.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(source.config_file);
    } catch (const toml::parse_error& e) {
      return Error::invalid("config file " + source.config_file + ": " +
                            std::string(e.description()));
    }
    std::vector<std::pair<std::string, std::string>> values;
    Status flattened = flatten(table, "", values);
    if (!flattened) return flattened.error();
    for (const auto& [key, value] : values) {
      Status status = apply(config, key, value, "config file " + source.config_file);
      if (!status) return status.error();
    }
  }
  for (const auto& setting : settings()) {
    auto found = source.environment.find(env_name(setting.key));
    if (found == source.environment.end()) continue;
    Status status = apply(config, setting.key, found->second, "environment " + found->first);
    if (!status) return status.error();
  }
  for (const auto& item : source.overrides) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      return Error::invalid("--set " + item + ": expected key=value");
    }
    Status status = apply(config, item.substr(0, eq), item.substr(eq + 1), "--set");
    if (!status) return status.error();
  }
  Status valid = validate(config);
  if (!valid) return valid.error();
  return config;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> values;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.rfind("BOURSE_", 0) != 0) continue;
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    values.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return values;
}

std::map<std::string, std::string> effective(const Config& config) {
  std::map<std::string, std::string> values;
  for (const auto& setting : settings()) {
    values[setting.key] = setting.secret ? "***" : setting.get(config);
  }
  for (const auto& [symbol, instrument] : config.symbols) {
    const std::string prefix = "symbols." + symbol + ".";
    values[prefix + "tick_size"] = instrument.tick_size.to_string();
    values[prefix + "lot_size"] = std::to_string(instrument.lot_size);
    values[prefix + "max_order_quantity"] = std::to_string(instrument.max_order_quantity);
    values[prefix + "reference_price"] = instrument.reference_price.to_string();
    values[prefix + "price_band_bps"] = std::to_string(instrument.price_band_bps);
  }
  return values;
}

std::vector<std::string> known_keys() {
  std::vector<std::string> keys;
  for (const auto& setting : settings()) keys.push_back(setting.key);
  return keys;
}

}  // namespace bourse::config
