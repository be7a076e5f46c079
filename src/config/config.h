// The process configuration, layered: defaults < TOML file < BOURSE_* environment <
// command-line `--set key=value`.
//
// Every setting has one dotted key ("http.port", "db.password"); its environment
// variable is BOURSE_ + the key upper-cased with '.' -> '_' (BOURSE_HTTP_PORT). The
// TOML file uses the same keys as tables ([http] port = 8080). Each value is parsed and
// range-checked when it is applied, so a bad value fails start-up with a message
// naming the key and the layer it came from. Unknown keys in the file or on the
// command line are errors (typos must not be silently ignored); unknown BOURSE_*
// variables are ignored because tests and scripts use that prefix for their own.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/instrument.h"
#include "bourse/db/db_config.h"

namespace bourse::config {

struct HttpSettings {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  std::size_t max_body_bytes = limits::kMaxHttpBodyBytes;
  std::chrono::milliseconds read_timeout = limits::kHttpReadTimeout;
  std::chrono::milliseconds idle_timeout = limits::kHttpIdleTimeout;
  int max_connections = 1'000;
  // How long SIGTERM waits for in-flight requests before closing connections.
  std::chrono::milliseconds shutdown_grace{10'000};
};

struct BlockingSettings {
  int threads = 16;
  std::size_t queue_depth = 1'024;
};

struct KafkaSettings {
  std::string brokers = "127.0.0.1:9092";
  std::string client_id = "bourse";
  std::string topic_prefix = "bourse.";
  int partitions = 8;
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;
};

// The live streams (src/streams, docs/STREAMS.md).
struct StreamSettings {
  int max_subscribers = 2'000;                   // open streams per instance
  std::chrono::milliseconds heartbeat{15'000};   // ": hb" comment period
  int queue_events = 256;                        // per subscriber; full -> dropped
  std::chrono::milliseconds window{600'000};     // how far back the ring starts and keeps
  int ring_events = 100'000;                     // the ring's count bound
};

struct Config {
  HttpSettings http;
  StreamSettings stream;
  db::DbConfig db;
  KafkaSettings kafka;
  BlockingSettings blocking;
  std::string log_level = "info";
  std::string migrations_dir = "migrations";
  // The symbol table: [symbols.AAPL] tick_size = "0.01", lot_size = 1,
  // max_order_quantity = 1000000, reference_price = "150", price_band_bps = 1000.
  // Keys symbols.<SYMBOL>.<field> work in every layer (BOURSE_SYMBOLS_... does not:
  // environment names cannot keep the symbol's case and dots).
  std::map<std::string, Instrument> symbols;
};

// Where a layer's values came from, for error messages.
struct Source {
  std::string config_file;                               // empty: no file
  std::map<std::string, std::string> environment;        // usually from environ
  std::vector<std::string> overrides;                    // "key=value" from --set
};

// Applies the layers in order and validates the result.
Result<Config> load(const Source& source);

// The environment of this process (BOURSE_* variables only).
std::map<std::string, std::string> process_environment();

// key -> value for every setting, secrets replaced by "***": for the start-up log.
std::map<std::string, std::string> effective(const Config& config);

// Every known key, in a stable order (for docs and `bourse serve --help`).
std::vector<std::string> known_keys();

}  // namespace bourse::config
