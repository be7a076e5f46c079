#include "bourse/consumer/event_handler.h"

#include "bourse/common/assert.h"

namespace bourse::consumer {

EventHandler::~EventHandler() = default;

Status EventHandler::handle_batch(soci::session& session, std::span<const DeliveredEvent> events) {
  BOURSE_ASSERT(!events.empty(), "handle_batch is never called with an empty batch");
  for (const DeliveredEvent& delivered : events) {
    if (Status handled = handle(session, delivered.event, delivered.message); !handled) {
      return handled;
    }
  }
  return Status::success();
}

Status EventHandler::handle_batch_ending_with(soci::session& session,
                                              std::span<const DeliveredEvent> events,
                                              std::vector<db::SqlStatement>& /*last_writes*/) {
  return handle_batch(session, events);
}

bool EventHandler::handles(std::string_view /*event_type*/) const { return true; }

bool EventHandler::deduplicates(std::string_view /*event_type*/) const { return false; }

}  // namespace bourse::consumer
