// Scheduling priority of the process's own threads.
//
// On Linux a nice value belongs to a thread (setpriority on its thread id), and a new
// thread starts with its creator's. So the work behind the front door (matching, the
// relays, the consumers, the Kafka clients' own threads, the periodic jobs) can run at a
// higher nice value than order entry by being created and started from a thread that
// has it: when they share the cores with order entry (and, on a small machine, with
// MariaDB and the broker), the kernel runs the answer a client waits for first, and the
// pipeline, which queues and batches anyway, takes the rest. Nothing is starved: a
// nice-10 thread still gets about a tenth of a contended core, and all of an idle one.
#pragma once

#include <exception>
#include <thread>

#include "bourse/common/error.h"

namespace bourse {

// The range of nice values a thread may be given here: 0 (the default) to 19 (the
// lowest priority Linux has). Negative values (a higher priority) need privileges and
// are not offered.
inline constexpr int kMinThreadNice = 0;
inline constexpr int kMaxThreadNice = 19;

// Sets the calling thread's nice value. Raising it is always allowed; lowering it
// below its current value needs CAP_SYS_NICE (or RLIMIT_NICE).
// Errors: kInvalidArgument (outside [kMinThreadNice, kMaxThreadNice]), kInternal (the
// system refused; its errno text).
Status set_current_thread_nice(int nice);

// The calling thread's nice value.
int current_thread_nice();

// Runs `work` on a new thread set to `nice`, waits for it, and returns how setting the
// nice value went: every thread `work` starts inherits that value. If it could not be
// set, `work` still ran, at the caller's priority. An exception thrown by `work` is
// rethrown here. The caller's own nice value never changes.
template <typename Work>
Status run_at_nice(int nice, Work&& work) {
  Status niced = Status::success();
  std::exception_ptr thrown;
  std::thread thread([&] {
    niced = set_current_thread_nice(nice);
    try {
      work();
    } catch (...) {
      thrown = std::current_exception();
    }
  });
  thread.join();
  if (thrown) std::rethrow_exception(thrown);
  return niced;
}

}  // namespace bourse
