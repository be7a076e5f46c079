#include "app/event_streams.h"

#include "bourse/account/account_service.h"
#include "bourse/account/events.h"
#include "bourse/matching/events.h"
#include "bourse/order/events.h"

namespace bourse::app {

std::vector<EventStream> event_streams(const EventHandlers& handlers) {
  namespace me = matching::events;
  namespace ae = account::events;
  return {
      {.publisher = "order",
       .outbox_table = order::kOutboxTable,
       .topic = "order-events",
       .key = "symbol",
       .event_types = {order::OrderCreated::kType, order::CancelRequested::kType},
       .subscriptions = {{.group = kMatchingGroup,
                          .handler = nullptr,
                          .own_consumer = true,
                          .wakes_outbox = me::kOutboxTable}}},
      {.publisher = "matching",
       .outbox_table = me::kOutboxTable,
       .topic = "matching-events",
       .key = "symbol",
       .event_types = {me::OrderAccepted::kType, me::TradeExecuted::kType,
                       me::OrderCancelled::kType, me::OrderRejected::kType,
                       me::CancelTooLate::kType},
       .subscriptions = {{.group = "account-settlement",
                          .handler = handlers.settlement,
                          .wakes_outbox = account::kOutboxTable},
                         {.group = "order-status", .handler = handlers.order_status}}},
      {.publisher = "account",
       .outbox_table = account::kOutboxTable,
       .topic = "account-events",
       .key = "symbol",
       .event_types = {ae::TradeSettled::kType, ae::ReservationReleased::kType},
       .subscriptions = {{.group = "order-status-account", .handler = handlers.order_status}}},
  };
}

std::string render_event_streams_markdown(const std::vector<EventStream>& streams) {
  std::string text =
      "| topic | outbox table | publisher | key | event types | consumer groups |\n"
      "|---|---|---|---|---|---|\n";
  const auto join = [](const auto& items, auto name) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + std::string(name(item));
    return joined.empty() ? std::string("(none yet)") : joined;
  };
  for (const EventStream& stream : streams) {
    text += "| " + std::string(stream.topic) + " | " + std::string(stream.outbox_table) + " | " +
            std::string(stream.publisher) + " | " + std::string(stream.key) + " | " +
            join(stream.event_types, [](std::string_view type) { return type; }) + " | " +
            join(stream.subscriptions,
                 [](const Subscription& s) {
                   return std::string(s.group) + (s.own_consumer ? " (own consumer)" : "");
                 }) +
            " |\n";
  }
  return text;
}

}  // namespace bourse::app
