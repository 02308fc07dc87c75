#include "adapters/memory/token_bucket_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../support/manual_clock.h"
#include "adapters/memory/system_clock.h"

namespace mtrace::adapters {
namespace {

using mtrace::testing::ManualClock;
constexpr domain::Micros kStart = 1'000'000'000'000;
constexpr domain::Micros kMilli = domain::kMicrosPerMilli;

TEST(TokenBucketRateLimiter, NewBucketsStartFullAndDebitTheCost) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(100, 100, clock);
  EXPECT_TRUE(limiter.allow({"p:demo"}, 60).allowed);
  EXPECT_TRUE(limiter.allow({"p:demo"}, 40).allowed);
  const ports::RateDecision denied = limiter.allow({"p:demo"}, 1);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_seconds, 1);
}

TEST(TokenBucketRateLimiter, RefillsContinuouslyUpToCapacity) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(100, 10, clock);  // 10 tokens per second
  ASSERT_TRUE(limiter.allow({"k"}, 100).allowed);
  clock.advance(450 * kMilli);  // 4.5 tokens
  EXPECT_FALSE(limiter.allow({"k"}, 5).allowed);
  EXPECT_TRUE(limiter.allow({"k"}, 4).allowed);  // 0.5 left
  clock.advance(3600'000 * kMilli);  // an hour: capped at 100, not 36000
  EXPECT_TRUE(limiter.allow({"k"}, 100).allowed);
  EXPECT_FALSE(limiter.allow({"k"}, 1).allowed);
}

TEST(TokenBucketRateLimiter, RetryAfterIsTheTimeUntilTheCostFits) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(100, 10, clock);
  ASSERT_TRUE(limiter.allow({"k"}, 100).allowed);
  EXPECT_EQ(limiter.allow({"k"}, 25).retry_after_seconds, 3);  // 2.5 s, rounded up
  EXPECT_EQ(limiter.allow({"k"}, 30).retry_after_seconds, 3);
  EXPECT_EQ(limiter.allow({"k"}, 31).retry_after_seconds, 4);
  clock.advance(2500 * kMilli);
  EXPECT_TRUE(limiter.allow({"k"}, 25).allowed);
}

TEST(TokenBucketRateLimiter, AllOrNothingOverKeys) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(100, 1, clock);
  ASSERT_TRUE(limiter.allow({"ip:1"}, 90).allowed);  // ip:1 has 10 left
  const ports::RateDecision denied = limiter.allow({"p:demo", "ip:1", "o:x"}, 20);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after_seconds, 10);
  // Nothing was taken from the other buckets: they still hold their full 100.
  EXPECT_TRUE(limiter.allow({"p:demo", "o:x"}, 100).allowed);
}

TEST(TokenBucketRateLimiter, EmptyKeysAndRepeatedKeys) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(10, 1, clock);
  EXPECT_TRUE(limiter.allow({"", "k", "k"}, 10).allowed);  // "k" is debited once
  EXPECT_EQ(limiter.bucket_count(), 1u);
  EXPECT_TRUE(limiter.allow({"", ""}, 10).allowed);
  EXPECT_TRUE(limiter.allow({}, 10).allowed);
}

TEST(TokenBucketRateLimiter, ZeroCostAndOversizedCost) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(10, 1, clock);
  ASSERT_TRUE(limiter.allow({"k"}, 10).allowed);
  EXPECT_TRUE(limiter.allow({"k"}, 0).allowed);  // empty batch: nothing debited
  const ports::RateDecision oversized = limiter.allow({"other"}, 11);
  EXPECT_FALSE(oversized.allowed);
  EXPECT_EQ(oversized.retry_after_seconds, 1);
  EXPECT_TRUE(limiter.allow({"other"}, 10).allowed);  // the oversized call took nothing
}

TEST(TokenBucketRateLimiter, BucketCountStaysBounded) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(10, 1, clock, 50);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.allow({"ip:" + std::to_string(i)}, 5).allowed);
    ASSERT_LE(limiter.bucket_count(), 50u);
  }
  EXPECT_EQ(limiter.bucket_count(), 50u);
}

TEST(TokenBucketRateLimiter, BucketsThatRefilledAreDropped) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(10, 10, clock, 100);
  ASSERT_TRUE(limiter.allow({"a"}, 10).allowed);
  ASSERT_TRUE(limiter.allow({"b"}, 10).allowed);
  clock.advance(2000 * kMilli);  // a and b are full again: they hold nothing worth keeping
  ASSERT_TRUE(limiter.allow({"c"}, 10).allowed);
  EXPECT_EQ(limiter.bucket_count(), 1u);
}

TEST(TokenBucketRateLimiter, LeastRecentlyUsedMakesRoomAtTheLimit) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(10, 1, clock, 2);
  ASSERT_TRUE(limiter.allow({"a"}, 10).allowed);
  ASSERT_TRUE(limiter.allow({"b"}, 10).allowed);
  ASSERT_FALSE(limiter.allow({"a"}, 1).allowed);  // a is now the most recently used
  ASSERT_TRUE(limiter.allow({"c"}, 10).allowed);  // evicts b
  EXPECT_EQ(limiter.bucket_count(), 2u);
  EXPECT_FALSE(limiter.allow({"a"}, 1).allowed);  // a kept its debt
  EXPECT_TRUE(limiter.allow({"b"}, 10).allowed);  // b starts over, full
}

TEST(TokenBucketRateLimiter, MoreKeysInOneCallThanBuckets) {
  ManualClock clock{kStart};
  TokenBucketRateLimiter limiter(10, 1, clock, 2);
  EXPECT_TRUE(limiter.allow({"a", "b", "c", "d", "e", "f"}, 10).allowed);
  EXPECT_FALSE(limiter.allow({"e", "f"}, 1).allowed);
  EXPECT_LE(limiter.bucket_count(), 6u);
}

TEST(TokenBucketRateLimiter, RejectsNonsenseConfiguration) {
  ManualClock clock{kStart};
  EXPECT_THROW(TokenBucketRateLimiter(0, 1, clock), std::invalid_argument);
  EXPECT_THROW(TokenBucketRateLimiter(10, 0, clock), std::invalid_argument);
  EXPECT_THROW(TokenBucketRateLimiter(10, -1, clock), std::invalid_argument);
  EXPECT_THROW(TokenBucketRateLimiter(10, 1, clock, 0), std::invalid_argument);
}

TEST(TokenBucketRateLimiter, ConcurrentCallersNeverOverdraw) {
  ManualClock clock{kStart};  // time stands still: exactly `capacity` events may pass in total
  TokenBucketRateLimiter limiter(1000, 1, clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.allow({"p:demo", "ip:" + std::to_string(t)}, 1).allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(SystemClock, IsTheWallClockInMicroseconds) {
  const SystemClock clock;
  const domain::Micros now = clock.now();
  EXPECT_GT(now, 1'700'000'000LL * domain::kMicrosPerSecond);  // after November 2023
  EXPECT_LE(now, clock.now());
}

}  // namespace
}  // namespace mtrace::adapters
