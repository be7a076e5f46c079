#include "streams/stream_position.h"

#include <algorithm>
#include <charconv>

#include "bourse/common/assert.h"

namespace bourse::streams {
namespace {

Error invalid(std::string what) {
  return Error{ErrorCode::kMalformed, "Last-Event-ID: " + what, "invalid_last_event_id"};
}

}  // namespace

std::string encode_position(const StreamPosition& position) {
  BOURSE_ASSERT(!position.empty() &&
                    position.size() <= static_cast<std::size_t>(limits::kMaxTopicPartitions),
                "a position names 1..kMaxTopicPartitions partitions");
  std::string text(kPositionPrefix);
  for (std::size_t i = 0; i < position.size(); ++i) {
    BOURSE_ASSERT(position[i] >= 0, "offsets are never negative");
    if (i > 0) text += '.';
    text += std::to_string(position[i]);
  }
  return text;
}

Result<StreamPosition> decode_position(std::string_view text) {
  if (text.size() > kMaxEncodedPositionLength) return invalid("too long");
  if (!text.starts_with(kPositionPrefix)) return invalid("unknown format");
  text.remove_prefix(kPositionPrefix.size());
  StreamPosition position;
  for (;;) {
    const std::size_t dot = text.find('.');
    const std::string_view field = text.substr(0, dot);
    if (field.empty()) return invalid("empty offset");
    if (field.size() > 1 && field.front() == '0') return invalid("leading zero");
    std::int64_t offset = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), offset);
    if (error != std::errc() || end != field.data() + field.size() || offset < 0) {
      return invalid("offset is not a non-negative integer");
    }
    position.push_back(offset);
    if (position.size() > static_cast<std::size_t>(limits::kMaxTopicPartitions)) {
      return invalid("too many partitions");
    }
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return position;
}

StreamPosition max_position(const StreamPosition& a, const StreamPosition& b) {
  BOURSE_ASSERT(a.size() == b.size(), "positions of the same topic");
  StreamPosition result(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) result[i] = std::max(a[i], b[i]);
  return result;
}

}  // namespace bourse::streams
