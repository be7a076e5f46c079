#include "bourse/common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace bourse {
namespace {

id_t current_thread_id() { return static_cast<id_t>(::syscall(SYS_gettid)); }

}  // namespace

Status set_current_thread_nice(int nice) {
  if (nice < kMinThreadNice || nice > kMaxThreadNice) {
    return Error{ErrorCode::kInvalidArgument,
                 "nice value " + std::to_string(nice) + " outside [0, 19]", "thread_nice_range"};
  }
  if (::setpriority(PRIO_PROCESS, current_thread_id(), nice) != 0) {
    const int error = errno;
    return Error::internal("setpriority(" + std::to_string(nice) +
                           ") failed: " + std::strerror(error));
  }
  return Status::success();
}

int current_thread_nice() {
  errno = 0;  // -1 is a valid answer: only errno tells an error apart
  const int nice = ::getpriority(PRIO_PROCESS, current_thread_id());
  return errno == 0 ? nice : 0;
}

}  // namespace bourse
