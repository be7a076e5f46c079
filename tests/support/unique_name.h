// Names for what a test creates on the shared local stack: Kafka topics, topic prefixes,
// consumer groups, scratch databases.
//
// Contract: unique_suffix() never returns the same text twice, within a process or across
// the processes of one run or of earlier runs against the same long-lived stack (up to a
// 2^-32 chance per pair of processes sharing a pid). A pid alone repeats (pids are recycled
// between runs), and a free port or a clock reading can repeat within one process: a topic
// prefix built from a port once handed one test case the previous case's topics, whose
// events then changed its fresh database's orders. Only [0-9a-f_] characters, so the text
// fits topic, group and database names alike.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>

namespace bourse::testing {

// "<pid>_<per-process random, 8 hex>_<counter>".
inline std::string unique_suffix() {
  static const std::uint32_t run = std::random_device{}();
  static std::atomic<unsigned> counter{0};
  char text[48];
  std::snprintf(text, sizeof text, "%d_%08x_%u", static_cast<int>(::getpid()),
                static_cast<unsigned>(run), counter++);
  return text;
}

}  // namespace bourse::testing
