// A ports::Clock that a test sets and moves by hand. Thread-safe, so threads under test may read it
// while the test moves it.
#pragma once

#include <atomic>

#include "domain/timestamp.h"
#include "ports/clock.h"

namespace mtrace::testing {

class ManualClock final : public ports::Clock {
 public:
  explicit ManualClock(domain::Micros start) : now_(start) {}
  domain::Micros now() const override { return now_.load(); }
  void set(domain::Micros at) { now_ = at; }
  void advance(domain::Micros by) { now_ += by; }

 private:
  std::atomic<domain::Micros> now_;
};

}  // namespace mtrace::testing
