// TokenBucketRateLimiter: ports::RateLimiter in process memory (reference backend.md §5.4), with
// a bounded number of buckets and a computed Retry-After.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ports/clock.h"
#include "ports/rate_limiter.h"

namespace mtrace::adapters {

// Every key has its own bucket with the same capacity and refill rate. New buckets start full;
// refill is continuous and capped at capacity. A call debits `cost` from every bucket of its keys
// or, when one of them lacks it, from none. A cost <= 0 is always allowed and debits nothing; a
// cost above capacity is always denied (retry_after 1).
//
// At most `max_buckets` buckets are kept (plus, transiently, the keys of one call if there are
// more of them than that): buckets that have refilled to full carry no state and are dropped as
// they reach the cold end of the LRU list, and when the limit is reached the least recently used
// bucket makes room for a new key. Repeated keys in one call count once. Thread-safe (one mutex;
// each call is a few hash lookups).
class TokenBucketRateLimiter final : public ports::RateLimiter {
 public:
  // Throws std::invalid_argument unless capacity > 0, refill_per_second > 0 and max_buckets > 0.
  // `clock` must outlive the limiter.
  TokenBucketRateLimiter(std::int64_t capacity, double refill_per_second,
                         const ports::Clock& clock, std::size_t max_buckets = 100'000);

  ports::RateDecision allow(const std::vector<std::string>& keys, std::int64_t cost) override;

  // Buckets currently held (for tests and metrics).
  std::size_t bucket_count() const;

 private:
  struct Bucket;
  using Lru = std::list<Bucket>;  // most recently used first
  struct Bucket {
    std::string key;
    double tokens = 0;
    domain::Micros updated_at = 0;
  };

  double refilled(const Bucket& bucket, domain::Micros now) const;
  Lru::iterator find_or_create(const std::string& key, domain::Micros now, std::size_t in_use);
  void drop_full_tail(domain::Micros now);

  const double capacity_;
  const double refill_per_micro_;
  const ports::Clock& clock_;
  const std::size_t max_buckets_;

  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string_view, Lru::iterator> index_;  // views into lru_'s keys
};

}  // namespace mtrace::adapters
