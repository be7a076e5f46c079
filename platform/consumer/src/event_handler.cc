#include "bourse/consumer/event_handler.h"

namespace bourse::consumer {

EventHandler::~EventHandler() = default;

}  // namespace bourse::consumer
