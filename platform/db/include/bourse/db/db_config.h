// Connection settings for the MySQL/MariaDB database.
#pragma once

#include <chrono>
#include <string>

#include "bourse/common/limits.h"

namespace bourse::db {

struct DbConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "bourse";
  std::string password;  // secret: never logged (see redacted())
  std::string database = "bourse";
  // Upper bound of open sessions; sessions are opened lazily, up to this many.
  int pool_size = 16;
  std::chrono::seconds connect_timeout = limits::kDbConnectTimeout;
  // A statement that gets no answer in this time fails (the server is presumed gone).
  std::chrono::seconds read_timeout{30};

  // The SOCI MySQL connection string. Contains the password.
  std::string connection_string() const;
};

}  // namespace bourse::db
