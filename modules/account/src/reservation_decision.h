// Which orders of a group can be reserved: a pure function of the requests and the
// balances their rows held when locked (functional core of reserve_orders; the SQL that
// locks, loads and stores the rows is around it in reserve_orders.cc).
//
// Orders are decided in request order (the group's arrival order): each reserved order
// takes its cash or shares out of what is available before the next is decided, so a
// group can never reserve more than an account holds. Thread-safety: pure.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "balance_store.h"
#include "bourse/account/reservation.h"

namespace bourse::account {

// The rows a group locks, as read; decide_reservations raises their `reserved`.
struct GroupBalances {
  std::map<std::string, Balance> cash;       // by user id; absent = no account
  std::map<PositionKey, Balance> positions;  // absent = the user never held the symbol
};

// The cash rows to lock: every requester, ascending, unique.
std::vector<std::string> users_to_lock(std::span<const ReservationRequest> requests);
// The position rows to read (or lock): (user, symbol) of every SELL, ascending, unique.
// Read in the same round trip as the cash rows, so before knowing which accounts exist: a
// SELL of an unknown account reads a position that is not there (no row, and at READ
// COMMITTED no lock) and is then rejected as unknown_account.
std::vector<PositionKey> positions_to_lock(std::span<const ReservationRequest> requests);

// One decision per request, in order; `balances` ends holding the new reserved amounts.
// Reserved decisions have no order id yet. REQUIRES: every request is valid (see
// validate_reservation_request) and `balances` holds the rows the two functions above named.
std::vector<ReservationDecision> decide_reservations(std::span<const ReservationRequest> requests,
                                                     GroupBalances& balances);

// kInvalidArgument for a request no order entry could have produced.
Status validate_reservation_request(const ReservationRequest& request);

}  // namespace bourse::account
