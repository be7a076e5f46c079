// Goal: prove the blocking pool runs jobs on its own threads, refuses work past its queue
// depth, drains its queue on stop and publishes its queue depth.
#include "http/blocking_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <latch>

namespace bourse::http {
namespace {

TEST_CASE("jobs run on pool threads", "[http][pool]") {
  metrics::Registry registry;
  BlockingPool pool({"test", 2, 8}, registry);
  std::promise<std::thread::id> ran_on;
  std::promise<bool> on_pool;
  REQUIRE(pool.try_post([&] {
    ran_on.set_value(std::this_thread::get_id());
    on_pool.set_value(pool.on_pool_thread());
  }));
  CHECK(ran_on.get_future().get() != std::this_thread::get_id());
  CHECK(on_pool.get_future().get());
  CHECK_FALSE(pool.on_pool_thread());
}

TEST_CASE("a full queue refuses jobs and counts them", "[http][pool]") {
  metrics::Registry registry;
  BlockingPool pool({"full", 1, 2}, registry);
  std::latch release(1);
  std::promise<void> started;
  REQUIRE(pool.try_post([&] {
    started.set_value();
    release.wait();
  }));
  started.get_future().wait();  // the only thread is busy: the next jobs queue
  CHECK(pool.try_post([] {}));
  CHECK(pool.try_post([] {}));
  CHECK(pool.queue_depth() == 2);
  CHECK_FALSE(pool.try_post([] {}));
  const std::string text = registry.render_prometheus();
  CHECK(text.find("bourse_blocking_pool_queue_depth{pool=\"full\"} 2\n") != std::string::npos);
  CHECK(text.find("bourse_blocking_pool_rejected_total{pool=\"full\"} 1\n") != std::string::npos);
  release.count_down();
}

TEST_CASE("stop runs every queued job and then refuses new ones", "[http][pool]") {
  metrics::Registry registry;
  BlockingPool pool({"drain", 1, 100}, registry);
  std::atomic<int> done{0};
  std::latch release(1);
  REQUIRE(pool.try_post([&] { release.wait(); }));
  for (int i = 0; i < 50; ++i) REQUIRE(pool.try_post([&] { ++done; }));
  release.count_down();
  pool.stop();
  CHECK(done.load() == 50);
  CHECK_FALSE(pool.try_post([] {}));
  pool.stop();  // idempotent
}

TEST_CASE("a throwing job does not kill its thread", "[http][pool]") {
  metrics::Registry registry;
  BlockingPool pool({"throw", 1, 4}, registry);
  REQUIRE(pool.try_post([] { throw std::runtime_error("boom"); }));
  std::promise<void> after;
  REQUIRE(pool.try_post([&] { after.set_value(); }));
  after.get_future().wait();
  pool.stop();
  CHECK(registry.render_prometheus().find(
            "bourse_blocking_pool_failed_jobs_total{pool=\"throw\"} 1\n") != std::string::npos);
}

TEST_CASE("config is validated against the limits", "[http][pool]") {
  CHECK(validate(BlockingPoolConfig{"x", 4, 1024}).ok());
  CHECK_FALSE(validate(BlockingPoolConfig{"x", 0, 1024}).ok());
  CHECK_FALSE(validate(BlockingPoolConfig{"x", 4, 0}).ok());
  CHECK_FALSE(validate(BlockingPoolConfig{"x", 4, limits::kMaxBlockingQueueDepth + 1}).ok());
}

}  // namespace
}  // namespace bourse::http
