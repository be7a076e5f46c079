#include "bourse/common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace bourse::detail {

void assertion_failed(const char* expression, const char* message, const char* file,
                      int line) noexcept {
  // One JSON line, like every other log line, then abort for a core dump.
  std::fprintf(stderr,
               "{\"level\":\"fatal\",\"msg\":\"invariant violated\",\"expression\":\"%s\","
               "\"detail\":\"%s\",\"file\":\"%s\",\"line\":%d}\n",
               expression, message, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace bourse::detail
