#include "relay_lease.h"

#include <fmt/format.h>

namespace bourse::outbox {

std::string relay_lease_name(std::string_view database, std::string_view table) {
  return db::lease_name(fmt::format("relay_{}", table), database);
}

}  // namespace bourse::outbox
