#include "adapters/memory/system_clock.h"

#include <chrono>

namespace mtrace::adapters {

domain::Micros SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace mtrace::adapters
