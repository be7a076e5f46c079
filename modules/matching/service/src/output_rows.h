// A shard output becomes its matching_outbox row: the event's contract decides type,
// version, key (the symbol) and aggregate; the event id is
// events::output_event_id(partition, input offset, index), so the row of a recomputed
// output (after a restore) has the id it would have had.
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <string>

#include "bourse/matching/shard_state.h"
#include "bourse/outbox/outbox_writer.h"

namespace bourse::matching::service {

// `executed_at` (RFC 3339 UTC) stamps a TradeExecuted (the shard leaves it empty).
outbox::OutboxEvent outbox_row(const ShardOutput& output, std::int32_t partition,
                               const std::string& topic, const std::string& executed_at);

}  // namespace bourse::matching::service
