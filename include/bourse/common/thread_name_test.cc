// Goal: thread names fit Linux's 15 bytes, keep what tells threads apart, and reach the
// kernel (what top -H and perf show).
#include "bourse/common/thread_name.h"

#include <catch2/catch.hpp>
#include <thread>

namespace bourse {
namespace {

TEST_CASE("short names are kept, long ones cut to 15 bytes around a tilde", "[common]") {
  CHECK(thread_name("order-commit-0") == "order-commit-0");
  CHECK(thread_name("") == "");
  CHECK(thread_name("exactly-15-byte") == "exactly-15-byte");
  const std::string cut = thread_name("consumer-order-status-account");
  CHECK(cut == "consumer-or~unt");
  CHECK(cut.size() == kMaxThreadNameBytes);
}

TEST_CASE("set_current_thread_name names the calling thread only", "[common]") {
  const std::string main_name = current_thread_name();
  std::string seen;
  std::thread worker([&] {
    set_current_thread_name("relay-order_outbox");
    seen = current_thread_name();
  });
  worker.join();
  CHECK(seen == "relay-order~box");
  CHECK(current_thread_name() == main_name);
}

}  // namespace
}  // namespace bourse
