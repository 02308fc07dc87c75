// RateLimiter: token buckets per dimension (project, client address, origin), cost = events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/timestamp.h"

namespace mtrace::ports {

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_seconds = 0;  // when denied: seconds until the cost fits again (>= 1)
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // All-or-nothing over `keys`: debits `cost` from every bucket, or from none when one lacks it.
  // Empty keys are skipped. Thread-safe. Memory stays bounded (idle buckets are evicted).
  virtual RateDecision allow(const std::vector<std::string>& keys, std::int64_t cost) = 0;
};

}  // namespace mtrace::ports
