// Goal: every consumer setting has a named limit, and a value outside it is refused at
// creation with kInvalidArgument instead of misbehaving later; also the dead-letter text
// helpers keep untrusted bytes out of the table.
#include "bourse/consumer/consumer_options.h"

#include <catch2/catch.hpp>

#include "consumer_tables.h"

namespace bourse::consumer {
namespace {

using namespace std::chrono_literals;

ConsumerOptions valid() {
  ConsumerOptions options;
  options.group_id = "bourse-account";
  options.topics = {"bourse.order-events"};
  return options;
}

TEST_CASE("the default options with a group and a topic are valid", "[options]") {
  CHECK(validate(valid()).ok());
}

TEST_CASE("options outside their limits are kInvalidArgument", "[options]") {
  std::vector<std::pair<const char*, std::function<void(ConsumerOptions&)>>> cases = {
      {"empty group", [](auto& o) { o.group_id.clear(); }},
      {"group with a space", [](auto& o) { o.group_id = "a b"; }},
      {"group too long", [](auto& o) { o.group_id = std::string(kMaxGroupIdLength + 1, 'g'); }},
      {"no topics", [](auto& o) { o.topics.clear(); }},
      {"empty topic", [](auto& o) { o.topics = {""}; }},
      {"batch 0", [](auto& o) { o.max_batch = 0; }},
      {"batch too large", [](auto& o) { o.max_batch = kMaxBatchMessages + 1; }},
      {"negative wait", [](auto& o) { o.batch_wait = -1ms; }},
      {"wait too long", [](auto& o) { o.batch_wait = kMaxBatchWait + 1ms; }},
      {"0 attempts", [](auto& o) { o.max_attempts = 0; }},
      {"too many attempts", [](auto& o) { o.max_attempts = kMaxAttempts + 1; }},
      {"zero back-off", [](auto& o) { o.initial_backoff = 0ms; }},
      {"initial above max", [](auto& o) { o.initial_backoff = o.max_backoff + 1ms; }},
      {"max back-off too long", [](auto& o) { o.max_backoff = kMaxBackoff + 1ms; }},
      {"back-off vs poll interval",
       [](auto& o) {
         o.max_poll_interval = 10s;
         o.max_backoff = 6s;
       }},
      {"hint interval", [](auto& o) { o.kafka_commit_hint_interval = -1ms; }},
      {"stall timeout too short", [](auto& o) { o.stall_timeout = kMinStallTimeout - 1ms; }},
      {"stall timeout too long", [](auto& o) { o.stall_timeout = kMaxStallTimeout + 1ms; }},
  };
  for (auto& [name, mutate] : cases) {
    INFO(name);
    ConsumerOptions options = valid();
    mutate(options);
    const Status status = validate(options);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("dead-letter texts are ASCII and bounded; identifiers are checked", "[options]") {
  const std::string text = "bad \xff\xfe byte\n" + std::string(10'000, 'x');
  const std::string clean = detail::sanitize_error_text(text);
  CHECK(clean.size() == detail::kMaxDeadLetterErrorBytes);
  CHECK(clean.substr(0, 14) == "bad ?? byte\nxx");
  CHECK(detail::sanitize_identifier("abc-1", 64) == std::optional<std::string>("abc-1"));
  CHECK_FALSE(detail::sanitize_identifier("", 64));
  CHECK_FALSE(detail::sanitize_identifier("a b", 64));
  CHECK_FALSE(detail::sanitize_identifier(std::string(65, 'a'), 64));
}

}  // namespace
}  // namespace bourse::consumer
