#include "bourse/order/status_follower.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bourse/account/events.h"
#include "bourse/db/sql_error.h"
#include "bourse/log/log.h"
#include "bourse/matching/events.h"
#include "status_batch.h"
#include "utc_timestamp.h"

namespace bourse::order {
namespace {

namespace matching_events = bourse::matching::events;
namespace account_events = bourse::account::events;
using follower::Accepted;
using follower::Effect;
using follower::Executed;
using follower::Released;
using follower::Settled;

Result<std::chrono::system_clock::time_point> instant(std::string_view text) {
  auto parsed = parse_rfc3339_utc(text);
  if (!parsed) return parsed.error();
  return std::chrono::system_clock::time_point(*parsed);
}

// The trade as both TradeExecuted and TradeSettled describe it.
template <typename Event>
Result<Trade> trade_of(const Event& event) {
  auto executed_at = instant(event.executed_at);
  if (!executed_at) return executed_at.error();
  Trade trade;
  trade.trade_id = event.trade_id;
  trade.symbol = event.symbol;
  trade.price = event.price;
  trade.quantity = event.quantity;
  trade.buy_order_id = event.buy_order_id;
  trade.sell_order_id = event.sell_order_id;
  trade.buyer = event.buyer;
  trade.seller = event.seller;
  trade.executed_at = *executed_at;
  return trade;
}

// The reason's spelling must be one the matching contract defines for its cause.
Status check_reason(const account_events::ReservationReleased& event) {
  const bool known = event.cause == account_events::ReleaseCause::kCancelled
                         ? matching_events::parse_cancel_reason(event.reason).ok()
                         : matching_events::parse_reject_reason(event.reason).ok();
  if (known) return Status::success();
  return Error{ErrorCode::kMalformed,
               "ReservationReleased of order " + std::to_string(event.order_id.value()) +
                   " has an unknown " + std::string(account_events::to_string(event.cause)) +
                   " reason: " + event.reason.substr(0, 64),
               "unknown_release_reason"};
}

class StatusHandler final : public consumer::EventHandler {
 public:
  explicit StatusHandler(metrics::Registry& registry)
      : cancels_too_late_(registry
                              .counter("bourse_order_cancels_too_late_total",
                                       "Cancel requests that found nothing left to cancel")
                              .with({})),
        events_(registry.counter("bourse_order_status_events_total",
                                 "Events the order status follower handled, by type",
                                 {"type"})) {}

  // The retry path (one message per transaction): the batch of one.
  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& message) override {
    const consumer::DeliveredEvent one[] = {{event, message}};
    return handle_batch(session, one);
  }

  // The matching events change rows only through natural keys: OrderAccepted moves only
  // a PENDING order, TradeExecuted inserts a trade unless present, OrderCancelled and
  // OrderRejected change nothing. A copy of one changes nothing, so they need no
  // processed_events claim. CancelTooLate is claimed (its log line and counter would
  // repeat), and so are the account events: the reconciler reads this group's claims of
  // TradeSettled and ReservationReleased to know what is still in flight.
  bool deduplicates(std::string_view event_type) const override {
    return event_type == matching_events::OrderAccepted::kType ||
           event_type == matching_events::TradeExecuted::kType ||
           event_type == matching_events::OrderCancelled::kType ||
           event_type == matching_events::OrderRejected::kType;
  }

  // Decodes every event, then: the trades (inserted, locked, settled), then the orders
  // (locked, moved on in offset order, written): a constant number of statements for a
  // batch of up to kMaxStatusRowsPerStatement trades and orders. Here (the retry path) the
  // two writes run at once, together in one round trip.
  Status handle_batch(soci::session& session,
                      std::span<const consumer::DeliveredEvent> delivered) override {
    std::vector<db::SqlStatement> last_writes;
    if (Status applied = apply(session, delivered, last_writes); !applied) return applied;
    if (last_writes.empty()) return Status::success();
    try {
      auto written = db::execute_statements(session, last_writes);
      return written ? Status::success() : Status(written.error());
    } catch (...) {
      return db::translate_current_exception();  // deadlocks stay retryable
    }
  }

  // As handle_batch, but the writes that need nothing back (settled_at, the orders'
  // states) go with the consumer's offset and COMMIT (status_batch.h).
  Status handle_batch_ending_with(soci::session& session,
                                  std::span<const consumer::DeliveredEvent> delivered,
                                  std::vector<db::SqlStatement>& last_writes) override {
    return apply(session, delivered, last_writes);
  }

 private:
  Status apply(soci::session& session, std::span<const consumer::DeliveredEvent> delivered,
               std::vector<db::SqlStatement>& last_writes) {
    std::vector<Effect> effects;
    effects.reserve(delivered.size());
    for (const consumer::DeliveredEvent& one : delivered) {
      auto effect = decode(one.event);
      if (!effect) return effect.error();
      if (*effect) effects.push_back(std::move(**effect));
    }
    Status applied = Status::success();
    if (!effects.empty()) {
      try {
        applied = apply_batch(session, effects, last_writes);
      } catch (...) {
        applied = db::translate_current_exception();  // deadlocks stay retryable
      }
    }
    if (!applied) return applied;
    // Counted on the consumer's thread before the COMMIT: a batch that rolls back and is
    // retried counts again (as it did when its writes ran here).
    for (const consumer::DeliveredEvent& one : delivered) {
      events_.with({one.event.event_type}).inc();
    }
    return Status::success();
  }

  // The event's effect, nullopt if it has none on the tables. Errors: a known type that
  // does not parse, or a release with an unknown reason.
  Result<std::optional<Effect>> decode(const envelope::Envelope& event) {
    using Decoded = std::optional<Effect>;
    const std::string& type = event.event_type;
    if (type == matching_events::OrderAccepted::kType) {
      auto accepted = envelope::decode<matching_events::OrderAccepted>(event);
      if (!accepted) return accepted.error();
      return Decoded(Accepted{accepted->order_id});
    }
    if (type == matching_events::TradeExecuted::kType) {
      auto executed = envelope::decode<matching_events::TradeExecuted>(event);
      if (!executed) return executed.error();
      auto trade = trade_of(*executed);
      if (!trade) return trade.error();
      return Decoded(Executed{std::move(*trade)});
    }
    if (type == account_events::TradeSettled::kType) {
      auto settled = envelope::decode<account_events::TradeSettled>(event);
      if (!settled) return settled.error();
      auto trade = trade_of(*settled);
      if (!trade) return trade.error();
      auto settled_at = instant(settled->settled_at);
      if (!settled_at) return settled_at.error();
      return Decoded(Settled{std::move(*trade), *settled_at});
    }
    if (type == account_events::ReservationReleased::kType) {
      auto released = envelope::decode<account_events::ReservationReleased>(event);
      if (!released) return released.error();
      if (Status valid = check_reason(*released); !valid) return valid.error();
      return Decoded(Released{released->order_id, released->cause, std::move(released->reason)});
    }
    if (type == matching_events::CancelTooLate::kType) {
      auto too_late = envelope::decode<matching_events::CancelTooLate>(event);
      if (!too_late) return too_late.error();
      cancels_too_late_.inc();  // may count a rolled-back attempt twice: a metric only
      log::info("cancel request too late: nothing left to cancel",
                {{"order_id", too_late->order_id.value()},
                 {"user_id", too_late->user_id},
                 {"symbol", too_late->symbol}});
      return Decoded();
    }
    // Parsed, nothing else: an event the status does not depend on is still checked, so
    // a broken producer shows up as a dead letter rather than silence.
    if (type == matching_events::OrderCancelled::kType) {
      auto cancelled = envelope::decode<matching_events::OrderCancelled>(event);
      if (!cancelled) return cancelled.error();
      return Decoded();
    }
    if (type == matching_events::OrderRejected::kType) {
      auto rejected = envelope::decode<matching_events::OrderRejected>(event);
      if (!rejected) return rejected.error();
      return Decoded();
    }
    return Decoded();  // not an event the order status depends on
  }

  metrics::Counter& cancels_too_late_;
  metrics::CounterFamily& events_;
};

}  // namespace

std::unique_ptr<consumer::EventHandler> make_status_handler(metrics::Registry& registry) {
  return std::make_unique<StatusHandler>(registry);
}

}  // namespace bourse::order
