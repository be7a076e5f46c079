#include "bourse/account/settlement_handler.h"

#include <iterator>
#include <span>
#include <variant>
#include <vector>

#include "bourse/account/events.h"
#include "bourse/common/assert.h"
#include "bourse/common/timestamp.h"
#include "bourse/log/log.h"
#include "bourse/matching/events.h"
#include "bourse/outbox/outbox_writer.h"

namespace bourse::account {
namespace {

namespace matching = bourse::matching::events;

TradeFill fill_of(const matching::TradeExecuted& e) {
  return TradeFill{TradeSettlement{e.trade_id, e.buy_order_id, e.sell_order_id, e.buyer, e.seller,
                                   e.symbol, e.price, e.quantity},
                   e.buy_remaining, e.sell_remaining, e.executed_at};
}

OrderEnd end_of(const matching::OrderCancelled& e) {
  return OrderEnd{e.order_id,
                  e.user_id,
                  e.symbol,
                  e.side,
                  events::ReleaseCause::kCancelled,
                  std::string(matching::to_string(e.reason))};
}

OrderEnd end_of(const matching::OrderRejected& e) {
  return OrderEnd{e.order_id,
                  e.user_id,
                  e.symbol,
                  e.side,
                  events::ReleaseCause::kRejected,
                  std::string(matching::to_string(e.reason))};
}

// A decoded event's settlement input, nullopt for the types settlement ignores.
Result<std::optional<SettlementInput>> input_of(const envelope::Envelope& event) {
  if (event.event_type == matching::TradeExecuted::kType) {
    auto decoded = envelope::decode<matching::TradeExecuted>(event);
    if (!decoded) return decoded.error();
    return std::optional<SettlementInput>(fill_of(*decoded));
  }
  if (event.event_type == matching::OrderCancelled::kType) {
    auto decoded = envelope::decode<matching::OrderCancelled>(event);
    if (!decoded) return decoded.error();
    return std::optional<SettlementInput>(end_of(*decoded));
  }
  if (event.event_type == matching::OrderRejected::kType) {
    auto decoded = envelope::decode<matching::OrderRejected>(event);
    if (!decoded) return decoded.error();
    return std::optional<SettlementInput>(end_of(*decoded));
  }
  log::debug("settlement: event type ignored",
             {{"event_type", event.event_type}, {"event_id", event.event_id}});
  return std::optional<SettlementInput>();
}

class SettlementHandler final : public consumer::EventHandler {
 public:
  SettlementHandler(AccountService& accounts, SettlementOptions options)
      : accounts_(accounts), options_(std::move(options)) {
    BOURSE_ASSERT(!options_.account_events_topic.empty(), "settlement needs its events topic");
    BOURSE_ASSERT(options_.clock != nullptr, "settlement needs a clock");
  }

  Status handle(soci::session& session, const envelope::Envelope& event,
                const kafka::Message& message) override {
    const consumer::DeliveredEvent one[] = {{event, message}};
    return handle_batch(session, one);
  }

  // OrderAccepted (and any other type) changes no account: not claimed, not handed over.
  bool handles(std::string_view event_type) const override {
    return event_type == matching::TradeExecuted::kType ||
           event_type == matching::OrderCancelled::kType ||
           event_type == matching::OrderRejected::kType;
  }

  // A TradeExecuted settles once by its trade id: settle_batch skips a trade already in
  // settled_trades (or earlier in the batch) and publishes nothing for it, so its copies
  // need no processed_events claim. An order end is claimed: a second copy would publish
  // a second ReservationReleased (of 0).
  bool deduplicates(std::string_view event_type) const override {
    return event_type == matching::TradeExecuted::kType;
  }

  Status handle_batch(soci::session& session,
                      std::span<const consumer::DeliveredEvent> delivered) override {
    std::vector<db::SqlStatement> writes;
    if (Status handled = handle_batch_ending_with(session, delivered, writes); !handled) {
      return handled;
    }
    if (writes.empty()) return Status::success();
    auto written = db::execute_statements(session, writes);
    return written ? Status::success() : Status(written.error());
  }

  // Settlement's writes after its reads, and its account events, all go with the
  // consumer's offset and COMMIT: one round trip after the reservations' locking read.
  Status handle_batch_ending_with(soci::session& session,
                                  std::span<const consumer::DeliveredEvent> delivered,
                                  std::vector<db::SqlStatement>& last_writes) override {
    std::vector<SettlementInput> inputs;
    inputs.reserve(delivered.size());
    for (const consumer::DeliveredEvent& one : delivered) {
      auto input = input_of(one.event);
      if (!input) return input.error();
      if (*input) inputs.push_back(std::move(**input));
    }
    if (inputs.empty()) return Status::success();
    const std::string settled_at = format_rfc3339_utc(options_.clock->now());
    // The balance writes go last, after the account events: the outbox rows (the batch's
    // largest statement) are parsed and written before the first cash or position lock,
    // which an order group may be waiting for.
    std::vector<db::SqlStatement> balance_writes;
    auto published =
        accounts_.settle_batch(session, inputs, settled_at, &last_writes, &balance_writes);
    if (!published) return published.error();
    // Every applied input publishes an event, so no event means no write either.
    BOURSE_ASSERT(!published->empty() || balance_writes.empty(),
                  "settlement: balance writes without an event");
    if (published->empty()) return Status::success();

    std::vector<outbox::OutboxEvent> rows;
    rows.reserve(published->size());
    for (const SettlementEvent& event : *published) {
      rows.push_back(std::visit(
          [&](const auto& typed) {
            return outbox::outbox_event(typed, options_.account_events_topic);
          },
          event));
    }
    for (std::size_t at = 0; at < rows.size(); at += outbox::kMaxAppendBatch) {
      const std::size_t count = std::min(outbox::kMaxAppendBatch, rows.size() - at);
      auto prepared = outbox::prepare_append(
          events::kOutboxTable, std::span<const outbox::OutboxEvent>(rows).subspan(at, count),
          *options_.clock);
      if (!prepared) return prepared.error();
      for (db::SqlStatement& write : prepared->statements) last_writes.push_back(std::move(write));
    }
    std::move(balance_writes.begin(), balance_writes.end(), std::back_inserter(last_writes));
    return Status::success();
  }

 private:
  AccountService& accounts_;
  const SettlementOptions options_;
};

}  // namespace

std::unique_ptr<consumer::EventHandler> make_settlement_handler(AccountService& accounts,
                                                                SettlementOptions options) {
  return std::make_unique<SettlementHandler>(accounts, std::move(options));
}

}  // namespace bourse::account
