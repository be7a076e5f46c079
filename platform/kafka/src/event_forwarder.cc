#include "event_forwarder.h"

#include <utility>

namespace bourse::kafka::detail {

EventForwarder::EventForwarder(std::string client_id, LogSink sink, std::function<void()> on_fatal)
    : client_id_(std::move(client_id)),
      sink_(sink ? std::move(sink) : stderr_json_sink()),
      on_fatal_(std::move(on_fatal)) {}

void EventForwarder::log(LogLevel level, std::string facility, std::string message) const noexcept {
  try {
    sink_(LogRecord{level, client_id_, std::move(facility), std::move(message)});
  } catch (...) {
    // A failing log sink must not take the Kafka client down with it.
  }
}

void EventForwarder::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_LOG:
      log(log_level_from_syslog(static_cast<int>(event.severity())), event.fac(), event.str());
      break;
    case RdKafka::Event::EVENT_ERROR: {
      // Client-level errors (all brokers down, authentication, fatal) are informational
      // for everything but fatal ones: librdkafka keeps retrying on its own.
      std::string message = RdKafka::err2str(event.err());
      if (!event.str().empty()) message += ": " + event.str();
      log(LogLevel::kError, event.fatal() ? "FATAL" : "ERROR", std::move(message));
      if (event.fatal() && on_fatal_) on_fatal_();
      break;
    }
    case RdKafka::Event::EVENT_THROTTLE:
      log(LogLevel::kInfo, "THROTTLE",
          "throttled " + std::to_string(event.throttle_time()) + " ms by broker " +
              event.broker_name());
      break;
    case RdKafka::Event::EVENT_STATS:
    default:
      break;
  }
}

}  // namespace bourse::kafka::detail
