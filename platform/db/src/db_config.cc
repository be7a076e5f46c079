#include "bourse/db/db_config.h"

#include <string>

namespace bourse::db {
namespace {

// SOCI's MySQL connection-string values may be quoted with single quotes; escape any
// quote or backslash inside.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string DbConfig::connection_string() const {
  return "host=" + quoted(host) + " port=" + std::to_string(port) + " db=" + quoted(database) +
         " user=" + quoted(user) + " password=" + quoted(password) +
         " connect_timeout=" + std::to_string(connect_timeout.count()) +
         " read_timeout=" + std::to_string(read_timeout.count()) +
         " write_timeout=" + std::to_string(read_timeout.count()) + " charset=utf8mb4";
}

}  // namespace bourse::db
