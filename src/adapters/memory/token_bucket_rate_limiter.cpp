#include "adapters/memory/token_bucket_rate_limiter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace mtrace::adapters {
namespace {

// Buckets at the cold end of the LRU list looked at per call for dropping once full again.
constexpr int kTailChecksPerCall = 2;
// Up to this many distinct keys per call are handled without allocating.
constexpr std::size_t kInlineKeys = 4;

}  // namespace

TokenBucketRateLimiter::TokenBucketRateLimiter(std::int64_t capacity, double refill_per_second,
                                               const ports::Clock& clock,
                                               std::size_t max_buckets)
    : capacity_(static_cast<double>(capacity)),
      refill_per_micro_(refill_per_second / static_cast<double>(domain::kMicrosPerSecond)),
      clock_(clock),
      max_buckets_(max_buckets) {
  if (capacity <= 0 || !(refill_per_second > 0) || !std::isfinite(refill_per_second) ||
      max_buckets == 0) {
    throw std::invalid_argument("rate limiter: capacity, refill and max_buckets must be > 0");
  }
  index_.reserve(std::min<std::size_t>(max_buckets, 1024));
}

double TokenBucketRateLimiter::refilled(const Bucket& bucket, domain::Micros now) const {
  const auto elapsed = static_cast<double>(std::max<domain::Micros>(0, now - bucket.updated_at));
  return std::min(capacity_, bucket.tokens + elapsed * refill_per_micro_);
}

void TokenBucketRateLimiter::drop_full_tail(domain::Micros now) {
  for (int i = 0; i < kTailChecksPerCall && !lru_.empty(); ++i) {
    const Bucket& coldest = lru_.back();
    if (refilled(coldest, now) < capacity_) return;
    index_.erase(coldest.key);
    lru_.pop_back();
  }
}

TokenBucketRateLimiter::Lru::iterator TokenBucketRateLimiter::find_or_create(
    const std::string& key, domain::Micros now, std::size_t in_use) {
  if (auto found = index_.find(key); found != index_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
    return found->second;
  }
  // The least recently used bucket makes room, unless it is one of the `in_use` buckets of the
  // current call (they sit at the front): then the bound is exceeded by at most those.
  if (lru_.size() >= max_buckets_ && lru_.size() > in_use) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Bucket{key, capacity_, now});
  index_.emplace(lru_.front().key, lru_.begin());
  return lru_.begin();
}

ports::RateDecision TokenBucketRateLimiter::allow(const std::vector<std::string>& keys,
                                                  std::int64_t cost) {
  if (cost <= 0) return {};
  const auto wanted = static_cast<double>(cost);
  if (wanted > capacity_) return {false, 1};
  const domain::Micros now = clock_.now();

  std::lock_guard lock(mutex_);
  drop_full_tail(now);
  // The distinct buckets of this call; the first kInlineKeys without allocating.
  std::array<Lru::iterator, kInlineKeys> inline_buckets;
  std::vector<Lru::iterator> more_buckets;
  std::size_t count = 0;
  const auto bucket_at = [&](std::size_t i) -> Lru::iterator& {
    return i < kInlineKeys ? inline_buckets[i] : more_buckets[i - kInlineKeys];
  };
  double missing = 0;  // the largest shortfall over the buckets
  for (const std::string& key : keys) {
    if (key.empty()) continue;
    const Lru::iterator bucket = find_or_create(key, now, count);
    bool seen = false;
    for (std::size_t i = 0; i < count && !seen; ++i) seen = bucket_at(i) == bucket;
    if (seen) continue;
    bucket->tokens = refilled(*bucket, now);
    bucket->updated_at = now;
    missing = std::max(missing, wanted - bucket->tokens);
    if (count < kInlineKeys) {
      inline_buckets[count] = bucket;
    } else {
      more_buckets.push_back(bucket);
    }
    ++count;
  }
  if (missing > 0) {
    const double seconds = missing / (refill_per_micro_ * domain::kMicrosPerSecond);
    return {false, std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(seconds)))};
  }
  for (std::size_t i = 0; i < count; ++i) bucket_at(i)->tokens -= wanted;
  return {};
}

std::size_t TokenBucketRateLimiter::bucket_count() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace mtrace::adapters
