// Where the local MariaDB + Kafka stack (scripts/stack) listens, for integration tests.
//
// Reads BOURSE_DB_HOST, BOURSE_DB_PORT, BOURSE_DB_USER, BOURSE_DB_PASSWORD,
// BOURSE_DB_NAME and BOURSE_KAFKA_BROKERS from the environment, falling back to the
// file $BOURSE_SOURCE_DIR/.stack/env that `scripts/stack up` writes (lines of
// `export KEY=value`). A missing value fails the test loudly: integration tests never
// skip because the stack is down.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace bourse::testing {

inline std::map<std::string, std::string> read_stack_env_file() {
  std::map<std::string, std::string> values;
  const char* source_dir = std::getenv("BOURSE_SOURCE_DIR");
  if (source_dir == nullptr) return values;
  std::ifstream in(std::string(source_dir) + "/.stack/env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq == std::string::npos || line.empty() || line[0] == '#') continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) {
      value = value.substr(1, value.size() - 2);
    }
    values[line.substr(0, eq)] = value;
  }
  return values;
}

// The value of KEY from the environment or .stack/env; throws if neither has it.
inline std::string stack_value(const std::string& key) {
  if (const char* value = std::getenv(key.c_str()); value != nullptr && *value != '\0') {
    return value;
  }
  static const auto file_values = read_stack_env_file();
  auto it = file_values.find(key);
  if (it == file_values.end()) {
    throw std::runtime_error(key + " is not set and .stack/env does not define it: run "
                             "`scripts/stack up` (scripts/test does) before integration tests");
  }
  return it->second;
}

inline std::string kafka_brokers() { return stack_value("BOURSE_KAFKA_BROKERS"); }

// The environment a bourse child process needs to reach the stack, plus `overrides`.
inline std::map<std::string, std::string> stack_child_env(
    const std::map<std::string, std::string>& overrides = {}) {
  std::map<std::string, std::string> env;
  for (const char* key : {"BOURSE_DB_HOST", "BOURSE_DB_PORT", "BOURSE_DB_USER",
                          "BOURSE_DB_PASSWORD", "BOURSE_DB_NAME", "BOURSE_KAFKA_BROKERS"}) {
    env[key] = stack_value(key);
  }
  for (const auto& [key, value] : overrides) env[key] = value;
  return env;
}

}  // namespace bourse::testing
