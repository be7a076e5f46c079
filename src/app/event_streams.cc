#include "app/event_streams.h"

#include "bourse/account/account_service.h"
#include "bourse/order/events.h"

namespace bourse::app {

std::vector<EventStream> event_streams(const EventHandlers& /*handlers*/) {
  return {
      {.publisher = "order",
       .outbox_table = order::kOutboxTable,
       .topic = "order-events",
       .key = "symbol",
       .event_types = {order::OrderCreated::kType, order::CancelRequested::kType},
       .subscriptions = {}},
      {.publisher = "account",
       .outbox_table = account::kOutboxTable,
       .topic = "account-events",
       .key = "symbol",
       .event_types = {},
       .subscriptions = {}},
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
            join(stream.subscriptions, [](const Subscription& s) { return s.group; }) + " |\n";
  }
  return text;
}

}  // namespace bourse::app
