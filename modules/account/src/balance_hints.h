// What this process last knew of the balances its order groups reserved against, so that
// a group can decide without reading them first (BalanceReads::kHinted, reservation.h).
//
// A hint is NEVER trusted for correctness, only for speed:
//   - too high (funds taken since: another instance's group, or anything else that
//     lowers what is available): the group's relative balance UPDATE breaks the CHECK
//     total >= reserved and the group runs again on read balances (kBalancesMovedReason);
//   - too low (funds freed since: settlement, releases, deposits; the normal case, as
//     only order groups take funds): reserve_orders never rejects on a hint, it reads
//     the rows and decides again before any 422;
//   - absent: the group reads.
// So any value is safe, including one remembered from a group that then rolled back.
//
// Bounded: at most kMaxBalanceHintRows cash rows and as many position rows; remembering a
// row past that empties the table first (the next groups read and refill it).
//
// Thread-safety: every member function may be called from any thread (one mutex; the
// critical sections are map lookups and stores, no I/O).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "balance_store.h"

namespace bourse::account {

// Hinted rows per table (cash, positions): ~150 bytes each, so ~30 MB at most in all.
inline constexpr std::size_t kMaxBalanceHintRows = 100'000;

class BalanceHints {
 public:
  explicit BalanceHints(std::size_t max_rows = kMaxBalanceHintRows);

  // Every named row's hint, or nullopt if any one of them has none.
  std::optional<GroupBalanceRows> lookup(std::span<const std::string> users,
                                   std::span<const PositionKey> keys) const;

  // Stores `rows` as the latest hints (overwriting older ones).
  void remember(const GroupBalanceRows& rows);

  std::size_t cash_rows() const;
  std::size_t position_rows() const;

 private:
  const std::size_t max_rows_;
  mutable std::mutex mutex_;
  std::map<std::string, Balance, std::less<>> cash_;
  std::map<PositionKey, Balance> positions_;
};

}  // namespace bourse::account
