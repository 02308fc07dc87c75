// SystemClock: ports::Clock on the system's real-time clock.
#pragma once

#include "ports/clock.h"

namespace mtrace::adapters {

class SystemClock final : public ports::Clock {
 public:
  domain::Micros now() const override;
};

}  // namespace mtrace::adapters
