#include "bourse/order/status_follower.h"

#include <algorithm>
#include <array>
#include <string>

#include "bourse/account/events.h"
#include "bourse/common/assert.h"
#include "bourse/db/sql_error.h"
#include "bourse/log/log.h"
#include "bourse/matching/events.h"
#include "bourse/order/status_rules.h"
#include "order_store.h"
#include "trade_store.h"
#include "utc_timestamp.h"

namespace bourse::order {
namespace {

namespace matching_events = bourse::matching::events;
namespace account_events = bourse::account::events;

// Success if the event parsed: an event the status does not depend on is still checked,
// so a broken producer shows up as a dead letter rather than silence.
template <typename Event>
Status parses(const Result<Event>& decoded) {
  if (!decoded) return decoded.error();
  return Status::success();
}

Error order_not_found(OrderId order_id, std::string_view event_type) {
  return Error{ErrorCode::kNotFound,
               std::string(event_type) + " names order " + std::to_string(order_id.value()) +
                   ", which the order module does not have",
               "order_not_found"};
}

Result<std::chrono::system_clock::time_point> instant(std::string_view text) {
  auto parsed = parse_rfc3339_utc(text);
  if (!parsed) return parsed.error();
  return std::chrono::system_clock::time_point(*parsed);
}

Status on_accepted(soci::session& session, const matching_events::OrderAccepted& event) {
  auto order = store::find_order(session, event.order_id, /*for_update=*/true);
  if (!order) return order_not_found(event.order_id, event.kType);
  const OrderStatus next = status_after_accepted(order->status);
  if (next == order->status) return Status::success();  // late or repeated: never backwards
  store::update_order_state(session, order->order_id,
                            {next, order->filled_quantity, order->filled_notional, {}, {}});
  return Status::success();
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

Status on_executed(soci::session& session, const matching_events::TradeExecuted& event) {
  auto trade = trade_of(event);
  if (!trade) return trade.error();
  store::insert_trade_if_absent(session, *trade);  // TradeSettled may have inserted it
  return Status::success();
}

// The stored trade is the one the event describes (the executed_at instants may differ
// in precision only if an upstream copied it wrongly: they are compared too).
bool same_trade(const Trade& stored, const Trade& event) {
  return stored.trade_id == event.trade_id && stored.symbol == event.symbol &&
         stored.price == event.price && stored.quantity == event.quantity &&
         stored.buy_order_id == event.buy_order_id &&
         stored.sell_order_id == event.sell_order_id && stored.buyer == event.buyer &&
         stored.seller == event.seller && stored.executed_at == event.executed_at;
}

Status add_fill(soci::session& session, OrderId order_id, const Trade& trade) {
  auto order = store::find_order(session, order_id, /*for_update=*/true);
  if (!order) return order_not_found(order_id, account_events::TradeSettled::kType);
  auto next = state_after_settled_trade(
      FillState{order->status, order->filled_quantity, order->filled_notional}, order->quantity,
      trade.quantity, trade.price);
  if (!next) {
    Error error = next.error();
    error.message += " (order " + std::to_string(order_id.value()) + ", trade " +
                     std::to_string(trade.trade_id.value()) + ")";
    return error;
  }
  store::update_order_state(session, order_id,
                            {next->status, next->filled_quantity, next->filled_notional, {}, {}});
  return Status::success();
}

Status on_settled(soci::session& session, const account_events::TradeSettled& event) {
  auto trade = trade_of(event);
  if (!trade) return trade.error();
  auto settled_at = instant(event.settled_at);
  if (!settled_at) return settled_at.error();
  // The row exists and is locked from here on, whichever event came first.
  store::insert_trade_if_absent(session, *trade);
  auto stored = store::find_trade(session, trade->trade_id, /*for_update=*/true);
  BOURSE_ASSERT(stored.has_value(), "the trade row exists after insert_trade_if_absent");
  if (!same_trade(*stored, *trade)) {
    return Error{ErrorCode::kInternal,
                 "TradeSettled for trade " + std::to_string(trade->trade_id.value()) +
                     " differs from the stored trade",
                 "trade_mismatch"};
  }
  if (stored->settled_at) return Status::success();  // counted when it was first settled
  store::mark_trade_settled(session, trade->trade_id, *settled_at);
  // Lock order: ascending order id.
  std::array<OrderId, 2> orders{trade->buy_order_id, trade->sell_order_id};
  std::sort(orders.begin(), orders.end());
  for (OrderId order_id : orders) {
    if (Status added = add_fill(session, order_id, *trade); !added) return added;
  }
  return Status::success();
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

Status on_released(soci::session& session, const account_events::ReservationReleased& event) {
  if (Status valid = check_reason(event); !valid) return valid;
  auto order = store::find_order(session, event.order_id, /*for_update=*/true);
  if (!order) return order_not_found(event.order_id, event.kType);
  const OrderStatus next = status_after_released(order->status, event.cause);
  if (next == order->status) return Status::success();  // already final
  store::OrderStateUpdate update{next, order->filled_quantity, order->filled_notional, {}, {}};
  if (next == OrderStatus::kCancelled) {
    update.cancel_reason = event.reason;
  } else {
    update.reject_reason = event.reason;
  }
  store::update_order_state(session, order->order_id, update);
  return Status::success();
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

  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& /*message*/) override {
    Status status = dispatch(session, event);
    if (status) events_.with({event.event_type}).inc();
    return status;
  }

 private:
  Status dispatch(soci::session& session, const envelope::Envelope& event) {
    const std::string& type = event.event_type;
    if (type == matching_events::OrderAccepted::kType) {
      return apply<matching_events::OrderAccepted>(session, event, on_accepted);
    }
    if (type == matching_events::TradeExecuted::kType) {
      return apply<matching_events::TradeExecuted>(session, event, on_executed);
    }
    if (type == account_events::TradeSettled::kType) {
      return apply<account_events::TradeSettled>(session, event, on_settled);
    }
    if (type == account_events::ReservationReleased::kType) {
      return apply<account_events::ReservationReleased>(session, event, on_released);
    }
    if (type == matching_events::CancelTooLate::kType) {
      auto too_late = envelope::decode<matching_events::CancelTooLate>(event);
      if (!too_late) return too_late.error();
      cancels_too_late_.inc();  // may count a rolled-back attempt twice: a metric only
      log::info("cancel request too late: nothing left to cancel",
                {{"order_id", too_late->order_id.value()},
                 {"user_id", too_late->user_id},
                 {"symbol", too_late->symbol}});
      return Status::success();
    }
    if (type == matching_events::OrderCancelled::kType) {
      return parses(envelope::decode<matching_events::OrderCancelled>(event));
    }
    if (type == matching_events::OrderRejected::kType) {
      return parses(envelope::decode<matching_events::OrderRejected>(event));
    }
    return Status::success();  // not an event the order status depends on
  }

  template <typename Event, typename Apply>
  static Status apply(soci::session& session, const envelope::Envelope& event, Apply effect) {
    auto decoded = envelope::decode<Event>(event);
    if (!decoded) return decoded.error();
    try {
      return effect(session, *decoded);
    } catch (...) {
      return db::translate_current_exception();  // deadlocks stay retryable
    }
  }

  metrics::Counter& cancels_too_late_;
  metrics::CounterFamily& events_;
};

}  // namespace

std::unique_ptr<consumer::EventHandler> make_status_handler(metrics::Registry& registry) {
  return std::make_unique<StatusHandler>(registry);
}

}  // namespace bourse::order
