// The id of a stream event: a position in the matching-events topic, for EVERY partition.
//
// A user's orders live on several partitions (the topic is keyed by symbol) and each
// instance reads the partitions interleaved in its own order, so no single counter can
// say "everything before this was sent". The position does: for each partition p,
// next[p] is the offset of the first record of p NOT yet reflected in the stream. A client
// that resumes from a position gets exactly the events whose offset is >= next[their
// partition]: none lost, none repeated, on any instance (docs/STREAMS.md).
//
// Wire form (the SSE `id:` and the Last-Event-ID header): "v1." followed by the next
// offsets of partitions 0..n-1 in decimal, dot-separated, e.g. "v1.12.0.7.33".
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bourse/common/error.h"
#include "bourse/common/limits.h"

namespace bourse::streams {

using StreamPosition = std::vector<std::int64_t>;  // next offset per partition, index = partition

inline constexpr std::string_view kPositionPrefix = "v1.";
// Longest accepted encoded id: the prefix and kMaxTopicPartitions offsets of up to 19
// digits with their dots.
inline constexpr std::size_t kMaxEncodedPositionLength =
    3 + static_cast<std::size_t>(limits::kMaxTopicPartitions) * 20;

// REQUIRES: 1..kMaxTopicPartitions offsets, each >= 0.
std::string encode_position(const StreamPosition& position);

// kMalformed (reason "invalid_last_event_id") unless `text` is exactly what
// encode_position writes (no sign, no empty field, no leading zero but "0", at most
// kMaxTopicPartitions offsets, each fitting an int64).
Result<StreamPosition> decode_position(std::string_view text);

// The component-wise maximum; REQUIRES: same size.
StreamPosition max_position(const StreamPosition& a, const StreamPosition& b);

}  // namespace bourse::streams
