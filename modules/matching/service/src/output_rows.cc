#include "output_rows.h"

#include <type_traits>

namespace bourse::matching::service {

outbox::OutboxEvent outbox_row(const ShardOutput& output, std::int32_t partition,
                               const std::string& topic, const std::string& executed_at) {
  outbox::OutboxEvent row = std::visit(
      [&](const auto& event) -> outbox::OutboxEvent {
        using Event = std::decay_t<decltype(event)>;
        if constexpr (std::is_same_v<Event, events::TradeExecuted>) {
          events::TradeExecuted stamped = event;
          stamped.executed_at = executed_at;
          return outbox::outbox_event(stamped, topic);
        } else {
          return outbox::outbox_event(event, topic);
        }
      },
      output.event);
  row.event_id = events::output_event_id(partition, output.input_offset, output.index);
  return row;
}

}  // namespace bourse::matching::service
