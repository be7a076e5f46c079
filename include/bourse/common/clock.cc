#include "bourse/common/clock.h"

namespace bourse {

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

}  // namespace bourse
