#include "in_flight_events.h"

#include <soci/soci.h>

#include "bourse/account/events.h"
#include "bourse/envelope/envelope.h"
#include "bourse/scheduler/reconciler.h"

namespace bourse::scheduler {

Result<InFlightEvents> load_in_flight_events(soci::session& session,
                                             const std::string& consumer_group) {
  const long long limit = static_cast<long long>(kMaxInFlightEvents) + 1;
  const std::string settled(account::events::TradeSettled::kType);
  const std::string released(account::events::ReservationReleased::kType);
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT o.event_type, o.payload FROM account_outbox o"
                          " WHERE o.event_type IN (:settled, :released) AND NOT EXISTS"
                          " (SELECT 1 FROM processed_events p WHERE p.consumer_group = :g"
                          " AND p.event_id = o.event_id) ORDER BY o.id LIMIT :n",
       soci::use(settled), soci::use(released), soci::use(consumer_group), soci::use(limit));
  InFlightEvents in_flight;
  for (const soci::row& row : rows) {
    if (++in_flight.count > static_cast<std::int64_t>(kMaxInFlightEvents)) {
      return Error::unavailable("more than " + std::to_string(kMaxInFlightEvents) +
                                " account events wait for the order status follower");
    }
    const std::string type = row.get<std::string>(0);
    auto envelope = envelope::parse(row.get<std::string>(1));
    if (!envelope) return Error::internal("account_outbox row: " + envelope.error().message);
    if (type == settled) {
      auto event = account::events::TradeSettled::parse(envelope->data, envelope->version);
      if (!event) return Error::internal("account_outbox TradeSettled: " + event.error().message);
      const std::int64_t quantity = event->quantity.value();
      in_flight.pending_fills[event->buy_order_id.value()] += quantity;
      in_flight.pending_fills[event->sell_order_id.value()] += quantity;
      in_flight.pending_settled_trades.insert(event->trade_id.value());
    } else {
      auto event = account::events::ReservationReleased::parse(envelope->data, envelope->version);
      if (!event) {
        return Error::internal("account_outbox ReservationReleased: " + event.error().message);
      }
      in_flight.pending_releases.insert(event->order_id.value());
    }
  }
  return in_flight;
}

}  // namespace bourse::scheduler
