// Clock: the current time, behind a port so that rules about time are testable.
#pragma once

#include "domain/timestamp.h"

namespace mtrace::ports {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in microseconds since the epoch. Thread-safe.
  virtual domain::Micros now() const = 0;
};

}  // namespace mtrace::ports
