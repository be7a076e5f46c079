// Adapters from the exactly-once consumer's EventHandler to each module's event
// reaction. They only forward: the modules own the logic, the consumer framework owns
// the transaction, the offsets and the deduplication.
#pragma once

#include <functional>

#include "bourse/consumer/event_handler.h"

namespace bourse::app {

// Applies an event's type and data inside the consumer's transaction.
using ApplyEvent =
    std::function<Status(soci::session&, std::string_view event_type, const boost::json::object&)>;

class ForwardingHandler final : public consumer::EventHandler {
 public:
  explicit ForwardingHandler(ApplyEvent apply) : apply_(std::move(apply)) {}
  Status handle(soci::session& session, const consumer::Envelope& event,
                const kafka::Message&) override {
    return apply_(session, event.event_type, event.data);
  }

 private:
  ApplyEvent apply_;
};

}  // namespace bourse::app
