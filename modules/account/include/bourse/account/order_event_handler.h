// The account module's reaction to order events: OrderCreated -> reserve the order's
// cash or shares and announce the outcome (FundsReserved or OrderRejected) through the
// account outbox, in the caller's transaction.
//
// Runs inside the exactly-once consumer's batch transaction: the reservation, the
// outbox row and the consumer's stored offset commit together. A redelivered
// OrderCreated finds the outcome already decided (replayed) and writes no second event.
// SOCI exceptions propagate (the consumer rolls back and retries); an Error means the
// event can never apply (malformed data, unknown symbol) and is dead-lettered.
//
// Thread-safety: stateless apart from the references it holds; safe from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <soci/session.h>
#include <string>
#include <string_view>

#include "bourse/account/account_service.h"
#include "bourse/common/clock.h"
#include "bourse/common/instrument.h"

namespace bourse::account {

class OrderEventHandler {
 public:
  // `account_events_topic`: where FundsReserved / OrderRejected go, e.g.
  // "bourse.account-events". `instruments` gives each symbol's reference price and band
  // (the market-buy cash cap). All references must outlive the handler.
  OrderEventHandler(AccountService& accounts, const std::map<std::string, Instrument>& instruments,
                    std::string account_events_topic, const Clock& clock);

  Status apply(soci::session& session, std::string_view event_type,
               const boost::json::object& data);

 private:
  Status on_order_created(soci::session& session, const boost::json::object& data);

  AccountService& accounts_;
  const std::map<std::string, Instrument>& instruments_;
  const std::string topic_;
  const Clock& clock_;
};

}  // namespace bourse::account
