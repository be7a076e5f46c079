#include "input_decoding.h"

#include "bourse/envelope/envelope.h"
#include "bourse/order/events.h"

namespace bourse::matching::service {

Result<ShardInput> decode_input(std::string_view message_value) {
  Result<envelope::Envelope> parsed = envelope::parse(message_value);
  if (!parsed) return parsed.error();
  if (parsed->event_type == order::OrderCreated::kType) {
    Result<order::OrderCreated> created = envelope::decode<order::OrderCreated>(*parsed);
    if (!created) return created.error();
    PlaceInput place;
    place.order_id = created->order_id;
    place.user_id = std::move(created->user_id);
    place.symbol = std::move(created->symbol);
    place.side = created->side;
    place.type = created->type;
    place.time_in_force = created->time_in_force;
    place.quantity = created->quantity;
    place.price = created->price;
    place.cash_cap = created->cash_cap;
    return ShardInput{std::move(place)};
  }
  if (parsed->event_type == order::CancelRequested::kType) {
    Result<order::CancelRequested> cancel = envelope::decode<order::CancelRequested>(*parsed);
    if (!cancel) return cancel.error();
    return ShardInput{
        CancelInput{cancel->order_id, std::move(cancel->user_id), std::move(cancel->symbol)}};
  }
  return Error{ErrorCode::kMalformed,
               "matching consumes OrderCreated and CancelRequested, not " + parsed->event_type,
               envelope::kWrongEventTypeReason};
}

}  // namespace bourse::matching::service
