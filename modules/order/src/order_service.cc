#include "bourse/order/order_service.h"

#include <soci/soci.h>

#include "bourse/common/limits.h"
#include "bourse/order/events.h"
#include "bourse/order/request_hash.h"
#include "bourse/outbox/outbox_writer.h"
#include "order_committer.h"
#include "order_store.h"
#include "trade_store.h"

namespace bourse::order {
namespace {

Error order_not_found(OrderId order_id) {
  return Error{ErrorCode::kNotFound, "order " + std::to_string(order_id.value()) + " not found",
               "order_not_found"};
}

Status validate_idempotency_key(const std::string& key) {
  bool visible_ascii = true;
  for (char c : key) visible_ascii = visible_ascii && c > ' ' && c < 0x7f;
  if (key.empty() || key.size() > bourse::limits::kMaxIdempotencyKeyLength || !visible_ascii) {
    return Error::invalid("Idempotency-Key must be 1 to " +
                              std::to_string(bourse::limits::kMaxIdempotencyKeyLength) +
                              " visible ASCII characters",
                          "invalid_idempotency_key");
  }
  return Status::success();
}

}  // namespace

Status validate(const OrderServiceOptions& options) {
  if (options.order_events_topic.empty() || options.order_events_topic.size() > 249) {
    return Error::invalid("order events topic must have 1 to 249 characters", "invalid_config");
  }
  if (options.max_queue_depth < 1 || options.max_queue_depth > limits::kMaxQueueDepth) {
    return Error::invalid(
        "order max_queue_depth must be 1.." + std::to_string(limits::kMaxQueueDepth),
        "invalid_config");
  }
  if (options.max_group_size < 1 || options.max_group_size > limits::kMaxGroupSize) {
    return Error::invalid(
        "order max_group_size must be 1.." + std::to_string(limits::kMaxGroupSize),
        "invalid_config");
  }
  if (options.committer_lanes < 1 || options.committer_lanes > limits::kMaxCommitterLanes) {
    return Error::invalid(
        "order committer_lanes must be 1.." + std::to_string(limits::kMaxCommitterLanes),
        "invalid_config");
  }
  if (options.max_group_attempts < 1) {
    return Error::invalid("order max_group_attempts must be >= 1", "invalid_config");
  }
  return Status::success();
}

OrderService::OrderService(db::ConnectionPool& pool, account::AccountService& accounts,
                           const InstrumentTable& instruments, OrderServiceOptions options,
                           const Clock& clock)
    : pool_(pool),
      instruments_(instruments),
      options_(std::move(options)),
      references_(options_.reference_prices != nullptr
                      ? *options_.reference_prices
                      : ConfiguredReferencePrices::instance()),
      clock_(clock) {
  BOURSE_ASSERT(validate(options_).ok(), "OrderServiceOptions are validated at start-up");
  for (std::size_t lane = 0; lane < options_.committer_lanes; ++lane) {
    lanes_.push_back(
        std::make_unique<Committer>(pool_, accounts, instruments_, references_, options_, clock_));
  }
}

OrderService::~OrderService() { stop(); }

void OrderService::stop() {
  for (auto& lane : lanes_) lane->stop();
}

OrderService::Committer& OrderService::lane_of(const std::string& user_id) {
  return *lanes_[std::hash<std::string>{}(user_id) % lanes_.size()];
}

std::size_t OrderService::queue_depth() const {
  std::size_t depth = 0;
  for (const auto& lane : lanes_) depth += lane->depth();
  return depth;
}

CommitStats OrderService::commit_stats() const {
  CommitStats total;
  for (const auto& lane : lanes_) {
    const CommitStats stats = lane->stats();
    total.groups_committed += stats.groups_committed;
    total.orders_committed += stats.orders_committed;
    total.group_retries += stats.group_retries;
    total.orders_rejected += stats.orders_rejected;
  }
  return total;
}

Result<OrderRequest> OrderService::parse_request(const boost::json::object& body) const {
  return parse_order_request(body, instruments_, references_);
}

void OrderService::submit(OrderRequest request, std::optional<std::string> idempotency_key,
                          SubmitCallback done) {
  BOURSE_ASSERT(static_cast<bool>(done), "submit needs a completion");
  if (Status valid = validate_order_request(request, instruments_, references_); !valid) {
    return done(valid.error());
  }
  if (idempotency_key) {
    if (Status valid = validate_idempotency_key(*idempotency_key); !valid) {
      return done(valid.error());
    }
  }
  Committer::Pending pending{std::move(request), std::move(idempotency_key), {}, std::move(done)};
  pending.request_hash = request_hash(pending.request);
  if (!lane_of(pending.request.user_id).enqueue(pending)) {
    pending.done(Error{ErrorCode::kUnavailable, "order entry is overloaded; retry later",
                       "order_queue_full"});
  }
}

Result<Order> OrderService::get_order(OrderId order_id) {
  if (!order_id.valid()) return order_not_found(order_id);
  std::optional<Order> order;
  Status read = pool_.with_session(
      [&](soci::session& session) { order = store::find_order(session, order_id, false); });
  if (!read) return read.error();
  if (!order) return order_not_found(order_id);
  return std::move(*order);
}

Result<OrderPage> OrderService::list_orders(const ListQuery& query) {
  if (query.limit < 1 || query.limit > limits::kMaxListLimit) {
    return Error::invalid("limit must be 1.." + std::to_string(limits::kMaxListLimit),
                          "invalid_limit");
  }
  OrderPage page;
  Status read = pool_.with_session(
      [&](soci::session& session) { page = store::list_orders(session, query); });
  if (!read) return read.error();
  return page;
}

Result<TradePage> OrderService::list_trades(const TradeQuery& query) {
  if (query.limit < 1 || query.limit > limits::kMaxTradeListLimit) {
    return Error::invalid("limit must be 1.." + std::to_string(limits::kMaxTradeListLimit),
                          "invalid_limit");
  }
  std::optional<TradePage> page;
  Status read = pool_.with_session(
      [&](soci::session& session) { page = store::list_trades(session, query); });
  if (!read) return read.error();
  if (!page) {
    return Error::invalid("starting_after must be the trade_id of a listed trade",
                          "invalid_cursor");
  }
  return std::move(*page);
}

Result<CancelResult> OrderService::request_cancel(OrderId order_id) {
  if (!order_id.valid()) return order_not_found(order_id);
  CancelResult result;
  Status written = pool_.in_transaction([&](soci::session& session) -> Status {
    auto order = store::find_order(session, order_id, /*for_update=*/true);
    if (!order) return order_not_found(order_id);
    result = CancelResult{order_id, order->status, order->cancel_requested};
    if (is_terminal(order->status)) {
      return Error{ErrorCode::kConflict,
                   "order " + std::to_string(order_id.value()) + " is " +
                       std::string(to_string(order->status)) + " and cannot be cancelled",
                   "order_not_cancellable"};
    }
    if (order->cancel_requested) return Status::success();  // asked before: no second event
    store::mark_cancel_requested(session, order_id);
    // The event last: the outbox's sequence row is held from here to the COMMIT.
    auto appended = outbox::append_event(
        session, kOutboxTable,
        outbox::outbox_event(CancelRequested{order_id, order->user_id, order->symbol},
                             options_.order_events_topic),
        clock_);
    if (!appended) return appended.error();
    return Status::success();
  });
  if (!written) return written.error();
  if (!result.already_requested && options_.outbox_committed) options_.outbox_committed();
  return result;
}

}  // namespace bourse::order
