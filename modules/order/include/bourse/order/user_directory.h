// Who may place orders: the order module's view of the account module.
//
// The order module does not link the account module; the composition root implements
// this interface with it. Called on the order committer thread (blocking is fine there).
// Implementations must be thread-safe.
#pragma once

#include <string_view>

#include "bourse/common/error.h"

namespace bourse::order {

class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  // true if an account exists for `user_id`; an Error (e.g. kUnavailable) if that cannot
  // be known now.
  virtual Result<bool> user_exists(std::string_view user_id) = 0;
};

}  // namespace bourse::order
