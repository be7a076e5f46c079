// The order module's view of which users exist, answered by the account module: an
// adapter in the composition root so that neither module depends on the other.
#pragma once

#include "bourse/account/account_service.h"
#include "bourse/order/user_directory.h"

namespace bourse::app {

class AccountUserDirectory final : public order::UserDirectory {
 public:
  explicit AccountUserDirectory(account::AccountService& accounts) : accounts_(accounts) {}
  Result<bool> user_exists(std::string_view user_id) override {
    auto account = accounts_.get_account(user_id);
    if (account) return true;
    if (account.error().code == ErrorCode::kNotFound) return false;
    return account.error();
  }

 private:
  account::AccountService& accounts_;
};

}  // namespace bourse::app
