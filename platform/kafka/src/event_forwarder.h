// Receives librdkafka's events (logs, client errors, throttling) for one handle and
// forwards them to the configured LogSink as structured records.
//
// librdkafka calls event_cb() from its internal threads (logs) and from whichever thread
// serves the handle's queue (errors), possibly concurrently: everything here is
// thread-safe. Nothing thrown by the sink escapes into librdkafka.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <functional>
#include <string>

#include "bourse/kafka/log_sink.h"

namespace bourse::kafka::detail {

class EventForwarder final : public RdKafka::EventCb {
 public:
  // on_fatal: called (on the thread serving the queue) when librdkafka reports a fatal
  // error; may be empty.
  EventForwarder(std::string client_id, LogSink sink, std::function<void()> on_fatal = {});

  void event_cb(RdKafka::Event& event) override;

  // A record from the adapter itself (facility e.g. "REBALANCE", "PRODUCER").
  void log(LogLevel level, std::string facility, std::string message) const noexcept;

 private:
  const std::string client_id_;
  const LogSink sink_;
  const std::function<void()> on_fatal_;
};

}  // namespace bourse::kafka::detail
