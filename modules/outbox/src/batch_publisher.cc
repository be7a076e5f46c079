#include "batch_publisher.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "bourse/common/assert.h"
#include "bourse/kafka/message.h"

namespace bourse::outbox {
namespace {

// The delivery reports of one batch. Shared with the producer's callbacks, which may
// still run after publish_batch gave up waiting (they then write into this orphan).
struct Reports {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::optional<Result<kafka::DeliveryReport>>> results;  // guarded by mutex
  std::size_t outstanding = 0;                                        // guarded by mutex
};

}  // namespace

BatchOutcome publish_batch(kafka::Producer& producer, const std::vector<OutboxRow>& rows,
                           std::chrono::milliseconds delivery_timeout) {
  BOURSE_ASSERT(!rows.empty(), "publish_batch of an empty batch");
  auto reports = std::make_shared<Reports>();
  reports->results.resize(rows.size());
  BatchOutcome outcome;

  std::size_t produced = 0;
  for (; produced < rows.size(); ++produced) {
    const OutboxRow& row = rows[produced];
    kafka::OutgoingMessage message{row.topic,
                                   row.message_key,
                                   row.payload,
                                   {{std::string(kafka::kHeaderEventType), row.event_type},
                                    {std::string(kafka::kHeaderEventId), row.event_id}},
                                   std::nullopt};
    {
      std::lock_guard lock(reports->mutex);
      ++reports->outstanding;
    }
    Status status = producer.produce(
        std::move(message), [reports, index = produced](Result<kafka::DeliveryReport> report) {
          {
            std::lock_guard lock(reports->mutex);
            reports->results[index].emplace(std::move(report));
            --reports->outstanding;
          }
          reports->done.notify_all();
        });
    if (!status) {
      // Nothing after this row may be acknowledged anyway: stop producing.
      std::lock_guard lock(reports->mutex);
      --reports->outstanding;
      reports->results[produced].emplace(status.error());
      break;
    }
  }

  // The whole batch is queued: nothing would join it during linger.ms.
  if (produced > 0) producer.send_now();

  std::unique_lock lock(reports->mutex);
  const bool all_reported =
      reports->done.wait_for(lock, delivery_timeout, [&] { return reports->outstanding == 0; });
  outcome.timed_out = !all_reported;
  for (const auto& result : reports->results) {
    if (!result.has_value()) {
      outcome.first_error =
          Error{ErrorCode::kTimeout, "no delivery report within the relay's delivery timeout",
                "outbox_delivery_timeout"};
      break;
    }
    if (!result->ok()) {
      outcome.first_error = result->error();
      break;
    }
    ++outcome.acknowledged;
  }
  BOURSE_ASSERT(outcome.acknowledged <= rows.size(), "prefix within the batch");
  BOURSE_ASSERT(outcome.first_error.has_value() || outcome.acknowledged == rows.size(),
                "a short prefix always has a reason");
  return outcome;
}

}  // namespace bourse::outbox
