#include "streams/stream_hub.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "bourse/common/assert.h"
#include "bourse/common/thread_name.h"
#include "bourse/envelope/envelope.h"
#include "bourse/kafka/partition_reader.h"
#include "bourse/log/log.h"
#include "bourse/market_data/market_view_store.h"
#include "bourse/matching/events.h"

namespace bourse::streams {
namespace {

namespace me = matching::events;
using SystemClock = std::chrono::system_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SystemClock::now().time_since_epoch())
      .count();
}

// How far past now a timestamp must be for offsetsForTimes to answer every partition's end.
constexpr std::int64_t kFarFutureMs = 365LL * 24 * 3600 * 1000;

std::string to_text(const boost::json::object& object) { return boost::json::serialize(object); }

boost::json::object header(const envelope::Envelope& envelope) {
  return {{"event_type", envelope.event_type}, {"occurred_at", envelope.occurred_at}};
}

// The stream event of a matching event, std::nullopt for a record that is not one.
std::optional<StreamEvent> to_stream_event(const kafka::Message& message) {
  auto parsed = envelope::parse(message.value);
  if (!parsed) return std::nullopt;
  const envelope::Envelope& envelope = *parsed;
  StreamEvent event;
  event.partition = message.partition;
  event.offset = message.offset;
  event.timestamp_ms = message.timestamp_ms >= 0 ? message.timestamp_ms : now_ms();
  boost::json::object data = header(envelope);
  if (auto accepted = envelope::decode<me::OrderAccepted>(envelope)) {
    event.name = "order.accepted";
    event.symbol = accepted->symbol;
    event.user = accepted->user_id;
    data["order_id"] = accepted->order_id.value();
    data["symbol"] = accepted->symbol;
    data["side"] = to_string(accepted->side);
    data["price"] = accepted->price.to_string();
    data["resting_quantity"] = accepted->resting_quantity.value();
    event.user_data = to_text(data);
  } else if (auto trade = envelope::decode<me::TradeExecuted>(envelope)) {
    event.name = "order.trade";
    event.symbol = trade->symbol;
    event.user = trade->buyer;
    event.other_user = trade->buyer == trade->seller ? std::string() : trade->seller;
    const auto side_view = [&](Side side) {
      boost::json::object view = data;
      const bool buy = side == Side::kBuy;
      view["trade_id"] = trade->trade_id.value();
      view["order_id"] = buy ? trade->buy_order_id.value() : trade->sell_order_id.value();
      view["symbol"] = trade->symbol;
      view["side"] = to_string(side);
      view["price"] = trade->price.to_string();
      view["quantity"] = trade->quantity.value();
      view["remaining_quantity"] =
          buy ? trade->buy_remaining.value() : trade->sell_remaining.value();
      view["liquidity"] = trade->taker_side == side ? "taker" : "maker";
      view["executed_at"] = trade->executed_at;
      return to_text(view);
    };
    event.user_data = side_view(Side::kBuy);
    event.other_user_data = side_view(Side::kSell);
    event.market_name = "trade";
    boost::json::object market{{"trade_id", trade->trade_id.value()},
                               {"symbol", trade->symbol},
                               {"price", trade->price.to_string()},
                               {"quantity", trade->quantity.value()},
                               {"taker_side", to_string(trade->taker_side)},
                               {"executed_at", trade->executed_at}};
    event.market_data = to_text(market);
  } else if (auto cancelled = envelope::decode<me::OrderCancelled>(envelope)) {
    event.name = "order.cancelled";
    event.symbol = cancelled->symbol;
    event.user = cancelled->user_id;
    data["order_id"] = cancelled->order_id.value();
    data["symbol"] = cancelled->symbol;
    data["side"] = to_string(cancelled->side);
    data["reason"] = me::to_string(cancelled->reason);
    data["cancelled_quantity"] = cancelled->cancelled_quantity.value();
    event.user_data = to_text(data);
  } else if (auto rejected = envelope::decode<me::OrderRejected>(envelope)) {
    event.name = "order.rejected";
    event.symbol = rejected->symbol;
    event.user = rejected->user_id;
    data["order_id"] = rejected->order_id.value();
    data["symbol"] = rejected->symbol;
    data["side"] = to_string(rejected->side);
    data["reason"] = me::to_string(rejected->reason);
    event.user_data = to_text(data);
  } else if (auto too_late = envelope::decode<me::CancelTooLate>(envelope)) {
    event.name = "order.cancel_too_late";
    event.symbol = too_late->symbol;
    event.user = too_late->user_id;
    data["order_id"] = too_late->order_id.value();
    data["symbol"] = too_late->symbol;
    event.user_data = to_text(data);
  } else {
    return std::nullopt;
  }
  return event;
}

boost::json::value best_of(const std::vector<market_data::PriceLevel>& side) {
  if (side.empty()) return nullptr;
  return boost::json::object{{"price", side.front().price.to_string()},
                             {"quantity", side.front().quantity.value()},
                             {"orders", side.front().orders}};
}

// The `quote` data of a symbol: its best bid and ask as market_view holds them now.
Result<std::string> load_quote(db::ConnectionPool& pool, const std::string& symbol) {
  auto loaded = market_data::load_market_view(pool, symbol);
  if (!loaded) return loaded.error();
  market_data::MarketView view;
  if (*loaded) view = std::move(**loaded);
  boost::json::object quote{{"symbol", symbol},
                            {"best_bid", best_of(view.bids)},
                            {"best_ask", best_of(view.asks)}};
  return to_text(quote);
}

}  // namespace

std::string sse_event(std::string_view id, std::string_view name, std::string_view data) {
  std::string text;
  text.reserve(id.size() + name.size() + data.size() + 24);
  if (!id.empty()) {
    text += "id: ";
    text += id;
    text += '\n';
  }
  text += "event: ";
  text += name;
  text += "\ndata: ";
  text += data;  // one line: serialized JSON never holds a raw newline
  text += "\n\n";
  return text;
}

Status validate(const StreamHubOptions& options) {
  if (options.topic.empty()) return Error::invalid("stream hub: topic is required");
  if (options.max_subscribers < 1 || options.max_subscribers > kMaxStreamSubscribers) {
    return Error::invalid(
        fmt::format("stream.max_subscribers must be in 1..{}", kMaxStreamSubscribers));
  }
  if (options.ring_events < 1 || options.ring_events > kMaxRingEvents) {
    return Error::invalid(fmt::format("stream.ring_events must be in 1..{}", kMaxRingEvents));
  }
  if (options.window.count() <= 0) return Error::invalid("stream.window_ms must be positive");
  if (options.stream.max_queued_chunks < 2 ||
      options.stream.max_queued_chunks > kMaxStreamQueueEvents) {
    return Error::invalid(
        fmt::format("stream.queue_events must be in 2..{}", kMaxStreamQueueEvents));
  }
  if (options.stream.heartbeat.count() <= 0 || options.stream.write_timeout.count() <= 0) {
    return Error::invalid("stream.heartbeat_ms must be positive");
  }
  return kafka::validate(options.kafka);
}

struct StreamHub::Reader {
  std::unique_ptr<kafka::PartitionReader> client;
};

StreamHub::StreamHub(StreamHubOptions options, db::ConnectionPool& pool,
                     metrics::Registry& registry)
    : options_(std::move(options)),
      pool_(pool),
      subscribers_gauge_(
          registry.gauge("bourse_stream_subscribers", "Open order and market streams").with({})),
      dropped_total_(registry
                         .counter("bourse_stream_dropped_total",
                                  "Streams ended because the subscriber did not keep up")
                         .with({})),
      resets_total_(registry
                        .counter("bourse_stream_resets_total",
                                 "Resumes answered with event: reset (position too old)")
                        .with({})),
      reader_(std::make_unique<Reader>()) {
  BOURSE_ASSERT(validate(options_).ok(), "invalid StreamHubOptions");
}

StreamHub::~StreamHub() { stop(); }

void StreamHub::start() {
  BOURSE_ASSERT(!thread_.joinable(), "StreamHub::start() called twice");
  thread_ = std::thread([this] {
    set_current_thread_name("stream-hub");
    run();
  });
}

void StreamHub::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  for (auto* subscribers : {&by_user_, &by_symbol_}) {
    for (auto& [key, subscriber] : *subscribers) subscriber->channel->finish();
    subscribers->clear();
  }
  open_ = 0;
  subscribers_gauge_.set(0);
}

bool StreamHub::ready() const {
  std::lock_guard lock(mutex_);
  return ring_.has_value();
}

std::size_t StreamHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return const_cast<StreamHub*>(this)->prune_locked();
}

std::size_t StreamHub::prune_locked() {
  for (auto* subscribers : {&by_user_, &by_symbol_}) {
    for (auto it = subscribers->begin(); it != subscribers->end();) {
      const auto end = it->second->channel->end();
      if (end == http::StreamChannel::End::kOpen) {
        ++it;
        continue;
      }
      if (end == http::StreamChannel::End::kDropped) dropped_total_.inc();
      it = subscribers->erase(it);
      --open_;
    }
  }
  subscribers_gauge_.set(static_cast<double>(open_));
  return open_;
}

Result<std::shared_ptr<http::StreamChannel>> StreamHub::subscribe_orders(
    const std::string& user_id, const std::optional<StreamPosition>& last) {
  return subscribe(false, user_id, last, std::nullopt);
}

Result<std::shared_ptr<http::StreamChannel>> StreamHub::subscribe_market(
    const std::string& symbol, const std::optional<StreamPosition>& last) {
  if (!ready()) {
    return Error{ErrorCode::kUnavailable, "the streams are starting", kStreamsNotReadyReason};
  }
  auto quote = load_quote(pool_, symbol);
  if (!quote) return quote.error();
  return subscribe(true, symbol, last, std::move(*quote));
}

Result<std::shared_ptr<http::StreamChannel>> StreamHub::subscribe(
    bool market, const std::string& key, const std::optional<StreamPosition>& last,
    std::optional<std::string> quote) {
  std::lock_guard lock(mutex_);
  if (!ring_) {
    return Error{ErrorCode::kUnavailable, "the streams are starting", kStreamsNotReadyReason};
  }
  if (stopping_.load()) {
    return Error{ErrorCode::kUnavailable, "the server is stopping", kStreamsNotReadyReason};
  }
  if (prune_locked() >= options_.max_subscribers) {
    return Error{ErrorCode::kUnavailable,
                 fmt::format("{} streams are open on this instance, the most it serves",
                             options_.max_subscribers),
                 kTooManyStreamsReason};
  }
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->channel = std::make_shared<http::StreamChannel>(options_.stream);
  const StreamPosition live = max_position(ring_->head(), live_from_);
  std::vector<std::string> chunks;
  if (quote) chunks.push_back(sse_event({}, "quote", *quote));

  const auto reset = [&](std::string_view why) {
    resets_total_.inc();
    subscriber->cursor = live;
    chunks.resize(quote ? 1 : 0);
    boost::json::object data{{"reason", why},
                             {"detail", "refetch the current state through the REST API; "
                                        "the stream goes on from this event's id"}};
    chunks.push_back(sse_event(encode_position(live), "reset", to_text(data)));
  };
  if (!last) {
    subscriber->cursor = live;
    boost::json::object data{{"position", encode_position(live)}};
    chunks.push_back(sse_event(encode_position(live), "start", to_text(data)));
  } else if (last->size() != ring_->partitions()) {
    reset("partition_count_changed");
  } else if (!ring_->covers(*last)) {
    reset("position_too_old");
  } else {
    subscriber->cursor = *last;
    bool overflow = false;
    ring_->for_each([&](const StreamEvent& event) {
      if (overflow || event.offset < subscriber->cursor[event.partition]) return;
      const std::string* data = nullptr;
      std::string_view name = event.name;
      if (market) {
        if (event.market_name.empty() || event.symbol != key) return;
        data = &event.market_data;
        name = event.market_name;
      } else if (event.user == key) {
        data = &event.user_data;
      } else if (!event.other_user.empty() && event.other_user == key) {
        data = &event.other_user_data;
      } else {
        return;
      }
      subscriber->cursor = max_position(subscriber->cursor, event.position);
      chunks.push_back(sse_event(encode_position(subscriber->cursor), name, *data));
      // Keep room for live events: a replay that fills the queue is a reset.
      if (chunks.size() + 1 >= options_.stream.max_queued_chunks) overflow = true;
    });
    if (overflow) reset("replay_too_long");
  }
  for (std::string& chunk : chunks) subscriber->channel->push(std::move(chunk));
  (market ? by_symbol_ : by_user_).emplace(key, subscriber);
  ++open_;
  subscribers_gauge_.set(static_cast<double>(open_));
  return subscriber->channel;
}

bool StreamHub::open_reader() {
  auto created = kafka::PartitionReader::create(options_.kafka);
  if (!created) {
    log::error("stream reader: cannot create the Kafka client", {{"error", created.error().message}});
    return false;
  }
  auto& client = *created;
  auto partitions = client->partition_count(options_.topic, std::chrono::seconds(5));
  if (!partitions) {
    log::warn("stream reader: topic not available yet",
              {{"topic", options_.topic}, {"error", partitions.error().message}});
    return false;
  }
  const std::int64_t now = now_ms();
  auto starts = client->offsets_for_time(options_.topic, *partitions,
                                         now - options_.window.count(), std::chrono::seconds(10));
  auto ends = client->offsets_for_time(options_.topic, *partitions, now + kFarFutureMs,
                                       std::chrono::seconds(10));
  if (!starts || !ends) {
    log::warn("stream reader: cannot find the start offsets",
              {{"error", (!starts ? starts.error() : ends.error()).message}});
    return false;
  }
  std::vector<kafka::TopicPartitionOffset> assignment;
  for (int p = 0; p < *partitions; ++p) {
    assignment.push_back({options_.topic, p, (*starts)[static_cast<std::size_t>(p)]});
  }
  if (Status assigned = client->assign(assignment); !assigned) {
    log::warn("stream reader: cannot assign", {{"error", assigned.error().message}});
    return false;
  }
  reader_->client = std::move(client);
  std::lock_guard lock(mutex_);
  ring_.emplace(*starts, options_.ring_events, options_.window);
  live_from_ = *ends;
  log::info("stream reader started",
            {{"topic", options_.topic},
             {"partitions", *partitions},
             {"from", encode_position(*starts)},
             {"live_from", encode_position(*ends)}});
  return true;
}

void StreamHub::run() {
  while (!stopping_.load() && !open_reader()) {
    for (int i = 0; i < 10 && !stopping_.load(); ++i) std::this_thread::sleep_for(kReaderRetryDelay / 10);
  }
  std::vector<std::string> touched;
  std::size_t handled = 0;
  while (!stopping_.load()) {
    auto polled = reader_->client->poll(kReaderPollTimeout);
    if (!polled) {
      std::this_thread::sleep_for(kReaderPollTimeout);
      continue;
    }
    if (*polled) {
      handle_record(**polled, touched);
      if (++handled < kReaderBatchRecords) continue;
    }
    handled = 0;
    refresh_quotes(touched);
    touched.clear();
    std::lock_guard lock(mutex_);
    ring_->expire(now_ms());
    prune_locked();
  }
  if (reader_->client) reader_->client->close();
}

void StreamHub::handle_record(const kafka::Message& message, std::vector<std::string>& touched) {
  std::optional<StreamEvent> event = to_stream_event(message);
  std::lock_guard lock(mutex_);
  if (static_cast<std::size_t>(message.partition) >= ring_->partitions() ||
      message.offset < ring_->head()[static_cast<std::size_t>(message.partition)]) {
    return;  // a partition added after the start (never read), or a record read twice
  }
  if (!event) {
    ring_->advance(message.partition, message.offset);
    return;
  }
  ring_->append(*event, now_ms());
  if (std::find(touched.begin(), touched.end(), event->symbol) == touched.end()) {
    touched.push_back(event->symbol);
  }
  dispatch(*event);
}

void StreamHub::dispatch(const StreamEvent& event) {
  const auto deliver = [&event](Subscriber& subscriber, std::string_view name,
                                const std::string& data) {
    if (event.offset < subscriber.cursor[static_cast<std::size_t>(event.partition)]) return;
    subscriber.cursor = max_position(subscriber.cursor, event.position);
    subscriber.channel->push(sse_event(encode_position(subscriber.cursor), name, data));
  };
  if (!event.user.empty()) {
    auto [first, last] = by_user_.equal_range(event.user);
    for (auto it = first; it != last; ++it) deliver(*it->second, event.name, event.user_data);
  }
  if (!event.other_user.empty()) {
    auto [first, last] = by_user_.equal_range(event.other_user);
    for (auto it = first; it != last; ++it) deliver(*it->second, event.name, event.other_user_data);
  }
  if (!event.market_name.empty()) {
    auto [first, last] = by_symbol_.equal_range(event.symbol);
    for (auto it = first; it != last; ++it) deliver(*it->second, event.market_name, event.market_data);
  }
}

void StreamHub::refresh_quotes(const std::vector<std::string>& touched) {
  for (const std::string& symbol : touched) {
    {
      std::lock_guard lock(mutex_);
      if (by_symbol_.count(symbol) == 0) continue;
    }
    auto quote = load_quote(pool_, symbol);  // on the reader thread, never an I/O thread
    if (!quote) {
      log::warn("stream reader: cannot read the market view",
                {{"symbol", symbol}, {"error", quote.error().message}});
      continue;
    }
    std::string& previous = last_quote_[symbol];
    if (previous == *quote) continue;
    previous = *quote;
    std::lock_guard lock(mutex_);
    auto [first, last] = by_symbol_.equal_range(symbol);
    for (auto it = first; it != last; ++it) {
      it->second->channel->push(sse_event({}, "quote", *quote));
    }
  }
}

}  // namespace bourse::streams
