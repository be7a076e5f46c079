// The live streams of one instance (docs/STREAMS.md): every instance reads the WHOLE
// matching-events topic with its own group-less reader (kafka::PartitionReader, manual
// assignment of every partition, no commits), starting at the records of the last
// `window` (offsetsForTimes), keeps the recent events in an EventRing, and fans each new
// event out to the subscribers it concerns:
//   - order streams (GET /v1/orders/stream?user_id=): the user's OrderAccepted, each fill
//     (TradeExecuted, as the user's side of it), OrderCancelled, OrderRejected,
//     CancelTooLate, whichever instance processed them;
//   - market streams (GET /v1/market/{symbol}/stream): the symbol's trades (no user or
//     order ids) and its best bid / ask (`quote`, read from market_view after each batch
//     of events that touched the symbol, sent when it changed).
//
// Ids: every event carries the stream position (stream_position.h) right after it, maxed
// with where the subscriber resumed from, so a client resuming on any instance gets every
// event it has not seen and none it has. A resume point the ring no longer covers (or
// whose replay would not fit the subscriber's queue) gets an `event: reset` instead: the
// client refetches through REST and continues from the reset's id.
//
// Bounds: max_subscribers open streams (then subscribe fails with kUnavailable, reason
// "too_many_streams"); per subscriber http::StreamOptions::max_queued_chunks events (a
// subscriber that stops reading is dropped by the server, see http/stream_channel.h);
// the ring's ring_events / window.
//
// Thread-safety: subscribe_* and subscribers() may be called from any thread (they block
// briefly: run them on the blocking pool); start/stop from the controlling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/db/connection_pool.h"
#include "bourse/kafka/config.h"
#include "bourse/kafka/message.h"
#include "bourse/metrics/registry.h"
#include "http/stream_channel.h"
#include "streams/event_ring.h"
#include "streams/stream_position.h"

namespace bourse::streams {

inline constexpr std::size_t kDefaultMaxStreamSubscribers = 2'000;
inline constexpr std::size_t kMaxStreamSubscribers = 10'000;  // limits::kMaxHttpConnections
// Events per subscriber queue (stream.queue_events), and its ceiling.
inline constexpr std::size_t kDefaultStreamQueueEvents = 256;
inline constexpr std::size_t kMaxStreamQueueEvents = 65'536;
// The reader's poll wait, and the most records handled before quotes are refreshed.
inline constexpr std::chrono::milliseconds kReaderPollTimeout{100};
inline constexpr std::size_t kReaderBatchRecords = 256;
// Pause between attempts while the topic or the broker is not there yet.
inline constexpr std::chrono::milliseconds kReaderRetryDelay{500};

// The reasons of subscribe errors (kUnavailable, answered 503).
inline constexpr const char* kTooManyStreamsReason = "too_many_streams";
inline constexpr const char* kStreamsNotReadyReason = "streams_not_ready";

struct StreamHubOptions {
  std::string topic;                // the full matching-events topic name
  kafka::KafkaConfig kafka;         // brokers and a client id (no group is joined)
  std::size_t max_subscribers = kDefaultMaxStreamSubscribers;  // 1..kMaxStreamSubscribers
  std::size_t ring_events = kDefaultRingEvents;                // 1..kMaxRingEvents
  std::chrono::milliseconds window = kDefaultStreamWindow;     // > 0
  http::StreamOptions stream;  // per-subscriber queue (events), heartbeat, write timeout
};

Status validate(const StreamHubOptions& options);

class StreamHub {
 public:
  // REQUIRES: validate(options).ok(); `pool` and `registry` outlive the hub.
  StreamHub(StreamHubOptions options, db::ConnectionPool& pool, metrics::Registry& registry);
  ~StreamHub();
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  // Starts the reader thread: it waits for the topic, picks its start, then reads.
  void start();
  // Ends every stream cleanly (queued events, then the end of the response) and joins
  // the reader. Idempotent.
  void stop();
  // True once the reader has chosen its start: subscriptions are served.
  bool ready() const;
  std::size_t subscribers() const;

  // A new order stream of `user_id` (REQUIRES: a valid user id), resuming after `last`
  // when given. Errors: kUnavailable (kStreamsNotReadyReason, kTooManyStreamsReason).
  Result<std::shared_ptr<http::StreamChannel>> subscribe_orders(
      const std::string& user_id, const std::optional<StreamPosition>& last);
  // A new market stream of `symbol` (REQUIRES: a configured symbol): first the current
  // quote (a database read: call it from the blocking pool), then the trades after `last`.
  // Errors: as subscribe_orders, and the database's (kUnavailable).
  Result<std::shared_ptr<http::StreamChannel>> subscribe_market(
      const std::string& symbol, const std::optional<StreamPosition>& last);

 private:
  struct Subscriber {
    std::shared_ptr<http::StreamChannel> channel;
    StreamPosition cursor;
  };
  using Subscribers = std::unordered_multimap<std::string, std::shared_ptr<Subscriber>>;

  Result<std::shared_ptr<http::StreamChannel>> subscribe(bool market, const std::string& key,
                                                          const std::optional<StreamPosition>& last,
                                                          std::optional<std::string> quote);
  void run();
  bool open_reader();
  void handle_record(const kafka::Message& message, std::vector<std::string>& touched);
  void dispatch(const StreamEvent& event);
  void refresh_quotes(const std::vector<std::string>& touched);
  std::size_t prune_locked();

  const StreamHubOptions options_;
  db::ConnectionPool& pool_;
  metrics::Gauge& subscribers_gauge_;
  metrics::Counter& dropped_total_;
  metrics::Counter& resets_total_;

  mutable std::mutex mutex_;
  std::optional<EventRing> ring_;  // guarded by mutex_; set once the reader started
  StreamPosition live_from_;       // guarded by mutex_: the end of the topic at start
  Subscribers by_user_;            // guarded by mutex_
  Subscribers by_symbol_;          // guarded by mutex_
  std::size_t open_ = 0;           // guarded by mutex_: registered subscribers

  // The reader thread's own.
  struct Reader;
  std::unique_ptr<Reader> reader_;
  std::unordered_map<std::string, std::string> last_quote_;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The SSE text of one event: "id: ..\nevent: ..\ndata: ..\n\n" (`id` omitted when empty).
std::string sse_event(std::string_view id, std::string_view name, std::string_view data);

}  // namespace bourse::streams
