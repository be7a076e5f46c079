#include "balance_hints.h"

#include "bourse/common/assert.h"

namespace bourse::account {

BalanceHints::BalanceHints(std::size_t max_rows) : max_rows_(max_rows) {
  BOURSE_ASSERT(max_rows_ > 0, "hints hold at least one row");
}

std::optional<GroupBalanceRows> BalanceHints::lookup(std::span<const std::string> users,
                                               std::span<const PositionKey> keys) const {
  GroupBalanceRows rows;
  std::lock_guard lock(mutex_);
  for (const std::string& user : users) {
    auto found = cash_.find(user);
    if (found == cash_.end()) return std::nullopt;
    rows.cash.emplace(user, found->second);
  }
  for (const PositionKey& key : keys) {
    auto found = positions_.find(key);
    if (found == positions_.end()) return std::nullopt;
    rows.positions.emplace(key, found->second);
  }
  return rows;
}

void BalanceHints::remember(const GroupBalanceRows& rows) {
  std::lock_guard lock(mutex_);
  for (const auto& [user, balance] : rows.cash) {
    BOURSE_ASSERT(balance.total >= balance.reserved && balance.reserved >= 0,
                  "a hint is a balance that was possible");
    if (cash_.size() >= max_rows_ && !cash_.contains(user)) cash_.clear();
    cash_.insert_or_assign(user, balance);
  }
  for (const auto& [key, balance] : rows.positions) {
    BOURSE_ASSERT(balance.total >= balance.reserved && balance.reserved >= 0,
                  "a hint is a balance that was possible");
    if (positions_.size() >= max_rows_ && !positions_.contains(key)) positions_.clear();
    positions_.insert_or_assign(key, balance);
  }
}

std::size_t BalanceHints::cash_rows() const {
  std::lock_guard lock(mutex_);
  return cash_.size();
}

std::size_t BalanceHints::position_rows() const {
  std::lock_guard lock(mutex_);
  return positions_.size();
}

}  // namespace bourse::account
